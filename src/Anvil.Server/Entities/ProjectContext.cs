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
/// What a batch of operations needs to know about its project, read once per batch inside its
/// transaction: the anatomy lists, the project's attributes and the attribute library.
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

    public string[] PrivateAttributes => [.. Attributes.Where(a => !a.Inherit).Select(a => a.Name).Distinct()];

    public IReadOnlyList<AttributeDefinition> AttributesOf(string entityType) => [.. Attributes.Where(a => a.InScope(entityType))];

    /// <summary>AYON's default: the first status whose scope names the type, else the first status.</summary>
    public string DefaultStatus(string entityType) =>
        (Statuses.FirstOrDefault(s => s.Scope.Count == 0 || s.Scope.Contains(entityType)) ?? Statuses.FirstOrDefault())?.Name
        ?? throw new Conflict($"Project {Name} has no statuses");

    /// <summary>
    /// Points the transaction at the project's schema and reads the project's stored name and own
    /// attributes, in one round trip; 404 when there is no such project (names match case-insensitively).
    /// </summary>
    public static async Task<(string Name, JsonObject Attrib)> EnterAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken)
    {
        if (!ProjectSchema.IsValidName(projectName))
            throw new NotFound($"Project {projectName} not found");
        await using var batch = new NpgsqlBatch(connection)
        {
            // The schema follows from the name (lower-cased), so it is set before the name is checked:
            // a search path naming a missing schema is harmless, and the transaction ends with the session.
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SET LOCAL search_path TO {ProjectSchema.Of(projectName)}, public"),
                new NpgsqlBatchCommand("SELECT name, attrib::text FROM public.projects WHERE lower(name) = lower($1)") { Parameters = { new() { Value = projectName } } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new NotFound($"Project {projectName} not found");
        return (reader.GetString(0), reader.IsDBNull(1) ? [] : JsonNode.Parse(reader.GetString(1)) as JsonObject ?? []);
    }

    /// <summary>Reads the context; the connection's search path must already point at the project.</summary>
    public static async Task<ProjectContext> LoadAsync(NpgsqlConnection connection, string projectName, AttributeLibrary library, CancellationToken cancellationToken)
    {
        var projectAttrib = await connection.ExecuteScalarAsync<JsonObject>(new CommandDefinition(
            "SELECT attrib FROM public.projects WHERE name = @projectName", new { projectName }, cancellationToken: cancellationToken)) ?? [];
        return await LoadAsync(connection, projectName, projectAttrib, library, cancellationToken);
    }

    /// <summary>
    /// Reads the context given the project's own attributes (see <see cref="EnterAsync"/>): the
    /// anatomy lists in one round trip. The connection's search path must point at the project.
    /// </summary>
    public static async Task<ProjectContext> LoadAsync(NpgsqlConnection connection, string projectName, JsonObject projectAttrib, AttributeLibrary library,
        CancellationToken cancellationToken)
    {
        var attributes = await library.AllAsync(cancellationToken);
        var statuses = new List<StatusInfo>();
        var folderTypes = new List<string>();
        var taskTypes = new List<string>();
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT name, data::text FROM statuses ORDER BY position"),
                new NpgsqlBatchCommand("SELECT name FROM folder_types ORDER BY position"),
                new NpgsqlBatchCommand("SELECT name FROM task_types ORDER BY position"),
            },
        })
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                statuses.Add(new StatusInfo(reader.GetString(0),
                    JsonNode.Parse(reader.GetString(1))?["scope"] is JsonArray scope ? [.. scope.Select(x => x!.GetValue<string>())] : []));
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                folderTypes.Add(reader.GetString(0));
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                taskTypes.Add(reader.GetString(0));
        }

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
            FolderTypes = folderTypes,
            TaskTypes = taskTypes,
            Statuses = statuses,
            Attributes = attributes,
            InheritedByRoots = inherited,
        };
    }
}
