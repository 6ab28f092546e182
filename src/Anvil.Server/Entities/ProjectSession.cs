using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// A connection pointed at one project's schema, with the project's context and the user's rights on
/// it read: how every project-level request starts. A session from <see cref="OpenAsync"/> holds a
/// transaction; disposing without <see cref="CommitAsync"/> rolls back. A read session
/// (<see cref="OpenReadAsync"/>) holds none: each statement is its own transaction, sent with its search
/// path in one round trip (<see cref="Command"/>), so a read costs one round trip, as a bare query does.
/// </summary>
public sealed class ProjectSession : IAsyncDisposable
{
    readonly NpgsqlTransaction? _transaction;

    /// <summary>For a read session: the statements sent before each of its own (a transaction and its search path).</summary>
    string? _readPrefix;

    public required NpgsqlConnection Connection { get; init; }

    /// <summary>The session's transaction; a read session has none (its statements go through <see cref="Command"/>).</summary>
    public NpgsqlTransaction Transaction
    {
        get => _transaction ?? throw new InvalidOperationException("A read session has no transaction: run its statements through ProjectSession.Command");
        init => _transaction = value;
    }

    public required ProjectContext Project { get; init; }
    public ProjectAccess Access { get; private set; } = null!;

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
            var session = new ProjectSession { Connection = connection, Transaction = transaction, Project = project };
            session.Access = await ProjectAccess.LoadAsync(session, user, project, cancellationToken);
            return session;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opens a session that only reads (GraphQL): no transaction held, each statement sent with
    /// <c>BEGIN; SET LOCAL search_path ...;</c> before it and <c>COMMIT</c> after, in one round trip.
    /// With the project's context cached and a user whose rights need no query, opening costs no round trip.
    /// Statements see committed data each, as they do in a READ COMMITTED transaction.
    /// </summary>
    public static async Task<ProjectSession> OpenReadAsync(Db db, ProjectContexts contexts, string projectName, CurrentUser user, CancellationToken cancellationToken)
    {
        if (!ProjectSchema.IsValidName(projectName))
            throw new NotFound($"Project {projectName} not found");
        var connection = await db.OpenAsync(cancellationToken);
        try
        {
            var project = await contexts.CachedAsync(projectName, cancellationToken);
            if (project is null)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ProjectSchema.UseAsync(connection, projectName, cancellationToken);
                project = await contexts.GetAsync(connection, projectName, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            var session = new ProjectSession { Connection = connection, Project = project, _readPrefix = $"BEGIN;\n{ProjectSchema.UseSql(projectName)};\n" };
            session.Access = await ProjectAccess.LoadAsync(session, user, project, cancellationToken);
            return session;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A statement on this session (Dapper): in the session's transaction, or for a read session
    /// wrapped in its own transaction with the project's search path.
    /// </summary>
    public CommandDefinition Command(string sql, object? parameters, CancellationToken cancellationToken) =>
        _readPrefix is null
            ? new CommandDefinition(sql, parameters, _transaction, cancellationToken: cancellationToken)
            : new CommandDefinition($"{_readPrefix}{sql.TrimEnd().TrimEnd(';')};\nCOMMIT", parameters, cancellationToken: cancellationToken);

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
            await _transaction.DisposeAsync();
        // A read statement that failed leaves its transaction aborted; Npgsql rolls it back when the connection goes back to the pool.
        await Connection.DisposeAsync();
    }
}
