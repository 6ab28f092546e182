using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Anvil.Server.Features.Views;

/// <summary>
/// <c>/api/views/{viewType}</c>: the web UI's saved table layouts (columns, filters, sorting, grouping),
/// in one project (<c>?project_name=</c>) or studio-wide. Everyone sees their own views and the public
/// ones; a working view is private and one per user and scope; the view labelled <c>__base__</c> is
/// the scope's starting point for new working views, shared, and kept by managers.
/// </summary>
public static partial class ViewEndpoints
{
    /// <summary>The label that marks a scope's base view (the web UI's constant).</summary>
    const string BaseLabel = "__base__";

    // The web UI's access levels: 10 read, 20 update, 30 manage.
    const int ReadAccess = 10;
    const int UpdateAccess = 20;
    const int ManageAccess = 30;

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    public static void MapViewEndpoints(this RouteGroupBuilder api)
    {
        var views = api.MapGroup("/views/{viewType}").WithTags("Views");
        views.MapGet("", ListAsync).WithName("list_views")
            .WithSummary("The views of a type the user may see: their own and the public ones, in the project and studio-wide.");
        views.MapPost("", CreateAsync).WithName("create_view")
            .WithSummary("Saves a view; a working view replaces the user's working view of the scope.");
        views.MapGet("/working", GetWorkingAsync).WithName("get_working_view")
            .WithSummary("The user's working view of the scope (404 when there is none).");
        views.MapGet("/base", GetBaseAsync).WithName("get_base_view")
            .WithSummary("The scope's base view, the one labelled __base__ (404 when there is none).");
        views.MapGet("/default", GetDefaultAsync).WithName("get_default_view")
            .WithSummary("The view the user opens the table with: the one they chose, else their working view (404 when neither exists).");
        views.MapPost("/default", SetDefaultAsync).WithName("set_default_view")
            .WithSummary("Chooses the view the user opens the table with.");
        views.MapGet("/{viewId}", GetAsync).WithName("get_view");
        views.MapPatch("/{viewId}", PatchAsync).WithName("update_view")
            .WithSummary("Changes a view's label, settings, visibility, position or owner (its owner, or an admin).");
        views.MapDelete("/{viewId}", DeleteAsync).WithName("delete_view")
            .WithSummary("Deletes a view (its owner, a manager for shared ones, or an admin).");
    }

    sealed record ViewRow
    {
        public string Id { get; init; } = "";
        public string ViewType { get; init; } = "";
        public string? ProjectName { get; init; }
        public string Label { get; init; } = "";
        public string Owner { get; init; } = "";
        public string Visibility { get; init; } = "private";
        public bool Working { get; init; }
        public int Position { get; init; }
        public JsonObject Settings { get; init; } = [];
        public JsonObject Access { get; init; } = [];
    }

    const string Columns = "id, view_type, project_name, label, owner, visibility, working, position, settings, access";

    static async Task<IResult> ListAsync(string viewType, [FromQuery(Name = "project_name")] string? projectName, CurrentUser user, Db db,
        CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        var rows = await connection.QueryAsync<ViewRow>(new CommandDefinition($"""
            SELECT {Columns} FROM views
            WHERE view_type = @viewType
              AND (project_name IS NULL OR project_name = @projectName)
              AND (owner = @user OR (visibility = 'public' AND NOT working))
            ORDER BY project_name NULLS FIRST, position, label, id
            """, new { viewType, projectName, user = user.Name }, cancellationToken: cancellationToken));
        var items = new JsonArray();
        foreach (var row in rows)
        {
            var item = Summary(row, user);
            items.Add(item);
        }
        return Results.Json(new JsonObject { ["views"] = items }, AyonJson.Options);
    }

