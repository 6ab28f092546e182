using Anvil.Server.Data;
using Anvil.Server.Features.Access;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// A connection and transaction pointed at one project's schema, with the project's context and the
/// user's rights on it read: how every project-level request starts. Disposing without
/// <see cref="CommitAsync"/> rolls back.
/// </summary>
public sealed class ProjectSession : IAsyncDisposable
{
    public required NpgsqlConnection Connection { get; init; }
    public required NpgsqlTransaction Transaction { get; init; }
    public required ProjectContext Project { get; init; }
    public required ProjectAccess Access { get; init; }

    /// <summary>
    /// Opens the session for <paramref name="user"/>; 404 when the project does not exist (names
    /// match case-insensitively), 403 when the user holds no access group on it.
    /// </summary>
    public static async Task<ProjectSession> OpenAsync(Db db, AttributeLibrary attributes, string projectName, CurrentUser user, CancellationToken cancellationToken)
    {
        var connection = await db.OpenAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var name = await ProjectContext.ResolveNameAsync(connection, projectName, cancellationToken);
            await ProjectSchema.UseAsync(connection, name, cancellationToken);
            var access = await ProjectAccess.LoadAsync(connection, user, name, cancellationToken);
            var project = await ProjectContext.LoadAsync(connection, name, attributes, cancellationToken);
            return new ProjectSession { Connection = connection, Transaction = transaction, Project = project, Access = access };
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
