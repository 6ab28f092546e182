using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Data;

/// <summary>
/// Integrity errors that escape a handler, translated once into AYON's responses. Driver messages
/// never reach the client: they can quote values and SQL.
/// </summary>
public static class PostgresErrors
{
    public static AyonError Translate(PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.NotNullViolation => new BadRequest($"Missing required field: {e.ColumnName}", "missing-required-field"),
        PostgresErrorCodes.ForeignKeyViolation => new Conflict("A referenced record does not exist", "foreign-key-violation"),
        PostgresErrorCodes.UniqueViolation => new Conflict("A record with the same unique value already exists", "unique-violation"),
        PostgresErrorCodes.CheckViolation => new BadRequest($"Value violates the rule {e.ConstraintName}", "check-violation"),
        PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected =>
            new ServiceUnavailable("The database was busy with a conflicting change; retry the request"),
        // Class 08 (connection) and 57 (operator intervention: shutdown, restart) pass: the client retries 503s.
        _ when e.SqlState.StartsWith("08", StringComparison.Ordinal) || e.SqlState.StartsWith("57", StringComparison.Ordinal) =>
            new ServiceUnavailable("The database is unavailable; retry shortly"),
        // Class 22 (data exception): a value the column cannot hold — an invalid byte sequence (22021),
        // an untranslatable character (22P05), a numeric overflow (22003), a string too long (22001), ...
        _ when e.SqlState.StartsWith("22", StringComparison.Ordinal) => DataError(e),
        _ => new AyonError(500, "Database error"),
    };

    static BadRequest DataError(PostgresException e)
    {
        var what = e.SqlState switch
        {
            PostgresErrorCodes.NumericValueOutOfRange => "a number is out of range",
            PostgresErrorCodes.StringDataRightTruncation => "a value is too long",
            PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter => "a value holds a character the database cannot store",
            _ => "a value is not valid for its field",
        };
        return e.ColumnName is { Length: > 0 } column
            ? BadRequest.Field(CamelCase(column), what, "value_error")
            : new BadRequest($"Invalid value: {what}", "invalid-value");
    }

    /// <summary>A column name as the client spells the field: <c>product_type</c> → <c>productType</c>.</summary>
    static string CamelCase(string column)
    {
        var parts = column.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? column : parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
