using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;

namespace Anvil.Server.Features.Access;

/// <summary>An access group as listed: whether the project overrides the studio definition.</summary>
public sealed record AccessGroupListItem(string Name, bool IsProjectLevel);

/// <summary>
/// Access groups: studio definitions (<c>access_groups</c>) and per-project overrides
/// (<c>project_access_groups</c>). <c>_</c> as the project means the studio. The permission JSON
/// keeps AYON's snake_case shape; writes are for managers.
/// </summary>
public static class AccessGroupEndpoints
{
    const string Studio = "_";

    static readonly string[] AccessTypes = ["assigned", "hierarchy", "children"];

    public static void MapAccessGroupEndpoints(this RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/accessGroups").WithTags("Access groups");
        groups.MapGet("/_schema", Schema).WithName("get_access_group_schema")
            .WithSummary("A JSON schema of the permission model an access group holds.");
        groups.MapGet("/{projectName}", ListAsync).WithName("get_access_groups")
            .WithSummary("The access groups of a project (`_`: the studio), each saying whether the project overrides it.");
        groups.MapGet("/{name}/{projectName}", GetAsync).WithName("get_access_group")
            .WithSummary("The permissions of a group: the project's override if any, else the studio definition.");
        groups.MapPut("/{name}/{projectName}", SetAsync).WithName("save_access_group")
            .WithSummary("Creates or replaces a studio group (`_`) or a project override (managers).");
        groups.MapDelete("/{name}/{projectName}", DeleteAsync).WithName("delete_access_group")
            .WithSummary("Deletes a studio group, or a project override (managers).");
    }

