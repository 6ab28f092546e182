using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
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
    public static async Task<ProjectSession> OpenAsync(Db db, ProjectContexts contexts, string projectName, CurrentUser user, CancellationToken cancellationToken)
    {
        if (!ProjectSchema.IsValidName(projectName))
            throw new NotFound($"Project {projectName} not found");
        var connection = await db.OpenAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // The schema's name is the lower-cased project name, however the URL spells it.
            await ProjectSchema.UseAsync(connection, projectName, cancellationToken);
            var project = await contexts.GetAsync(connection, projectName, cancellationToken);
            var access = await ProjectAccess.LoadAsync(connection, user, project, cancellationToken);
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
