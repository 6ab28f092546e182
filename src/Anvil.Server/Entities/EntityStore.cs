using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Anvil.Server.Entities;

/// <summary>
/// Reads and writes of entity rows, generic over the definitions. Runs on the caller's connection,
/// inside a transaction whose search path points at the project.
/// </summary>
public static class EntityStore
{
    /// <summary>
    /// Entities as the API returns them, through the definition's SELECT and a WHERE on <c>e</c>;
    /// with <paramref name="access"/>, only what that user may read, attributes filtered.
    /// </summary>
    public static async Task<List<JsonObject>> QueryAsync(NpgsqlConnection connection, EntityDefinition definition, ProjectContext project,
        ProjectAccess? access, string where, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        if (access?.ReadCondition(definition) is { } readable)
        {
            where = $"({where}) AND {readable}";
            parameters = parameters.Concat(access.Parameters);
        }
        await using var command = new NpgsqlCommand($"{definition.Select}\nWHERE {where}", connection);
        command.Parameters.AddWithValue("inheritedByRoots", project.InheritedByRoots.ToJsonString());
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        var rows = await JsonRows.ReadAsync(command, cancellationToken);
        foreach (var row in rows)
        {
            if (row["ownAttrib"] is JsonObject own)
                row["ownAttrib"] = new JsonArray([.. own.Select(p => (JsonNode?)p.Key)]);
            access?.FilterAttributes(row);
        }
        return rows;
    }

    /// <summary>One entity; with <paramref name="access"/>, null also when that user may not read it.</summary>
    public static async Task<JsonObject?> GetAsync(NpgsqlConnection connection, EntityDefinition definition, ProjectContext project, Guid id,
        CancellationToken cancellationToken, ProjectAccess? access = null) =>
        (await QueryAsync(connection, definition, project, access, "e.id = @id", [("id", id)], cancellationToken)).SingleOrDefault();

    /// <summary>
    /// Entities' paths as the read SELECT shows them, without building the rest of the rows:
    /// PostgreSQL does not compute the outputs of a subquery that nothing uses.
    /// </summary>
    public static async Task<Dictionary<Guid, string>> PathsAsync(NpgsqlConnection connection, EntityDefinition definition, ProjectContext project,
        Guid[] ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(PathsQueries.GetOrAdd(definition, PathsQuery), connection);
        command.Parameters.AddWithValue("inheritedByRoots", project.InheritedByRoots.ToJsonString());
        command.Parameters.AddWithValue("ids", ids);
        var paths = new Dictionary<Guid, string>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            paths[reader.GetGuid(0)] = reader.GetString(1);
        return paths;
    }

    static readonly ConcurrentDictionary<EntityDefinition, string> PathsQueries = new();

    /// <summary>
    /// The query of <see cref="PathsAsync"/> (parameter <c>@ids</c>). A type whose path is its parent's
    /// path and its name (<see cref="EntityDefinition.PathUnderParent"/>) is read a level at a time, up
    /// to the first type that is not (folders), each parent once: the rows' names and parents' ids, then
    /// the parents' — a batch of representations names a few hundred versions, which share a hundred
    /// products and a few dozen folders, and the read SELECT's joins looked those up once per row
    /// (7.4 ms against 2.5 ms for a batch's 336 versions). The levels are MATERIALIZED so that each
    /// stays a lookup of distinct ids, whatever the planner estimates for a table not analyzed yet.
    /// </summary>
    static string PathsQuery(EntityDefinition definition)
    {
        var levels = new List<EntityDefinition>();
        var top = definition;
        while (top is { PathUnderParent: not null, ParentField: { } })
        {
            levels.Add(top);
            top = EntityRegistry.Get(top.ParentType!);
        }
        if (levels.Count == 0)
            return $"SELECT x.id, x.path FROM (\n{definition.Select}\nWHERE e.id = ANY(@ids)) x";
        // A type's name column reads the row alone (e.), as its path column ends with it.
        var steps = levels.Select((level, i) => $"""
            level{i} AS MATERIALIZED (
                SELECT e.id, e.{level.ParentField!.Column} AS parent, {level.Columns.Single(c => c.Alias == "name").Sql} AS name
                FROM {level.Table} e
                WHERE e.id = ANY({(i == 0 ? "@ids" : $"ARRAY(SELECT DISTINCT parent FROM level{i - 1})")})
            )
            """);
        var last = levels.Count - 1;
        return $"""
            WITH {string.Join(",\n", steps)},
            top AS MATERIALIZED (
                SELECT x.id, x.path FROM (
            {top.Select}
                WHERE e.id = ANY(ARRAY(SELECT DISTINCT parent FROM level{last}))) x
            )
            SELECT level0.id, top.path{string.Concat(Enumerable.Range(0, levels.Count).Reverse().Select(i => $" || '/' || level{i}.name"))}
            FROM level0
            {string.Concat(Enumerable.Range(1, last).Select(i => $"JOIN level{i} ON level{i}.id = level{i - 1}.parent\n"))}JOIN top ON top.id = level{last}.parent
            """;
    }

