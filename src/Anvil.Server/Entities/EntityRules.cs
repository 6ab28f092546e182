using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// What one entity type does beyond the shared engine: defaults and checks that need the database or
/// the anatomy. The engine calls these inside the operation's transaction.
/// </summary>
public class EntityRules
{
    /// <summary>
    /// Fills defaults and checks the merged values of an entity about to be written.
    /// <paramref name="previous"/> is null on create.
    /// </summary>
    public virtual Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous) => Task.CompletedTask;

    /// <summary>
    /// Runs after rows are written (derived data of the type): once per statement, so a batch of
    /// creates pays one round trip, not one per entity.
    /// </summary>
    public virtual Task AfterWriteAsync(WriteContext context, IReadOnlyList<WrittenEntity> written) => Task.CompletedTask;

    /// <summary>Runs before the row is deleted: checks, and rows the database would not cascade.</summary>
    public virtual Task BeforeDeleteAsync(WriteContext context, Guid id, bool force) => Task.CompletedTask;
}

/// <summary>An entity just written: its values as stored, and before the write (null when created).</summary>
public sealed record WrittenEntity(Guid Id, JsonObject Values, JsonObject? Previous);

/// <summary>Everything an operation's rules may use: the open connection of the batch, the project, the user and their rights.</summary>
public sealed record WriteContext(NpgsqlConnection Connection, ProjectContext Project, ProjectAccess Access, bool Force, CancellationToken CancellationToken)
{
    public string UserName => Access.UserName;
}
