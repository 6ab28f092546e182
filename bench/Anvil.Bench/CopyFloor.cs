using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Anvil.Bench;

/// <summary>
/// The floor of ingest: the rows the seed wrote — every entity and its creation event — written
/// again with binary COPY into scratch copies of the project's tables (same columns, defaults and
/// indexes; no foreign keys), in a schema dropped afterwards.
/// </summary>
public sealed class CopyFloor(Settings settings)
{
    const string Scratch = "bench_copy_floor";

    /// <summary>
    /// The faster of two copies: on a shared machine one copy may meet a checkpoint or another
    /// process, and a disturbed floor would flatter the seed's ratio (docs/benchmarks.md, tenth round).
    /// </summary>
    public async Task<double> BestEntitiesPerSecondAsync(int seed, int sequences = BigFeature.FullSequences) =>
        Math.Max(await EntitiesPerSecondAsync(seed, sequences), await EntitiesPerSecondAsync(seed, sequences));

    public async Task<double> EntitiesPerSecondAsync(int seed, int sequences = BigFeature.FullSequences)
    {
        var shape = new BigFeature(settings.Project, seed, sequences);
        var project = $"project_{settings.Project.ToLowerInvariant()}";
        await using var database = NpgsqlDataSource.Create(settings.ConnectionString);
        await using var connection = await database.OpenConnectionAsync();
        // One COPY at a time per connection: events go through a second one.
        await using var eventConnection = await database.OpenConnectionAsync();
        await ExecuteAsync(connection, $"DROP SCHEMA IF EXISTS {Scratch} CASCADE; CREATE SCHEMA {Scratch}; CREATE SEQUENCE {Scratch}.creation_order;");
        var statuses = new Dictionary<string, string>();
        foreach (var (type, _) in shape.Levels)
        {
            await ExecuteAsync(connection, $"""
                CREATE TABLE {Scratch}.{type}s (LIKE {project}.{type}s INCLUDING ALL);
                ALTER TABLE {Scratch}.{type}s ALTER creation_order SET DEFAULT nextval('{Scratch}.creation_order');
                """);
            await using var status = new NpgsqlCommand($"SELECT status FROM {project}.{type}s LIMIT 1", connection);
            statuses[type] = (string)(await status.ExecuteScalarAsync())!;
        }
        await ExecuteAsync(connection, $"""
            CREATE TABLE {Scratch}.events (LIKE public.events INCLUDING ALL);
            ALTER TABLE {Scratch}.events ALTER creation_order SET DEFAULT nextval('{Scratch}.creation_order');
            """);

        // The rows are made before the clock starts, as the seed's request bodies are.
        var levels = shape.Levels.Select(level => (level.Type, Rows: Rows(level.Type, statuses[level.Type], level.Entities))).ToList();
        try
        {
            var clock = Stopwatch.StartNew();
            var count = 0;
            foreach (var (type, rows) in levels)
                count += await CopyAsync(connection, eventConnection, type, rows);
            clock.Stop();
            Console.WriteLine($"copy floor: {count:N0} entities and their events in {clock.Elapsed.TotalSeconds:F1} s = {count / clock.Elapsed.TotalSeconds:N0} entities/s");
            return count / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await ExecuteAsync(connection, $"DROP SCHEMA {Scratch} CASCADE");
        }
    }

    /// <summary>An entity's row and its event's row: each column's value with its type, in the COPY's column order.</summary>
    sealed record Row((object? Value, NpgsqlDbType Type)[] Entity, (object? Value, NpgsqlDbType Type)[] Event);

    List<Row> Rows(string type, string status, IEnumerable<Entity> entities)
    {
        var columns = Columns(type);
        var exported = new Dictionary<Guid, JsonObject>();
        var rows = new List<Row>();
        foreach (var entity in entities)
        {
            var eventId = Guid.CreateVersion7();
            rows.Add(new Row(
            [
                (entity.Id, NpgsqlDbType.Uuid),
                .. columns.Select(c => c.Value(entity, exported)),
                (entity.Data["attrib"]?.ToJsonString() ?? "{}", NpgsqlDbType.Jsonb),
                (entity.Data["data"]?.ToJsonString() ?? "{}", NpgsqlDbType.Jsonb),
                (status, NpgsqlDbType.Text),
                ("service", NpgsqlDbType.Text),
                ("service", NpgsqlDbType.Text),
            ],
            [
                (eventId, NpgsqlDbType.Uuid),
                (eventId.ToString("N"), NpgsqlDbType.Text),
                ($"entity.{type}.created", NpgsqlDbType.Text),
                ("anvil-bench", NpgsqlDbType.Text),
                (settings.Project, NpgsqlDbType.Text),
                ("service", NpgsqlDbType.Text),
                ($"Created {type} {entity.Path ?? entity.Data["name"]?.ToString()}", NpgsqlDbType.Text),
                (new JsonObject { ["entityId"] = entity.Id.ToString("N"), ["parentId"] = entity.ParentId?.ToString("N") }.ToJsonString(), NpgsqlDbType.Jsonb),
            ]));
        }
        return rows;
    }

