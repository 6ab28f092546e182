using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Folders;

/// <summary>A free-text folder search.</summary>
public sealed record FolderSearchRequest
{
    /// <summary>Words that must all appear in the folder's name, label or path (case-insensitive); a comma separates alternatives.</summary>
    public string? Search { get; init; }
}

public sealed record FolderSearchResponse(IReadOnlyList<string> FolderIds);

/// <summary>The folder-only routes: the flat list, the nested hierarchy and the search.</summary>
public static class FolderEndpoints
{
    const string AttributeColumns = """COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || e.attrib AS attrib, e.attrib AS "ownAttrib",""";

    /// <summary>
    /// One query for the whole tree: each folder with its task names; paths without the leading
    /// slash (AYON's list form). Attributes only when asked for: they are most of a row's weight.
    /// </summary>
    public static string ListSql(string readable, bool withAttributes) => $$"""
        SELECT e.id, e.path, e.parent_id AS "parentId", e.name, e.label, e.folder_type AS "folderType",
               e.status, e.tags, e.thumbnail_id AS "thumbnailId",
               COALESCE(string_to_array(p.path, '/'), '{}') AS parents,
               EXISTS (SELECT FROM folders c WHERE c.parent_id = e.id) AS "hasChildren",
               COALESCE(t.names, '{}') <> '{}' AS "hasTasks",
               COALESCE(t.names, '{}') AS "taskNames",
               {{(withAttributes ? AttributeColumns : "")}}
               e.created_at AS "createdAt", e.updated_at AS "updatedAt"
        FROM folders e
        LEFT JOIN folders p ON p.id = e.parent_id
        LEFT JOIN LATERAL (SELECT array_agg(name ORDER BY name) AS names FROM tasks WHERE folder_id = e.id) t ON true
        WHERE e.active AND {{readable}}
        ORDER BY e.path
        """;

