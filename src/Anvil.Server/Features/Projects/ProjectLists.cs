using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Features.Anatomy;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Projects;

/// <summary>
/// The anatomy lists of one project (folder types, task types, statuses, tags, link types) in its
/// schema. Every method runs inside the caller's transaction with the project's search_path set.
/// </summary>
public static class ProjectLists
{
    static readonly string[] EntityTables = [.. EntityRegistry.All.Select(d => d.Table)];

    /// <summary>A list table, what refers to it, and how it is named in the API.</summary>
    sealed record ListTable(string Table, string Field, string Singular, (string Table, string Column)[] UsedBy);

    static readonly ListTable FolderTypes = new("folder_types", "folderTypes", "folder type", [("folders", "folder_type")]);
    static readonly ListTable TaskTypes = new("task_types", "taskTypes", "task type", [("tasks", "task_type")]);
    static readonly ListTable Statuses = new("statuses", "statuses", "status", [.. EntityTables.Select(t => (t, "status"))]);
    static readonly ListTable Tags = new("tags", "tags", "tag", []);

    public static async Task<List<AnatomyItem>> ReadAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        var sql = table switch
        {
            "folder_types" => "SELECT name, data FROM folder_types ORDER BY position",
            "task_types" => "SELECT name, data FROM task_types ORDER BY position",
            "statuses" => "SELECT name, data FROM statuses ORDER BY position",
            "tags" => "SELECT name, data FROM tags ORDER BY position",
            _ => throw new ArgumentOutOfRangeException(nameof(table)),
        };
        var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(sql, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new AnatomyItem(r.Name, null, r.Data))];
    }

    public static async Task<List<LinkTypeItem>> ReadLinkTypesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<LinkTypeRow>(new CommandDefinition(
            "SELECT link_type, input_type, output_type, data FROM link_types ORDER BY name", cancellationToken: cancellationToken));
        return [.. rows.Select(r => new LinkTypeItem(r.LinkType, r.InputType, r.OutputType, r.Data))];
    }

    public static Task SaveFolderTypesAsync(NpgsqlConnection c, List<AnatomyItem> items, CancellationToken ct) => SaveAsync(c, FolderTypes, items, ct);
    public static Task SaveTaskTypesAsync(NpgsqlConnection c, List<AnatomyItem> items, CancellationToken ct) => SaveAsync(c, TaskTypes, items, ct);
    public static Task SaveStatusesAsync(NpgsqlConnection c, List<AnatomyItem> items, CancellationToken ct) => SaveAsync(c, Statuses, items, ct);
    public static Task SaveTagsAsync(NpgsqlConnection c, List<AnatomyItem> items, CancellationToken ct) => SaveAsync(c, Tags, items, ct);

    /// <summary>
    /// Replaces the list: renames first (an item whose <c>original_name</c> names an existing item),
    /// then removes the items no longer listed, then writes names, order and data. Statuses and
    /// types follow on entities through ON UPDATE CASCADE; tags are renamed in the entity arrays here.
    /// </summary>
    static async Task SaveAsync(NpgsqlConnection connection, ListTable list, List<AnatomyItem> items, CancellationToken cancellationToken)
    {
        var table = list.Table;
        var existing = (await connection.QueryAsync<string>(new CommandDefinition($"SELECT name FROM {table}", cancellationToken: cancellationToken))).ToList();

        // Renames go through temporary names, so swapping two names works.
        var renames = new List<(string Temporary, string Old, string New)>();
        foreach (var item in items)
        {
            if (item.OriginalName is null || item.OriginalName == item.Name)
                continue;
            var old = existing.FirstOrDefault(e => string.Equals(e, item.OriginalName, StringComparison.OrdinalIgnoreCase));
            if (old is null || renames.Any(r => r.Old == old))
                continue;
            var temporary = $"\u0001rename-{renames.Count}";
            await connection.ExecuteAsync(new CommandDefinition($"UPDATE {table} SET name = @temporary WHERE name = @old",
                new { temporary, old }, cancellationToken: cancellationToken));
            renames.Add((temporary, old, item.Name));
        }

        var kept = items.Where(i => !renames.Any(r => r.New == i.Name)).Select(i => i.Name.ToLowerInvariant()).ToArray();
        var removed = existing.Where(e => !renames.Any(r => r.Old == e) && !kept.Contains(e.ToLowerInvariant())).ToArray();
        foreach (var name in removed)
            await RequireUnusedAsync(connection, list, name, cancellationToken);
        if (removed.Length > 0)
            await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE name = ANY(@removed)", new { removed }, cancellationToken: cancellationToken));

        foreach (var (temporary, old, name) in renames)
        {
            await connection.ExecuteAsync(new CommandDefinition($"UPDATE {table} SET name = @name WHERE name = @temporary",
                new { name, temporary }, cancellationToken: cancellationToken));
            if (list == Tags)
                foreach (var entityTable in EntityTables)
                    await connection.ExecuteAsync(new CommandDefinition(
                        $"UPDATE {entityTable} SET tags = array_replace(tags, @old, @name) WHERE @old = ANY(tags)",
                        new { old, name }, cancellationToken: cancellationToken));
        }

        for (var position = 0; position < items.Count; position++)
        {
            var item = items[position];
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE {table} SET name = @Name, position = @position, data = @Data WHERE lower(name) = lower(@Name)",
                new { item.Name, position, item.Data }, cancellationToken: cancellationToken));
            if (updated == 0)
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {table} (name, position, data) VALUES (@Name, @position, @Data)",
                    new { item.Name, position, item.Data }, cancellationToken: cancellationToken));
        }
    }

    static async Task RequireUnusedAsync(NpgsqlConnection connection, ListTable list, string name, CancellationToken cancellationToken)
    {
        foreach (var (table, column) in list.UsedBy)
        {
            var used = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                $"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = @name)", new { name }, cancellationToken: cancellationToken));
            if (used)
                throw new Conflict($"The {list.Singular} '{name}' is used by {table} and cannot be removed; rename it with original_name instead",
                    $"{list.Singular.Replace(' ', '-')}-in-use");
        }
    }

    /// <summary>Replaces the link types (links of a removed type go with it).</summary>
    public static async Task SaveLinkTypesAsync(NpgsqlConnection connection, List<LinkTypeItem> items, CancellationToken cancellationToken)
    {
        var names = items.Select(i => i.Name).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM link_types WHERE NOT (name = ANY(@names))", new { names }, cancellationToken: cancellationToken));
        foreach (var item in items)
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO link_types (name, link_type, input_type, output_type, data)
                VALUES (@Name, @LinkType, @InputType, @OutputType, @Data)
                ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data
                """, new { item.Name, item.LinkType, item.InputType, item.OutputType, item.Data }, cancellationToken: cancellationToken));
    }

    sealed record ItemRow
    {
        public string Name { get; init; } = "";
        public JsonObject Data { get; init; } = [];
    }

    sealed record LinkTypeRow
    {
        public string LinkType { get; init; } = "";
        public string InputType { get; init; } = "";
        public string OutputType { get; init; } = "";
        public JsonObject Data { get; init; } = [];
    }

    public static JsonArray ToJson(IEnumerable<AnatomyItem> items) => new([.. items.Select(i => i.ToJson())]);

    /// <summary>Refuses a field that is not a list, naming it.</summary>
    public static void RequireList(JsonNode? node, string field)
    {
        if (node is not JsonArray)
            throw BadRequest.Field(field, "must be a list");
    }
}
