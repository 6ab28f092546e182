using Dapper;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// One lock per project, held to the end of the transaction, by every transaction that writes
/// folders or recomputes what folders inherit. Such a write locks the rows it changes and then the
/// whole subtree under them, in no particular order; two of them on overlapping subtrees (a folder and
/// its child, in either order) would each hold rows the other needs, and PostgreSQL would end one with
/// a deadlock. Taken before the first folder row is touched, the lock makes them wait in turn instead.
/// Writes of other entity types do not take it.
/// </summary>
public static class FolderTreeLock
{
    /// <summary>Waits for the project's folder-tree lock; released at commit or rollback.</summary>
    public static Task AcquireAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(hashtextextended('anvil folder tree ' || lower(@projectName), 0))",
            new { projectName }, cancellationToken: cancellationToken));
}
