using System.Buffers;
using System.Data.Common;
using System.Text.Json;
using Anvil.Server.Features.Folders;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Anvil.Bench;

/// <summary>
/// The floor of HTTP + database on this machine: a minimal ASP.NET Core app that runs, for each read
/// the bench measures, the SQL that answers it through Npgsql and writes the rows as JSON — no
/// authentication, no validation, no GraphQL, no object model. A server figure divided by its floor
/// is what the server adds.
/// </summary>
public static class FloorApp
{
    /// <summary>GET /api/projects/{p}/folders/{id}: the server's folder SELECT.</summary>
    static readonly string FolderByIdSql = FolderEntity.Definition.Select + "\nWHERE e.id = @id";

    /// <summary>GET /api/projects/{p}/folders: the server's list query, without attributes (the request asks none), for a user who reads everything.</summary>
    static readonly string FolderListSql = FolderEndpoints.ListSql(readable: "true", withAttributes: false);

    // The GraphQL reads: the rows and fields the client's queries ask for (GraphQlQueries), in plain SQL.
    const string FolderColumns = """
        e.id, e.name, e.label, e.folder_type AS "folderType", '/' || e.path AS path, e.parent_id AS "parentId", e.active,
        e.thumbnail_id AS "thumbnailId", e.data, e.status, e.tags,
        COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || e.attrib AS "allAttrib", e.attrib AS "ownAttrib",
        EXISTS (SELECT FROM products pr WHERE pr.folder_id = e.id) AS "hasProducts"
        """;

    const string HierarchyFoldersSql = $"SELECT {FolderColumns} FROM folders e LEFT JOIN folders p ON p.id = e.parent_id ORDER BY e.creation_order";

    const string HierarchyTasksSql = """
        SELECT e.id, e.name, e.label, e.task_type AS "taskType", e.folder_id AS "folderId", e.active, e.thumbnail_id AS "thumbnailId",
               e.assignees, e.data, e.status, e.tags, f.exported_attrib || e.attrib AS "allAttrib", e.attrib AS "ownAttrib"
        FROM tasks e JOIN folders f ON f.id = e.folder_id
        ORDER BY e.creation_order
        """;

    const string FolderByPathSql = $"SELECT {FolderColumns} FROM folders e LEFT JOIN folders p ON p.id = e.parent_id WHERE e.path = @path";

    const string LoaderVersionsSql = """
        SELECT e.id, CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END AS name, e.version,
               e.product_id AS "productId", e.task_id AS "taskId", e.active, e.author, e.thumbnail_id AS "thumbnailId",
               e.created_at AS "createdAt", e.updated_at AS "updatedAt", e.data, e.status, e.tags, e.attrib AS "allAttrib"
        FROM versions e WHERE e.product_id = ANY(@ids) ORDER BY e.creation_order
        """;

    const string LoaderRepresentationsSql = """
        SELECT e.id, e.name, e.data -> 'context' AS context, e.created_at AS "createdAt", e.active, e.version_id AS "versionId",
               e.data, e.status, e.tags, e.traits, e.files, e.attrib AS "allAttrib"
        FROM representations e WHERE e.version_id = ANY(@ids) ORDER BY e.creation_order
        """;

    // The project leads the order, as the server's (EventsQuery): read from the project's index in order.
    const string EventsSql = """
        SELECT id, hash, created_at AS "createdAt", depends_on AS "dependsOn", description, project_name AS project, retries, sender,
               status, topic, updated_at AS "updatedAt", user_name AS "user"
        FROM events WHERE project_name = ANY(ARRAY[@project]) AND topic NOT LIKE 'log.%'
        ORDER BY project_name DESC, creation_order DESC LIMIT 100
        """;

