using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>One status of the project anatomy, with the entity types it applies to.</summary>
public sealed record StatusInfo(string Name, IReadOnlyList<string> Scope);

/// <summary>
/// What requests need to know about a project: the anatomy lists, the project's attributes, the
/// attribute library and the access groups in force there. Cached by <see cref="ProjectContexts"/>:
/// shared between requests, which only read it.
/// </summary>
public sealed class ProjectContext
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> FolderTypes { get; init; }
    public required IReadOnlyList<string> TaskTypes { get; init; }
    public required IReadOnlyList<StatusInfo> Statuses { get; init; }
    public required IReadOnlyList<AttributeDefinition> Attributes { get; init; }

    /// <summary>What root folders inherit: project-scope defaults and the project's own values, inheritable keys only.</summary>
    public required JsonObject InheritedByRoots { get; init; }

    /// <summary>The permissions of each access group on the project: its override there, else the studio definition.</summary>
    public required IReadOnlyDictionary<string, JsonObject> AccessGroups { get; init; }

    public string[] PrivateAttributes => [.. Attributes.Where(a => !a.Inherit).Select(a => a.Name).Distinct()];

    readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<AttributeDefinition>> _attributesOf = new();
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> _defaultStatusOf = new();

    /// <summary>The attributes in scope for an entity type (asked once per entity written: kept).</summary>
    public IReadOnlyList<AttributeDefinition> AttributesOf(string entityType) =>
        _attributesOf.GetOrAdd(entityType, static (type, project) => [.. project.Attributes.Where(a => a.InScope(type))], this);

    /// <summary>AYON's default: the first status whose scope names the type, else the first status (asked once per entity created: kept).</summary>
    public string DefaultStatus(string entityType) =>
        _defaultStatusOf.GetOrAdd(entityType, static (type, project) =>
            (project.Statuses.FirstOrDefault(s => s.Scope.Count == 0 || s.Scope.Contains(type)) ?? project.Statuses.FirstOrDefault())?.Name, this)
        ?? throw new Conflict($"Project {Name} has no statuses");

    /// <summary>The stored name of a project (URL names match case-insensitively), or 404.</summary>
    public static async Task<string> ResolveNameAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken)
    {
        var name = ProjectSchema.IsValidName(projectName)
            ? await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT name FROM public.projects WHERE lower(name) = lower(@projectName)", new { projectName }, cancellationToken: cancellationToken))
            : null;
        return name ?? throw new NotFound($"Project {projectName} not found");
    }

    /// <summary>Reads the context; the connection's search path must already point at the project.</summary>
    public static async Task<ProjectContext> LoadAsync(NpgsqlConnection connection, string projectName, AttributeLibrary library, CancellationToken cancellationToken)
    {
        var attributes = await library.AllAsync(cancellationToken);
        var projectAttrib = await connection.ExecuteScalarAsync<JsonObject>(new CommandDefinition(
            "SELECT attrib FROM public.projects WHERE name = @projectName", new { projectName }, cancellationToken: cancellationToken)) ?? [];
        var statuses = await connection.QueryAsync<(string Name, string Data)>(new CommandDefinition(
            "SELECT name, data::text FROM statuses ORDER BY position", cancellationToken: cancellationToken));
        var accessGroups = await connection.QueryAsync<(string Name, JsonObject Data)>(new CommandDefinition("""
            SELECT name, data FROM public.project_access_groups WHERE project_name = @projectName
            UNION ALL
            SELECT name, data FROM public.access_groups g
            WHERE NOT EXISTS (SELECT FROM public.project_access_groups o WHERE o.project_name = @projectName AND o.name = g.name)
            """, new { projectName }, cancellationToken: cancellationToken));

        var inherited = new JsonObject();
        foreach (var attribute in attributes.Where(a => a.Inherit && a.InScope("project")))
        {
            var value = projectAttrib[attribute.Name] ?? attribute.Data["default"];
            if (value is not null)
                inherited[attribute.Name] = value.DeepClone();
        }

        return new ProjectContext
        {
            Name = projectName,
            FolderTypes = [.. await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM folder_types ORDER BY position", cancellationToken: cancellationToken))],
            TaskTypes = [.. await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM task_types ORDER BY position", cancellationToken: cancellationToken))],
            Statuses = [.. statuses.Select(s => new StatusInfo(s.Name,
                JsonNode.Parse(s.Data)?["scope"] is JsonArray scope ? [.. scope.Select(x => x!.GetValue<string>())] : []))],
            Attributes = attributes,
            // Shared between requests once cached: parsed through now (defaults may be lazily parsed objects).
            InheritedByRoots = AyonJson.Settle(inherited),
            AccessGroups = accessGroups.ToDictionary(g => g.Name, g => AyonJson.Settle(g.Data)),
        };
    }
}
