using Anvil.Server.Features.Attributes;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// Project contexts by lower-cased project name, kept in this process: a request to a project reads
/// the anatomy lists and the project's attributes only after a change. Every change of a project's
/// row, anatomy or existence calls <see cref="ChangedAsync"/> after its commit, which drops the
/// contexts on every instance before it returns (<see cref="CacheInvalidation"/>). A context built
/// on an older attribute library is rebuilt: the library reloads itself on every instance.
/// </summary>
public sealed class ProjectContexts(AttributeLibrary attributes, CacheInvalidation invalidation, AyonOptions options)
{
    const string Name = "projects";

    readonly SharedCache<ProjectContext> _cache = new(invalidation, Name, TimeSpan.FromSeconds(options.CacheTtl));

    public AttributeLibrary Attributes => attributes;

    /// <summary>
    /// The context of a project, read through <paramref name="connection"/> (its search path already set
    /// to the project) unless cached; 404 when the project does not exist.
    /// </summary>
    public async Task<ProjectContext> GetAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken)
    {
        var key = projectName.ToLowerInvariant();
        var library = await attributes.AllAsync(cancellationToken);
        if (_cache.TryGet(key, out var cached) && ReferenceEquals(cached.Attributes, library))
            return cached;
        var generation = _cache.Generation;
        var name = await ProjectContext.ResolveNameAsync(connection, projectName, cancellationToken);
        var context = await ProjectContext.LoadAsync(connection, name, attributes, cancellationToken);
        _cache.Store(key, context, generation);
        return context;
    }

    /// <summary>The context of a project when this process holds it current; null when it must be read (<see cref="GetAsync"/>).</summary>
    public async Task<ProjectContext?> CachedAsync(string projectName, CancellationToken cancellationToken)
    {
        var library = await attributes.AllAsync(cancellationToken);
        return _cache.TryGet(projectName.ToLowerInvariant(), out var cached) && ReferenceEquals(cached.Attributes, library) ? cached : null;
    }

    /// <summary>A project's row, anatomy or existence changed; call after the commit.</summary>
    public Task ChangedAsync() => invalidation.InvalidateAsync(Name);
}