    static async Task<int> CopyAsync(NpgsqlConnection connection, NpgsqlConnection eventConnection, string type, List<Row> rows)
    {
        await using (var entityCopy = await connection.BeginBinaryImportAsync(
            $"COPY {Scratch}.{type}s (id, {string.Join(", ", Columns(type).Select(c => c.Column))}, attrib, data, status, created_by, updated_by) FROM STDIN (FORMAT BINARY)"))
        await using (var eventCopy = await eventConnection.BeginBinaryImportAsync(
            $"COPY {Scratch}.events (id, hash, topic, sender, project_name, user_name, description, summary) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                await entityCopy.StartRowAsync();
                foreach (var column in row.Entity)
                    await WriteAsync(entityCopy, column);
                await eventCopy.StartRowAsync();
                foreach (var column in row.Event)
                    await WriteAsync(eventCopy, column);
            }
            await entityCopy.CompleteAsync();
            await eventCopy.CompleteAsync();
        }
        return rows.Count;
    }

    /// <summary>The columns of a type besides id, attrib, data, status and the authors: name and a value (with its type) per entity.</summary>
    static (string Column, Func<Entity, Dictionary<Guid, JsonObject>, (object? Value, NpgsqlDbType Type)> Value)[] Columns(string type)
    {
        static (object?, NpgsqlDbType) Text(Entity e, string field) => (e.Data[field]?.GetValue<string>(), NpgsqlDbType.Text);
        static (object?, NpgsqlDbType) Id(Entity e, string field) => (e.Data[field] is { } id ? Guid.Parse(id.GetValue<string>()) : null, NpgsqlDbType.Uuid);
        return type switch
        {
            "folder" =>
            [
                ("name", (e, _) => Text(e, "name")), ("folder_type", (e, _) => Text(e, "folderType")), ("parent_id", (e, _) => Id(e, "parentId")),
                ("path", (e, _) => (e.Path, NpgsqlDbType.Text)),
                // What children inherit: the parent's set with this folder's own values on top (the server derives it too).
                ("exported_attrib", (e, exported) =>
                {
                    var inherited = e.ParentId is { } parent ? (JsonObject)exported[parent].DeepClone() : [];
                    foreach (var (key, value) in e.Data["attrib"]!.AsObject())
                        inherited[key] = value?.DeepClone();
                    exported[e.Id] = inherited;
                    return (inherited.ToJsonString(), NpgsqlDbType.Jsonb);
                }),
            ],
            "task" =>
            [
                ("name", (e, _) => Text(e, "name")), ("task_type", (e, _) => Text(e, "taskType")), ("folder_id", (e, _) => Id(e, "folderId")),
                ("assignees", (e, _) => (e.Data["assignees"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)),
            ],
            "product" =>
            [
                ("name", (e, _) => Text(e, "name")), ("product_type", (e, _) => Text(e, "productType")),
                ("product_base_type", (e, _) => Text(e, "productType")), ("folder_id", (e, _) => Id(e, "folderId")),
            ],
            "version" =>
            [
                ("version", (e, _) => (e.Data["version"]!.GetValue<int>(), NpgsqlDbType.Integer)), ("product_id", (e, _) => Id(e, "productId")),
                ("task_id", (e, _) => Id(e, "taskId")), ("author", (_, _) => ("service", NpgsqlDbType.Text)),
            ],
            _ =>
            [
                ("name", (e, _) => Text(e, "name")), ("version_id", (e, _) => Id(e, "versionId")),
                ("files", (e, _) => (e.Data["files"]!.ToJsonString(), NpgsqlDbType.Jsonb)),
            ],
        };
    }

    static async Task WriteAsync(NpgsqlBinaryImporter copy, (object? Value, NpgsqlDbType Type) column)
    {
        if (column.Value is null)
            await copy.WriteNullAsync();
        else
            await copy.WriteAsync(column.Value, column.Type);
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