    public static void MapFolderEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/projects/{projectName}").WithTags("folders");
        group.MapGet("/folders", ListAsync).WithName("get_folder_list")
            .WithSummary("Every active folder of the project, flat, in path order; attributes on request.");
        group.MapGet("/hierarchy", HierarchyAsync).WithName("get_folder_hierarchy")
            .WithSummary("The folder tree, nested; with types, a flat list of the folders of those types.");
        group.MapPost("/folders/search", SearchAsync).WithName("search_folders")
            .WithSummary("Ids of the folders whose name, label or path match the search.");
    }

    /// <summary>
    /// Streamed row by row: a big project's list is megabytes of JSON, and building it whole for each
    /// of many concurrent requests was most of the server's memory.
    /// </summary>
    static async Task ListAsync(string projectName, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts, bool attrib = false)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        await using var command = ReadCommand(session, withAttributes: attrib);
        await using var reader = await command.ExecuteReaderAsync(http.RequestAborted);
        http.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteStartArray("folders");
        var count = 0;
        while (await reader.ReadAsync(http.RequestAborted))
        {
            var folder = session.Access.FilterAttributes(JsonRows.Read(reader));
            if (folder["ownAttrib"] is JsonObject own)
                folder["ownAttrib"] = new JsonArray([.. own.Select(p => (JsonNode?)p.Key)]);
            folder.WriteTo(json);
            if (++count % 256 == 0)
                await json.FlushAsync(http.RequestAborted);
        }
        json.WriteEndArray();
        json.WriteString("detail", $"{count} folders");
        json.WriteEndObject();
    }

    /// <summary>
    /// Prepared hierarchies (serialized and gzipped once) by project, reader's access and query. Each
    /// carries the generation of the project's hierarchy it was built from; it is served only while the
    /// project still has that generation, so a write through any instance — or behind the server's
    /// back — retires it at the next request, with no message between instances.
    /// </summary>
    static readonly ConcurrentDictionary<string, (string Stamp, string ETag, PreparedJson Answer)> PreparedHierarchies = new();
    const int MaxPreparedHierarchies = 512;

    /// <summary>
    /// What the hierarchy was built from: the project's hierarchy generation, which every transaction
    /// that writes folders or tasks bumps as it commits (a trigger, migration 0016), and the epoch of
    /// this creation of the project. One row: a 304 no longer scans the tables.
    /// </summary>
    const string HierarchyStampSql = "SELECT epoch::text || ':' || generation FROM hierarchy_generation";

    static async Task<IResult> HierarchyAsync(string projectName, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts, string? types = null)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        string stamp;
        await using (var stampCommand = new NpgsqlCommand(HierarchyStampSql, session.Connection))
            stamp = (string)(await stampCommand.ExecuteScalarAsync(http.RequestAborted))!;
        var readable = session.Access.ReadCondition(FolderEntity.Definition) ?? "true";
        var key = string.Join('\n', session.Project.Name, readable,
            string.Join(',', session.Access.Parameters.Select(p => $"{p.Name}={JsonSerializer.Serialize(p.Value)}")), types ?? "");
        http.Response.Headers.CacheControl = "private, no-cache";
        if (PreparedHierarchies.TryGetValue(key, out var prepared) && prepared.Stamp == stamp)
        {
            http.Response.Headers.ETag = prepared.ETag;
            return IsNotModified(http, prepared.ETag) ? Results.StatusCode(StatusCodes.Status304NotModified) : prepared.Answer.ToResult(http);
        }
        var answer = new PreparedJson(BuildHierarchy(session.Project.Name, await ReadAsync(session, withAttributes: false, http.RequestAborted), types));
        var etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key + "\n" + stamp)))[..32] + "\"";
        if (PreparedHierarchies.Count >= MaxPreparedHierarchies)
            PreparedHierarchies.Clear();
        PreparedHierarchies[key] = (stamp, etag, answer);
        http.Response.Headers.ETag = etag;
        return IsNotModified(http, etag) ? Results.StatusCode(StatusCodes.Status304NotModified) : answer.ToResult(http);
    }

    static bool IsNotModified(HttpContext http, string etag) =>
        http.Request.Headers.IfNoneMatch.Any(value => value is not null
            && value.Split(',', StringSplitOptions.TrimEntries).Any(tag => tag == etag || tag == "W/" + etag || tag == "*"));

    static JsonObject BuildHierarchy(string projectName, List<JsonObject> folders, string? types)
    {
        JsonArray hierarchy;
        if (!string.IsNullOrWhiteSpace(types))
        {
            var wanted = types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            hierarchy = new JsonArray([.. folders.Where(f => wanted.Contains(f["folderType"]!.GetValue<string>()))]);
        }
        else
        {
            // Paths sort parents before children, so each folder's parent is already placed.
            var byId = new Dictionary<string, JsonObject>();
            hierarchy = [];
            foreach (var folder in folders)
            {
                folder["children"] = new JsonArray();
                byId[folder["id"]!.GetValue<string>()] = folder;
                var parentId = folder["parentId"]?.GetValue<string>();
                if (parentId is not null && byId.TryGetValue(parentId, out var parent))
                    parent["children"]!.AsArray().Add(folder);
                else if (parentId is null)
                    hierarchy.Add(folder);
            }
        }
        return new JsonObject { ["detail"] = $"Hierarchy of {projectName}", ["projectName"] = projectName, ["hierarchy"] = hierarchy };
    }

    static async Task<FolderSearchResponse> SearchAsync(string projectName, FolderSearchRequest request, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var parameters = new DynamicParameters();
        foreach (var (name, value) in session.Access.Parameters)
            parameters.Add(name, value);
        var definition = FolderEntity.Definition;
        var matches = SqlText.SearchCondition(request.Search ?? "", definition.SearchColumns, "search", parameters) ?? "true";
        var readable = session.Access.ReadCondition(definition) ?? "true";
        var ids = (await session.Connection.QueryAsync<Guid>(new CommandDefinition(
            $"SELECT e.id FROM folders e WHERE e.active AND {readable} AND {matches} ORDER BY e.path", parameters, cancellationToken: http.RequestAborted)))
            .Select(id => id.ToString("N")).ToList();
        return new FolderSearchResponse(ids);
    }

    /// <summary>The active folders the session's user may read, attributes they may not read left out.</summary>
    static async Task<List<JsonObject>> ReadAsync(ProjectSession session, bool withAttributes, CancellationToken cancellationToken)
    {
        await using var command = ReadCommand(session, withAttributes);
        var folders = await JsonRows.ReadAsync(command, cancellationToken);
        folders.ForEach(f => session.Access.FilterAttributes(f));
        return folders;
    }

    /// <summary>The list query for what the session's user may read.</summary>
    static NpgsqlCommand ReadCommand(ProjectSession session, bool withAttributes)
    {
        var command = new NpgsqlCommand(ListSql(session.Access.ReadCondition(FolderEntity.Definition) ?? "true", withAttributes), session.Connection);
        command.Parameters.AddWithValue("inheritedByRoots", session.Project.InheritedByRoots.ToJsonString());
        foreach (var (name, value) in session.Access.Parameters)
            command.Parameters.AddWithValue(name, value);
        return command;
    }
}
