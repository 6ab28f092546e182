using Anvil.Server.Data;
using Anvil.Server.Features.Attributes;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// A connection and transaction pointed at one project's schema, with the project's context read:
/// how every project-level request starts. Disposing without <see cref="CommitAsync"/> rolls back.
/// </summary>
public sealed class ProjectSession : IAsyncDisposable
{
    public required NpgsqlConnection Connection { get; init; }
    public required NpgsqlTransaction Transaction { get; init; }
    public required ProjectContext Project { get; init; }

    /// <summary>Opens the session; 404 when the project does not exist (names match case-insensitively).</summary>
    public static async Task<ProjectSession> OpenAsync(Db db, AttributeLibrary attributes, string projectName, CancellationToken cancellationToken)
    {
        var connection = await db.OpenAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var name = await ProjectContext.ResolveNameAsync(connection, projectName, cancellationToken);
            await ProjectSchema.UseAsync(connection, name, cancellationToken);
            var project = await ProjectContext.LoadAsync(connection, name, attributes, cancellationToken);
            return new ProjectSession { Connection = connection, Transaction = transaction, Project = project };
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