    static JsonObject Schema(CurrentUser user)
    {
        static JsonObject Strings() => new() { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } };
        static JsonObject Restriction(string listKey, JsonObject items) => new()
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["enabled"] = new JsonObject { ["type"] = "boolean", ["default"] = false },
                [listKey] = items,
            },
        };
        static JsonObject Level() => new() { ["type"] = "integer", ["enum"] = new JsonArray(0, 1, 2), ["default"] = 0 };
        var accessItem = new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray("access_type"),
            ["properties"] = new JsonObject
            {
                ["access_type"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. AccessTypes.Select(t => JsonValue.Create(t))]) },
                ["path"] = new JsonObject { ["type"] = "string" },
            },
        };
        var properties = new JsonObject
        {
            ["studio"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["create_projects"] = new JsonObject { ["type"] = "boolean", ["default"] = false },
                    ["list_all_users"] = new JsonObject { ["type"] = "boolean", ["default"] = false },
                },
            },
            ["project"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject { ["anatomy"] = Level(), ["access"] = Level(), ["settings"] = Level() },
            },
        };
        foreach (var block in new[] { "create", "read", "update", "publish", "delete" })
            properties[block] = Restriction("access_list", new JsonObject { ["type"] = "array", ["items"] = accessItem.DeepClone() });
        properties["attrib_read"] = Restriction("attributes", Strings());
        properties["attrib_write"] = Restriction("attributes", Strings());
        properties["attrib_write"]!["properties"]!["fields"] = Strings();
        properties["activities"] = Restriction("activities", Strings());
        properties["actions"] = Restriction("actions", Strings());
        properties["links"] = Restriction("link_types", Strings());
        properties["endpoints"] = Restriction("endpoints", Strings());
        // Anvil: which addons' project settings the group may read and write (docs/settings.md#access).
        properties["addon_settings"] = Restriction("read", Strings());
        properties["addon_settings"]!["properties"]!["write"] = Strings();
        properties["advanced"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["show_sibling_tasks"] = new JsonObject { ["type"] = "boolean", ["default"] = true } },
        };
        return new JsonObject
        {
            ["title"] = "Permissions",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
    }

    static async Task<IReadOnlyList<AccessGroupListItem>> ListAsync(string projectName, CurrentUser user, Db db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (projectName == Studio)
            return [.. (await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM access_groups ORDER BY name", cancellationToken: cancellationToken)))
                .Select(n => new AccessGroupListItem(n, false))];
        await RequireProjectAsync(connection, projectName, user, cancellationToken);
        var rows = await connection.QueryAsync<ListRow>(new CommandDefinition("""
            SELECT name, false AS is_project_level FROM access_groups
            WHERE name NOT IN (SELECT name FROM project_access_groups WHERE project_name = @projectName)
            UNION ALL
            SELECT name, true FROM project_access_groups WHERE project_name = @projectName
            ORDER BY name
            """, new { projectName }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new AccessGroupListItem(r.Name, r.IsProjectLevel))];
    }

    sealed record ListRow
    {
        public string Name { get; init; } = "";
        public bool IsProjectLevel { get; init; }
    }

    static async Task<JsonObject> GetAsync(string name, string projectName, CurrentUser user, Db db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        JsonObject? data = null;
        if (projectName != Studio)
        {
            await RequireProjectAsync(connection, projectName, user, cancellationToken);
            data = await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
                "SELECT data FROM project_access_groups WHERE project_name = @projectName AND name = @name",
                new { projectName, name }, cancellationToken: cancellationToken));
        }
        data ??= await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
            "SELECT data FROM access_groups WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return data ?? throw new NotFound($"Access group {name} not found");
    }

    static async Task<IResult> SetAsync(string name, string projectName, JsonObject body, CurrentUser user, Db db, EventStore events,
        ProjectContexts contexts, CancellationToken cancellationToken)
    {
        user.RequireManager("change access groups");
        if (name.Length is 0 or > 64 || name == Studio || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            throw BadRequest.Field("name", "an access group name has letters, digits, '_', '-' and '.'");
        Validate(body);
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (projectName == Studio)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO access_groups (name, data) VALUES (@name, @body)
                ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, updated_at = now()
                """, new { name, body }, cancellationToken: cancellationToken));
        }
        else
        {
            await RequireProjectAsync(connection, projectName, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO project_access_groups (project_name, name, data) VALUES (@projectName, @name, @body)
                ON CONFLICT (project_name, name) DO UPDATE SET data = EXCLUDED.data, updated_at = now()
                """, new { projectName, name, body }, cancellationToken: cancellationToken));
        }
        await events.DispatchAsync(connection, new NewEvent
        {
            Topic = "access_group.updated",
            User = user.Name,
            Project = projectName == Studio ? null : projectName,
            Description = $"Access group {name} updated",
            Summary = new JsonObject { ["name"] = name },
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // Project contexts carry the groups in force on their project.
        await contexts.ChangedAsync();
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string name, string projectName, CurrentUser user, Db db, EventStore events, AuthCache auth,
        ProjectContexts contexts, CancellationToken cancellationToken)
    {
        user.RequireManager("change access groups");
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int deleted;
        if (projectName == Studio)
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM access_groups WHERE name = @name", new { name }, cancellationToken: cancellationToken));
            if (deleted > 0)
            {
                // Nobody keeps a group that no longer exists (AYON does this in the background).
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM project_access_groups WHERE name = @name", new { name }, cancellationToken: cancellationToken));
                await UserStore.ForgetAccessGroupAsync(connection, name, cancellationToken);
            }
        }
        else
        {
            await RequireProjectAsync(connection, projectName, cancellationToken);
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM project_access_groups WHERE project_name = @projectName AND name = @name",
                new { projectName, name }, cancellationToken: cancellationToken));
        }
        if (deleted == 0)
            throw new NotFound($"Access group {name} not found");
        await events.DispatchAsync(connection, new NewEvent
        {
            Topic = "access_group.deleted",
            User = user.Name,
            Project = projectName == Studio ? null : projectName,
            Description = $"Access group {name} deleted",
            Summary = new JsonObject { ["name"] = name },
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await contexts.ChangedAsync();
        if (projectName == Studio)
            await auth.UsersChangedAsync();
        return Results.NoContent();
    }

    /// <summary>A light check of AYON's permission shape: known blocks, boolean <c>enabled</c>, well-formed access lists.</summary>
    static void Validate(JsonObject body)
    {
        foreach (var (key, value) in body)
        {
            if (!Permissions.Blocks.TryGetValue(key, out var kind))
                throw BadRequest.Field(key, $"unknown permission block '{key}'");
            if (value is null)
                continue;
            if (value is not JsonObject block)
                throw BadRequest.Field(key, "an object is expected");
            if (kind == PermissionBlockKind.Values)
                continue;
            if (block["enabled"] is { } enabled && enabled.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                throw BadRequest.Field($"{key}.enabled", "a boolean is expected");
            if (kind != PermissionBlockKind.Folders || block["access_list"] is null)
                continue;
            if (block["access_list"] is not JsonArray list)
                throw BadRequest.Field($"{key}.access_list", "a list is expected");
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject item || item["access_type"] is not JsonValue t || !t.TryGetValue<string>(out var type))
                    throw BadRequest.Field($"{key}.access_list.{i}.access_type", "field required", "missing");
                if (!AccessTypes.Contains(type))
                    throw BadRequest.Field($"{key}.access_list.{i}.access_type", $"one of {string.Join(", ", AccessTypes)} expected");
                if (type != "assigned" && (item["path"] is not JsonValue p || !p.TryGetValue<string>(out var path) || path.Length == 0))
                    throw BadRequest.Field($"{key}.access_list.{i}.path", "a folder path is required", "missing");
            }
        }
    }

    /// <summary>
    /// 404 when the project does not exist, 403 when the user may not open it (as every project
    /// route answers): a project's overrides show its folder paths.
    /// </summary>
    static async Task RequireProjectAsync(Npgsql.NpgsqlConnection connection, string projectName, CurrentUser user, CancellationToken cancellationToken)
    {
        await RequireProjectAsync(connection, projectName, cancellationToken);
        if (!ProjectAccess.MayEnter(user, projectName))
            throw new Forbidden("No access group assigned on this project");
    }

    static async Task RequireProjectAsync(Npgsql.NpgsqlConnection connection, string projectName, CancellationToken cancellationToken)
    {
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM projects WHERE name = @projectName)", new { projectName }, cancellationToken: cancellationToken)))
            throw new NotFound($"Project {projectName} not found", "project-not-found");
    }
}