    /// <summary>The path of the folder an entity belongs to (no leading slash), whoever may read it; null when there is no such entity.</summary>
    public static async Task<string?> FolderPathAsync(NpgsqlConnection connection, EntityDefinition definition, Guid id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {definition.FolderPath}\n{definition.From}\nWHERE e.id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The stored values of one entity (own attributes, no derived fields), locked for the rest of the transaction.</summary>
    public static async Task<JsonObject?> LockAsync(NpgsqlConnection connection, EntityDefinition definition, Guid id, CancellationToken cancellationToken)
    {
        var columns = string.Join(", ", definition.AllFields.Select(f => $"{f.Column} AS \"{f.Name}\""));
        await using var command = new NpgsqlCommand(
            $"SELECT id, {columns}, attrib, updated_at AS \"updatedAt\" FROM {definition.Table} WHERE id = @id FOR UPDATE", connection);
        command.Parameters.AddWithValue("id", id);
        return (await JsonRows.ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>
    /// Inserts new entities in order (values by API name, <c>attrib</c> included), one binary COPY for
    /// each stretch of rows that give the same fields, so PostgreSQL parses only the JSON columns' own
    /// values. Fields a row leaves out keep their column defaults. COPY runs the tables' constraints
    /// and triggers as an INSERT does. The foreign keys of a stretch of rows are checked once for all
    /// of them rather than by PostgreSQL's trigger per row, where the database allows it
    /// (<c>public.defer_foreign_keys</c>, migration 0021): the same keys, locks and error.
    /// </summary>
    public static async Task InsertAsync(NpgsqlConnection connection, EntityDefinition definition, IReadOnlyList<WrittenEntity> rows, string userName, CancellationToken cancellationToken)
    {
        List<EntityField> FieldsOf(WrittenEntity row) => [.. definition.AllFields.Where(f => row.Values.ContainsKey(f.Name))];
        var stretches = new List<(List<EntityField> Fields, List<WrittenEntity> Rows)>();
        foreach (var row in rows)
        {
            var fields = FieldsOf(row);
            if (stretches.Count > 0 && stretches[^1].Fields.SequenceEqual(fields))
                stretches[^1].Rows.Add(row);
            else
                stretches.Add((fields, [row]));
        }
        foreach (var (fields, group) in stretches)
        {
            var stampsAuthors = !fields.Any(f => f.Column == "created_by");
            List<string> columns = ["id", .. fields.Select(f => f.Column), "attrib", .. stampsAuthors ? (string[])["created_by", "updated_by"] : []];
            if (group.Count >= RowsToCheckTogether)
                await DeferForeignKeysAsync(connection, definition, cancellationToken);
            await using var copy = await connection.BeginBinaryImportAsync(
                $"COPY {definition.Table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in group)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid, cancellationToken);
                foreach (var field in fields)
                {
                    var cell = field.ToColumn(row.Values[field.Name]);
                    if (cell is DBNull)
                        await copy.WriteNullAsync(cancellationToken);
                    else
                        await copy.WriteAsync(cell, field.DbType, cancellationToken);
                }
                await copy.WriteAsync((ReadOnlyMemory<byte>)AyonJson.ColumnBytes(row.Values["attrib"] ?? new JsonObject()), NpgsqlDbType.Jsonb, cancellationToken);
                if (stampsAuthors)
                {
                    await copy.WriteAsync(userName, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(userName, NpgsqlDbType.Text, cancellationToken);
                }
            }
            await copy.CompleteAsync(cancellationToken);
        }
    }

    /// <summary>
    /// From how many rows one check of each foreign key costs PostgreSQL less than a trigger per row
    /// (the check plans one statement, a few rows' worth of per-row checks).
    /// </summary>
    const int RowsToCheckTogether = 16;

    /// <summary>
    /// Asks the database to check the foreign keys of the next statement's rows once for all of them,
    /// at its end, instead of by a trigger per row. It declines where that would skip anything
    /// (migration 0021 says when); then the per-row triggers run as usual.
    /// </summary>
    static async Task DeferForeignKeysAsync(NpgsqlConnection connection, EntityDefinition definition, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT public.defer_foreign_keys($1::regclass)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = definition.Table });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes the changed fields (API names; <c>attrib</c> included) and stamps the update.</summary>
    public static async Task UpdateAsync(NpgsqlConnection connection, EntityDefinition definition, Guid id, JsonObject values, IReadOnlyCollection<string> changed, string userName, CancellationToken cancellationToken)
    {
        var fields = definition.AllFields.Where(f => changed.Contains(f.Name)).ToList();
        var sets = fields.Select((f, i) => $"{f.Column} = @p{i}").ToList();
        if (changed.Contains("attrib"))
            sets.Add("attrib = @attrib");
        if (!fields.Any(f => f.Column == "updated_by"))
            sets.Add("updated_by = @user");
        sets.Add("updated_at = now()");
        await using var command = new NpgsqlCommand($"UPDATE {definition.Table} SET {string.Join(", ", sets)} WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        AddFieldParameters(command, fields, values);
        command.Parameters.AddWithValue("attrib", NpgsqlTypes.NpgsqlDbType.Jsonb, (values["attrib"] ?? new JsonObject()).ToJsonString());
        command.Parameters.AddWithValue("user", userName);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task DeleteAsync(NpgsqlConnection connection, EntityDefinition definition, Guid id, CancellationToken cancellationToken)
    {
        // Its descendants go by ON DELETE CASCADE, and every deleted row's links by the tables' triggers (project.sql).
        await using var command = new NpgsqlCommand($"DELETE FROM {definition.Table} WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An entity's version for If-Match: changes whenever the entity is written.</summary>
    public static string ETag(JsonObject entity) =>
        $"\"{DateTimeOffset.Parse(entity["updatedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture).UtcTicks:x}\"";

    static void AddFieldParameters(NpgsqlCommand command, List<EntityField> fields, JsonObject values)
    {
        for (var i = 0; i < fields.Count; i++)
            command.Parameters.Add(new NpgsqlParameter($"p{i}", fields[i].DbType) { Value = fields[i].ToColumn(values[fields[i].Name]) });
    }
}
