using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.GraphQL;

/// <summary>
/// What one GraphQL request shares between its resolvers: one read session per project it touches, with the user's rights there
/// (opened on first use, closed when the request ends) and its batch loaders. Resolvers may run
/// concurrently, a connection runs one command at a time, so database work is serialised here.
/// </summary>
public sealed class RequestScope(Db db, ProjectContexts contexts, CurrentUser user) : IAsyncDisposable
{
    readonly Dictionary<string, ProjectSession> _sessions = new(StringComparer.OrdinalIgnoreCase);
    readonly Dictionary<object, object> _loaders = [];
    readonly SemaphoreSlim _database = new(1, 1);

    /// <summary>
    /// <c>project(name)</c>: the project's stored name, 404 when there is none and 403 when the user
    /// may not enter it (REST's checks). The session it opens for that is the one the project's
    /// entities are then read in, and its context is cached: it costs no round trip of its own.
    /// </summary>
    public Task<string> EnterAsync(string projectName, CancellationToken cancellationToken) =>
        RunAsync(projectName, session => Task.FromResult(session.Project.Name), cancellationToken);

    /// <summary>Runs <paramref name="work"/> on the project's session, alone.</summary>
    public async Task<T> RunAsync<T>(string projectName, Func<ProjectSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await _database.WaitAsync(cancellationToken);
        try
        {
            if (!_sessions.TryGetValue(projectName, out var session))
                _sessions[projectName] = session = await ProjectSession.OpenReadAsync(db, contexts, projectName, user, cancellationToken);
            return await work(session);
        }
        finally
        {
            _database.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a connection outside any project, alone.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await _database.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            return await work(connection);
        }
        finally
        {
            _database.Release();
        }
    }

    /// <summary>The loader registered under <paramref name="key"/>, created on first use.</summary>
    public T Loader<T>(object key, Func<T> create) where T : class
    {
        lock (_loaders)
        {
            if (!_loaders.TryGetValue(key, out var loader))
                _loaders[key] = loader = create();
            return (T)loader;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions.Values)
            await session.DisposeAsync();
        _sessions.Clear();
    }
}
