using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Data;

/// <summary>
/// Database errors that escape a handler, translated once into AYON's responses. Driver messages
/// never reach the client: they can quote values and SQL. Everything that says "the database is not
/// there right now" — a restart (57P01, 57P03), a broken or refused connection, a timeout, a full
/// pool — is a 503 with <c>Retry-After</c>, so clients retry instead of reporting a server bug.
/// </summary>
public static class PostgresErrors
{
    const int RetryAfterSeconds = 2;

    static ServiceUnavailable Unavailable() => new("The database is unavailable; retry shortly", RetryAfterSeconds);

    /// <summary>
    /// Any exception that came from the database driver, translated; null when it did not. Besides
    /// <see cref="NpgsqlException"/>, the driver answers a connection that broke under a command or a
    /// transaction with <see cref="InvalidOperationException"/>s ("connection is not open", "transaction
    /// has completed", a disposed connector).
    /// </summary>
    public static AyonError? TranslateAny(Exception e) => e switch
    {
        PostgresException postgres => Translate(postgres),
        NpgsqlException => Unavailable(),
        InvalidOperationException when FromDriver(e) => Unavailable(),
        TimeoutException when FromDriver(e) => Unavailable(),
        System.IO.IOException or System.Net.Sockets.SocketException when FromDriver(e) => Unavailable(),
        _ => null,
    };

    static bool FromDriver(Exception e) =>
        e.Source == "Npgsql" || e.TargetSite?.DeclaringType?.Namespace?.StartsWith("Npgsql", StringComparison.Ordinal) == true;

    public static AyonError Translate(PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.NotNullViolation => new BadRequest($"Missing required field: {e.ColumnName}", "missing-required-field"),
        PostgresErrorCodes.ForeignKeyViolation => new Conflict("A referenced record does not exist", "foreign-key-violation"),
        PostgresErrorCodes.UniqueViolation => new Conflict("A record with the same unique value already exists", "unique-violation"),
        PostgresErrorCodes.CheckViolation => new BadRequest($"Value violates the rule {e.ConstraintName}", "check-violation"),
        PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected =>
            new ServiceUnavailable("The database was busy with a conflicting change; retry the request", 1),
        // Class 08 (connection), 53 (insufficient resources: too many connections, out of memory or disk),
        // 57 (operator intervention: admin shutdown 57P01, crash shutdown 57P02, cannot connect now 57P03)
        // and 58 (system error: I/O) pass: the client retries 503s.
        _ when e.SqlState[..2] is "08" or "53" or "57" or "58" => Unavailable(),
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
