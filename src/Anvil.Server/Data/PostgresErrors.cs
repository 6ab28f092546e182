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
        _ => new AyonError(500, "Database error"),
    };
}