    static async Task<IResult> CreateAsync(string viewType, [FromQuery(Name = "project_name")] string? projectName, JsonObject body,
        CurrentUser user, Db db, CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        var label = RequiredString(body, "label");
        var working = Bool(body, "working") ?? false;
        var id = OptionalString(body, "id") ?? Guid.NewGuid().ToString("N");
        if (!IdPattern().IsMatch(id))
            throw BadRequest.Field("id", "letters, digits, '_' and '-' only, at most 64");
        var settings = body["settings"] switch
        {
            null => new JsonObject(),
            JsonObject o => o,
            _ => throw BadRequest.Field("settings", "an object is expected"),
        };
        var isBase = label == BaseLabel && !working;
        if (isBase)
            user.RequireManager("save a base view");
        var visibility = working ? "private" : isBase ? "public" : Visibility(body) ?? "private";
        if (visibility == "public" && !isBase && projectName is null)
            user.RequireManager("share a studio-wide view");

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        if (working)
            await connection.ExecuteAsync(new CommandDefinition("""
                DELETE FROM views WHERE owner = @user AND view_type = @viewType AND project_name IS NOT DISTINCT FROM @projectName AND working
                """, new { user = user.Name, viewType, projectName }, transaction, cancellationToken: cancellationToken));
        if (isBase)
            await connection.ExecuteAsync(new CommandDefinition("""
                DELETE FROM views WHERE label = @label AND view_type = @viewType AND project_name IS NOT DISTINCT FROM @projectName AND NOT working
                """, new { label = BaseLabel, viewType, projectName }, transaction, cancellationToken: cancellationToken));
        var existing = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT owner FROM views WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (existing is not null)
            throw new Conflict($"View {id} already exists");
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO views (id, view_type, project_name, label, owner, visibility, working, position, settings)
            VALUES (@id, @viewType, @projectName, @label, @owner, @visibility, @working,
                    (SELECT coalesce(max(position) + 1, 0) FROM views WHERE view_type = @viewType AND project_name IS NOT DISTINCT FROM @projectName),
                    @settings)
            """, new { id, viewType, projectName, label, owner = user.Name, visibility, working, settings }, transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return Results.Json(new JsonObject { ["id"] = id }, AyonJson.Options);
    }

    static Task<IResult> GetWorkingAsync(string viewType, [FromQuery(Name = "project_name")] string? projectName, CurrentUser user, Db db,
        CancellationToken cancellationToken) =>
        FindAsync(viewType, projectName, user, db, "owner = @user AND working", "working view", cancellationToken);

    static Task<IResult> GetBaseAsync(string viewType, [FromQuery(Name = "project_name")] string? projectName, CurrentUser user, Db db,
        CancellationToken cancellationToken) =>
        FindAsync(viewType, projectName, user, db, $"label = '{BaseLabel}' AND NOT working", "base view", cancellationToken);

    static async Task<IResult> GetDefaultAsync(string viewType, [FromQuery(Name = "project_name")] string? projectName, CurrentUser user, Db db,
        CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ViewRow>(new CommandDefinition($"""
            SELECT {Columns} FROM views
            WHERE id = (SELECT view_id FROM default_views WHERE user_name = @user AND view_type = @viewType AND project_name = coalesce(@projectName, ''))
              AND (owner = @user OR visibility = 'public')
            """, new { viewType, projectName, user = user.Name }, cancellationToken: cancellationToken))
            ?? await connection.QuerySingleOrDefaultAsync<ViewRow>(new CommandDefinition($"""
            SELECT {Columns} FROM views
            WHERE owner = @user AND working AND view_type = @viewType AND project_name IS NOT DISTINCT FROM @projectName
            """, new { viewType, projectName, user = user.Name }, cancellationToken: cancellationToken))
            ?? throw new NotFound($"No default {viewType} view");
        return Results.Json(Full(row, user), AyonJson.Options);
    }

    static async Task<IResult> SetDefaultAsync(string viewType, [FromQuery(Name = "project_name")] string? projectName, JsonObject body,
        CurrentUser user, Db db, CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        var viewId = RequiredString(body, "viewId");
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        var row = await VisibleAsync(connection, viewType, viewId, projectName, user, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO default_views (user_name, view_type, project_name, view_id) VALUES (@user, @viewType, coalesce(@projectName, ''), @id)
            ON CONFLICT (user_name, view_type, project_name) DO UPDATE SET view_id = excluded.view_id
            """, new { user = user.Name, viewType, projectName, id = row.Id }, cancellationToken: cancellationToken));
        return Results.NoContent();
    }

    static async Task<IResult> GetAsync(string viewType, string viewId, [FromQuery(Name = "project_name")] string? projectName, CurrentUser user,
        Db db, CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        return Results.Json(Full(await VisibleAsync(connection, viewType, viewId, projectName, user, cancellationToken), user), AyonJson.Options);
    }

    static async Task<IResult> PatchAsync(string viewType, string viewId, [FromQuery(Name = "project_name")] string? projectName, JsonObject body,
        CurrentUser user, Db db, CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        var row = await VisibleAsync(connection, viewType, viewId, projectName, user, cancellationToken);
        if (AccessLevel(row, user) < UpdateAccess)
            throw new Forbidden("Only the view's owner may change it");
        var label = body.ContainsKey("label") ? RequiredString(body, "label") : row.Label;
        var settings = body["settings"] switch
        {
            null => row.Settings,
            JsonObject o => o,
            _ => throw BadRequest.Field("settings", "an object is expected"),
        };
        var visibility = row.Working ? "private" : Visibility(body) ?? row.Visibility;
        var owner = OptionalString(body, "owner") ?? row.Owner;
        if (owner != row.Owner && !user.IsAdmin)
            throw new Forbidden("Only admins may give a view to another user");
        var position = body["position"] switch
        {
            null => row.Position,
            JsonValue v when v.TryGetValue<int>(out var p) => p,
            _ => throw BadRequest.Field("position", "an integer is expected"),
        };
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE views SET label = @label, settings = @settings, visibility = @visibility, owner = @owner, position = @position, updated_at = now()
                WHERE id = @id
                """, new { id = row.Id, label, settings, visibility, owner, position }, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw BadRequest.Field("owner", $"user {owner} does not exist");
        }
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string viewType, string viewId, [FromQuery(Name = "project_name")] string? projectName, CurrentUser user,
        Db db, CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        var row = await VisibleAsync(connection, viewType, viewId, projectName, user, cancellationToken);
        if (AccessLevel(row, user) < ManageAccess)
            throw new Forbidden("Only the view's owner may delete it");
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM views WHERE id = @id", new { id = row.Id }, cancellationToken: cancellationToken));
        return Results.NoContent();
    }

    static async Task<IResult> FindAsync(string viewType, string? projectName, CurrentUser user, Db db, string condition, string what,
        CancellationToken cancellationToken)
    {
        ValidateType(viewType);
        await using var connection = await db.OpenAsync(cancellationToken);
        projectName = await ScopeAsync(connection, projectName, user, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ViewRow>(new CommandDefinition($"""
            SELECT {Columns} FROM views
            WHERE view_type = @viewType AND project_name IS NOT DISTINCT FROM @projectName AND {condition}
            ORDER BY updated_at DESC LIMIT 1
            """, new { viewType, projectName, user = user.Name }, cancellationToken: cancellationToken))
            ?? throw new NotFound($"No {what} of type {viewType}");
        return Results.Json(Full(row, user), AyonJson.Options);
    }

    /// <summary>A view of the type the user may see, in the project or studio-wide; else 404.</summary>
    static async Task<ViewRow> VisibleAsync(NpgsqlConnection connection, string viewType, string viewId, string? projectName, CurrentUser user,
        CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<ViewRow>(new CommandDefinition($"""
            SELECT {Columns} FROM views
            WHERE id = @viewId AND view_type = @viewType AND (project_name IS NULL OR project_name = @projectName)
              AND (owner = @user OR (visibility = 'public' AND NOT working))
            """, new { viewId, viewType, projectName, user = user.Name }, cancellationToken: cancellationToken))
        ?? throw new NotFound($"View {viewId} not found");

    /// <summary>The project of the scope in its stored spelling, null for studio-wide; 404 for a project the user cannot enter.</summary>
    static async Task<string?> ScopeAsync(NpgsqlConnection connection, string? projectName, CurrentUser user, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(projectName))
            return null;
        var stored = Names.IsProjectName(projectName)
            ? await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT name FROM projects WHERE lower(name) = lower(@projectName)", new { projectName }, cancellationToken: cancellationToken))
            : null;
        if (stored is null || !ProjectAccess.MayEnter(user, stored))
            throw new NotFound($"Project {projectName} not found");
        return stored;
    }

    static int AccessLevel(ViewRow row, CurrentUser user) =>
        row.Owner == user.Name || user.IsAdmin ? ManageAccess
        : user.IsManager && row.Visibility == "public" ? ManageAccess
        : ReadAccess;

    static JsonObject Summary(ViewRow row, CurrentUser user) => new()
    {
        ["id"] = row.Id,
        ["label"] = row.Label,
        ["scope"] = row.ProjectName is null ? "studio" : "project",
        ["owner"] = row.Owner,
        ["visibility"] = row.Visibility,
        ["working"] = row.Working,
        ["position"] = row.Position,
        ["accessLevel"] = AccessLevel(row, user),
    };

    static JsonObject Full(ViewRow row, CurrentUser user)
    {
        var view = Summary(row, user);
        view["settings"] = row.Settings.DeepClone();
        view["access"] = row.Access.DeepClone();
        view["viewType"] = row.ViewType;
        return view;
    }

    static void ValidateType(string viewType)
    {
        if (!IdPattern().IsMatch(viewType))
            throw new BadRequest("viewType: letters, digits, '_' and '-' only, at most 64");
    }

    static string? Visibility(JsonObject body) => body["visibility"] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) && s is "public" or "private" => s,
        _ => throw BadRequest.Field("visibility", "'public' or 'private'"),
    };

    static string RequiredString(JsonObject body, string field) =>
        OptionalString(body, field) is { Length: > 0 } value ? value : throw BadRequest.Field(field, "a non-empty string is required");

    static string? OptionalString(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw BadRequest.Field(field, "a string is expected"),
    };

    static bool? Bool(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw BadRequest.Field(field, "true or false is expected"),
    };
}