    /// <param name="parent">The bench's process: the floor ends with it (in a session of its own, a Ctrl-C of the bench does not reach it); 0 for none.</param>
    public static async Task RunAsync(Settings settings, int port, int parent = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();

        var connectionString = new NpgsqlConnectionStringBuilder(settings.ConnectionString)
        {
            SearchPath = $"project_{settings.Project.ToLowerInvariant()}, public",
            NoResetOnClose = true, // as the server's pool: nothing here leaves session state
        }.ConnectionString;
        await using var database = NpgsqlDataSource.Create(connectionString);
        string inheritedByRoots;
        await using (var command = database.CreateCommand("SELECT attrib::text FROM public.projects WHERE name = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = settings.Project });
            inheritedByRoots = (string?)await command.ExecuteScalarAsync() ?? "{}";
        }

        // The same work as the server's /api/info for the bench's caller: its answer, bytes for bytes,
        // held as a constant (the server's changes only in its uptime).
        byte[] info;
        using (var server = settings.CreateClient())
            info = await server.GetByteArrayAsync("/api/info");
        app.MapGet("/api/info", () => Results.Bytes(info, "application/json"));
        app.MapGet("/folders/{id:guid}", (Guid id, HttpContext http) =>
            WriteAsync(http, database, [(FolderByIdSql, [new("id", id), new("inheritedByRoots", inheritedByRoots)])], single: true));
        app.MapGet("/folders", (HttpContext http) =>
            WriteAsync(http, database, [(FolderListSql, [new("inheritedByRoots", inheritedByRoots)])]));
        app.MapGet("/hierarchy", (HttpContext http) =>
            WriteAsync(http, database, [(HierarchyFoldersSql, [new("inheritedByRoots", inheritedByRoots)]), (HierarchyTasksSql, [])]));
        app.MapGet("/folder-by-path", (string path, HttpContext http) =>
            WriteAsync(http, database, [(FolderByPathSql, [new("path", path.Trim('/')), new("inheritedByRoots", inheritedByRoots)])]));
        app.MapGet("/versions", (string ids, HttpContext http) =>
            WriteAsync(http, database, [(LoaderVersionsSql, [new("ids", Ids(ids))])]));
        app.MapGet("/representations", (string ids, HttpContext http) =>
            WriteAsync(http, database, [(LoaderRepresentationsSql, [new("ids", Ids(ids))])]));
        app.MapGet("/events", (HttpContext http) =>
            WriteAsync(http, database, [(EventsSql, [new("project", settings.Project)])]));
        if (parent > 0)
            _ = Task.Run(async () =>
            {
                while (Directory.Exists($"/proc/{parent}"))
                    await Task.Delay(TimeSpan.FromSeconds(1));
                await app.StopAsync();
            });
        await app.RunAsync();
    }

    static Guid[] Ids(string commaSeparated) => [.. commaSeparated.Split(',').Select(Guid.Parse)];

    /// <summary>Runs the queries on one connection and writes their rows: one object, or an array per query.</summary>
    static async Task WriteAsync(HttpContext http, NpgsqlDataSource database, (string Sql, NpgsqlParameter[] Parameters)[] queries, bool single = false)
    {
        await using var connection = await database.OpenConnectionAsync(http.RequestAborted);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        await using (var json = new Utf8JsonWriter(buffer))
        {
            if (!single)
                json.WriteStartObject();
            for (var q = 0; q < queries.Length; q++)
            {
                await using var command = new NpgsqlCommand(queries[q].Sql, connection);
                command.Parameters.AddRange(queries[q].Parameters);
                await using var reader = await command.ExecuteReaderAsync(http.RequestAborted);
                if (!single)
                    json.WriteStartArray($"rows{q}");
                while (await reader.ReadAsync(http.RequestAborted))
                    WriteRow(json, reader);
                if (!single)
                    json.WriteEndArray();
            }
            if (!single)
                json.WriteEndObject();
        }
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    static void WriteRow(Utf8JsonWriter json, DbDataReader reader)
    {
        json.WriteStartObject();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (reader.IsDBNull(i))
                continue;
            json.WritePropertyName(reader.GetName(i));
            switch (reader.GetValue(i))
            {
                case Guid id: json.WriteStringValue(id.ToString("N")); break;
                case string text when reader.GetDataTypeName(i) is "jsonb" or "json": json.WriteRawValue(text, skipInputValidation: true); break;
                case string text: json.WriteStringValue(text); break;
                case bool flag: json.WriteBooleanValue(flag); break;
                case int number: json.WriteNumberValue(number); break;
                case long number: json.WriteNumberValue(number); break;
                case DateTime time: json.WriteStringValue(new DateTimeOffset(time, TimeSpan.Zero)); break;
                case string[] texts:
                    json.WriteStartArray();
                    foreach (var text in texts)
                        json.WriteStringValue(text);
                    json.WriteEndArray();
                    break;
                case var other: json.WriteStringValue(other.ToString()); break;
            }
        }
        json.WriteEndObject();
    }
}
