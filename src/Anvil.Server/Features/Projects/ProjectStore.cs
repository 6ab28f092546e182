using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Anatomy;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Folders;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Projects;

/// <summary>
/// Projects: the <c>projects</c> row and the project's schema, always changed together in one
/// transaction that also records the <c>entity.project.*</c> events.
/// </summary>
public sealed class ProjectStore(Db db, AttributeLibrary attributes, AnatomyPresets presets, EventStore events, ProjectContexts contexts, AuthCache auth)
{
    const string SelectProject = "SELECT name, code, label, library, active, config, attrib, data, created_at, updated_at FROM projects";

    // ---- reading ----------------------------------------------------------------------------------

    public async Task<ProjectModel> GetAsync(string name, CurrentUser user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken);
        await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);

        var own = project.Attrib;
        var attrib = await attributes.ProjectDefaultsAsync(cancellationToken);
        foreach (var (key, value) in own)
            attrib[key] = value?.DeepClone();
        var config = (JsonObject)project.Config.DeepClone();
        config.TryAdd("productBaseTypes", Anatomy.Anatomy.Builtin()["product_base_types"]!.DeepClone());
        return new ProjectModel
        {
            Name = project.Name,
            Code = project.Code,
            Label = project.Label,
            Library = project.Library,
            Active = project.Active,
            FolderTypes = ProjectLists.ToJson(await ProjectLists.ReadAsync(connection, "folder_types", cancellationToken)),
            TaskTypes = ProjectLists.ToJson(await ProjectLists.ReadAsync(connection, "task_types", cancellationToken)),
            Statuses = ProjectLists.ToJson(await ProjectLists.ReadAsync(connection, "statuses", cancellationToken)),
            Tags = ProjectLists.ToJson(await ProjectLists.ReadAsync(connection, "tags", cancellationToken)),
            LinkTypes = new JsonArray([.. (await ProjectLists.ReadLinkTypesAsync(connection, cancellationToken)).Select(l => l.ToProjectJson())]),
            Config = config,
            Attrib = attrib,
            OwnAttrib = [.. own.Select(a => a.Key)],
            Data = project.Data,
            CreatedAt = project.CreatedAt,
            UpdatedAt = project.UpdatedAt,
        };
    }

    /// <summary>The project's anatomy object, rebuilt from its data (<c>GET /api/projects/{name}/anatomy</c>).</summary>
    public async Task<JsonObject> GetAnatomyAsync(string name, CurrentUser user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken);
        await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);
        return Anatomy.Anatomy.ToJson(new AnatomyData
        {
            Config = project.Config,
            Attrib = project.Attrib,
            FolderTypes = await ProjectLists.ReadAsync(connection, "folder_types", cancellationToken),
            TaskTypes = await ProjectLists.ReadAsync(connection, "task_types", cancellationToken),
            Statuses = await ProjectLists.ReadAsync(connection, "statuses", cancellationToken),
            Tags = await ProjectLists.ReadAsync(connection, "tags", cancellationToken),
            LinkTypes = await ProjectLists.ReadLinkTypesAsync(connection, cancellationToken),
        });
    }

    public async Task<ProjectListResponse> ListAsync(ProjectListQuery query, CurrentUser user, CancellationToken cancellationToken)
    {
        var order = query.Order switch
        {
            null or "" => "active DESC, name",
            "name" => "name",
            "createdAt" => "created_at",
            "updatedAt" => "updated_at",
            _ => throw BadRequest.Field("order", "must be name, createdAt or updatedAt"),
        };
        if (query.Desc && order != "active DESC, name")
            order += " DESC";
        if (query.Page < 1)
            throw BadRequest.Field("page", "must be at least 1");
        if (query.Length is < 1)
            throw BadRequest.Field("length", "must be at least 1");
        var visible = ProjectAccess.VisibleProjects(user)?.ToArray();

        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ProjectRow>(new CommandDefinition($"""
            {SelectProject}
            WHERE (@library::boolean IS NULL OR library = @library)
              AND (@active::boolean IS NULL OR active = @active)
              AND (@name::text IS NULL OR name ILIKE @namePattern)
              AND (@visible::text[] IS NULL OR lower(name) = ANY(@visible))
            ORDER BY {order}
            """, new { query.Library, query.Active, query.Name, namePattern = query.Name is null ? null : SqlText.ContainsPattern(query.Name), visible }, cancellationToken: cancellationToken))).ToList();
        var page = query.Length is { } length ? rows.Skip((query.Page - 1) * length).Take(length) : rows;
        var items = page.Select(p => new ProjectListItem
        {
            Name = p.Name,
            Code = p.Code,
            Label = p.Label,
            Color = p.Data["color"] is JsonValue color && color.TryGetValue<string>(out var c) ? c : null,
            Active = p.Active,
            Library = p.Library,
            ProjectFolder = p.Data["projectFolder"] is JsonValue folder && folder.TryGetValue<string>(out var f) ? f : null,
            CreatedAt = p.CreatedAt,
            UpdatedAt = p.UpdatedAt,
        }).ToList();
        return new ProjectListResponse($"{rows.Count} projects", rows.Count, items);
    }

    static async Task<ProjectRow?> FindAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<ProjectRow>(new CommandDefinition(
            $"{SelectProject} WHERE lower(name) = lower(@name){(forUpdate ? " FOR UPDATE" : "")}", new { name }, cancellationToken: cancellationToken));

    /// <summary>The project, if it exists and the user may see it (404 / 403 otherwise).</summary>
    static async Task<ProjectRow> RequireAsync(NpgsqlConnection connection, string name, CurrentUser user, CancellationToken cancellationToken, bool forUpdate = false)
    {
        var project = (ProjectSchema.IsValidName(name) ? await FindAsync(connection, name, cancellationToken, forUpdate) : null)
            ?? throw new NotFound($"Project {name} not found", "project-not-found");
        if (!ProjectAccess.MayEnter(user, project.Name))
            throw new Forbidden("No access group assigned on this project");
        return project;
    }

    // ---- writing ----------------------------------------------------------------------------------

    /// <summary>Creates a project from an anatomy (given, a named preset, the primary preset or the built-in one).</summary>
    public async Task DeployAsync(JsonObject body, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("create, change or delete projects");
        var name = Text(body, "name", null) ?? throw BadRequest.Field("name", "a project name is required");
        ProjectSchema.Of(name);
        var code = Text(body, "code", null) ?? throw BadRequest.Field("code", "a project code is required");
        CheckCode(code);
        var label = Text(body, "label", null);
        var color = Text(body, "color", null);
        var library = Flag(body, "library", null) ?? false;
        var assignUsers = Flag(body, "assignUsers", "assign_users") ?? true;
        if (Flag(body, "skeleton", null) == true)
            throw new AyonError(501, "Skeleton projects are not supported yet");
        var data = body["data"] switch
        {
            null => new JsonObject(),
            JsonObject given => (JsonObject)given.DeepClone(),
            _ => throw BadRequest.Field("data", "must be an object"),
        };
        if (color is not null)
            data["color"] = color;

        var anatomyJson = body["anatomy"] switch
        {
            JsonObject given => given,
            null => await PresetAsync(Text(body, "anatomyPreset", "anatomy_preset"), cancellationToken),
            _ => throw BadRequest.Field("anatomy", "must be an anatomy object"),
        };
        var anatomy = Anatomy.Anatomy.Parse(anatomyJson, "anatomy", await attributes.ForScopeAsync("project", cancellationToken));

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RequireFreeAsync(connection, name, code, exceptProject: null, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO projects (name, code, label, library, config, attrib, data)
            VALUES (@name, @code, @label, @library, @Config, @Attrib, @data)
            """, new { name, code, label, library, anatomy.Config, anatomy.Attrib, data }, cancellationToken: cancellationToken));
        await ProjectSchema.CreateAsync(connection, name, cancellationToken);
        await ProjectLists.SaveFolderTypesAsync(connection, anatomy.FolderTypes, cancellationToken);
        await ProjectLists.SaveTaskTypesAsync(connection, anatomy.TaskTypes, cancellationToken);
        await ProjectLists.SaveStatusesAsync(connection, anatomy.Statuses, cancellationToken);
        await ProjectLists.SaveTagsAsync(connection, anatomy.Tags, cancellationToken);
        await ProjectLists.SaveLinkTypesAsync(connection, anatomy.LinkTypes, cancellationToken);
        if (assignUsers)
            await UserStore.GrantDefaultGroupsAsync(connection, name, cancellationToken);
        await DispatchAsync(connection, "entity.project.created", name, user, $"Project {name} created", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await contexts.ChangedAsync();
        if (assignUsers)
            await auth.UsersChangedAsync();
    }

    async Task<JsonObject> PresetAsync(string? presetName, CancellationToken cancellationToken) =>
        await presets.GetAsync(presetName ?? "__primary__", cancellationToken)
            ?? throw BadRequest.Field("anatomyPreset", $"there is no anatomy preset '{presetName}'");

    /// <summary>
    /// AYON's project PATCH: anatomy lists replace the stored ones (renames through
    /// <c>original_name</c> follow on every entity), <c>attrib</c>, <c>data</c> and <c>config</c> merge
    /// one level deep with null deleting a key; other fields are set.
    /// </summary>
    public async Task PatchAsync(string name, JsonObject body, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("create, change or delete projects");
        var projectScope = await attributes.ForScopeAsync("project", cancellationToken);

        // Everything is checked before anything is written.
        var code = Text(body, "code", null);
        if (code is not null)
            CheckCode(code);
        var folderTypes = Get(body, "folderTypes", "folder_types") is { } ft ? AnatomyItems.Parse(ft, AnatomyItemKind.FolderType, "folderTypes", requireOne: true) : null;
        var taskTypes = Get(body, "taskTypes", "task_types") is { } tt ? AnatomyItems.Parse(tt, AnatomyItemKind.TaskType, "taskTypes", requireOne: true) : null;
        var statuses = body["statuses"] is { } st ? AnatomyItems.Parse(st, AnatomyItemKind.Status, "statuses", requireOne: true) : null;
        var tags = body["tags"] is { } tg ? AnatomyItems.Parse(tg, AnatomyItemKind.Tag, "tags", requireOne: false) : null;
        var linkTypes = Get(body, "linkTypes", "link_types") is { } lt ? AnatomyItems.ParseLinkTypes(lt, "linkTypes") : null;
        var attribPatch = body["attrib"] is { } a
            ? AttributeValues.Validate(projectScope, a as JsonObject ?? throw BadRequest.Field("attrib", "must be an object"), "attrib", keepNulls: true)
            : null;
        var dataPatch = body["data"] is { } d ? d as JsonObject ?? throw BadRequest.Field("data", "must be an object") : null;
        var configPatch = body["config"] is { } cfg ? cfg as JsonObject ?? throw BadRequest.Field("config", "must be an object") : null;
        var active = Flag(body, "active", null);
        var library = Flag(body, "library", null);
        var labelGiven = body.ContainsKey("label");
        var label = Text(body, "label", null);

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken, forUpdate: true);
        name = project.Name;
        var changed = new List<string>();
        if (code is not null && code != project.Code)
        {
            await RequireFreeAsync(connection, null, code, exceptProject: name, cancellationToken);
            changed.Add("code");
        }
        if (active is { } a1 && a1 != project.Active) changed.Add("active");
        if (library is { } l1 && l1 != project.Library) changed.Add("library");
        if (labelGiven && label != project.Label) changed.Add("label");
        if (attribPatch is not null) changed.Add("attrib");
        if (dataPatch is not null) changed.Add("data");
        if (configPatch is not null) changed.Add("config");

        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE projects SET
                code = @code, label = @label, active = @active, library = @library,
                attrib = @attrib, data = @data, config = @config, updated_at = now()
            WHERE name = @name
            """, new
        {
            name,
            code = code ?? project.Code,
            label = labelGiven ? label : project.Label,
            active = active ?? project.Active,
            library = library ?? project.Library,
            attrib = attribPatch is null ? project.Attrib : Merge(project.Attrib, attribPatch),
            data = dataPatch is null ? project.Data : Merge(project.Data, dataPatch),
            config = configPatch is null ? project.Config : Merge(project.Config, configPatch),
        }, cancellationToken: cancellationToken));

        await ProjectSchema.UseAsync(connection, name, cancellationToken);
        if (folderTypes is not null) { await ProjectLists.SaveFolderTypesAsync(connection, folderTypes, cancellationToken); changed.Add("folder_types"); }
        if (taskTypes is not null) { await ProjectLists.SaveTaskTypesAsync(connection, taskTypes, cancellationToken); changed.Add("task_types"); }
        if (statuses is not null) { await ProjectLists.SaveStatusesAsync(connection, statuses, cancellationToken); changed.Add("statuses"); }
        if (tags is not null) { await ProjectLists.SaveTagsAsync(connection, tags, cancellationToken); changed.Add("tags"); }
        if (linkTypes is not null) { await ProjectLists.SaveLinkTypesAsync(connection, linkTypes, cancellationToken); changed.Add("link_types"); }
        if (attribPatch is not null)
            await FolderTree.RefreshProjectAsync(connection, await ProjectContext.LoadAsync(connection, name, attributes, cancellationToken), cancellationToken);

        foreach (var part in changed)
            await DispatchAsync(connection, $"entity.project.{part}_changed", name, user, $"Project {name} {part.Replace('_', ' ')} changed", cancellationToken);
        await DispatchAsync(connection, "entity.project.changed", name, user, $"Project {name} changed", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await contexts.ChangedAsync();
    }

    /// <summary>Replaces the project's anatomy (<c>POST /api/projects/{name}/anatomy</c>).</summary>
    public async Task SetAnatomyAsync(string name, JsonObject anatomyJson, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("create, change or delete projects");
        var anatomy = Anatomy.Anatomy.Parse(anatomyJson, "", await attributes.ForScopeAsync("project", cancellationToken));
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken, forUpdate: true);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE projects SET config = @Config, attrib = @Attrib, updated_at = now() WHERE name = @name",
            new { name = project.Name, anatomy.Config, anatomy.Attrib }, cancellationToken: cancellationToken));
        await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);
        await ProjectLists.SaveFolderTypesAsync(connection, anatomy.FolderTypes, cancellationToken);
        await ProjectLists.SaveTaskTypesAsync(connection, anatomy.TaskTypes, cancellationToken);
        await ProjectLists.SaveStatusesAsync(connection, anatomy.Statuses, cancellationToken);
        await ProjectLists.SaveTagsAsync(connection, anatomy.Tags, cancellationToken);
        await ProjectLists.SaveLinkTypesAsync(connection, anatomy.LinkTypes, cancellationToken);
        await FolderTree.RefreshProjectAsync(connection, await ProjectContext.LoadAsync(connection, project.Name, attributes, cancellationToken), cancellationToken);
        await DispatchAsync(connection, "entity.project.changed", project.Name, user, $"Project {project.Name} anatomy changed", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await contexts.ChangedAsync();
    }

    /// <summary>Drops the project's schema and row and removes it from every user's access groups, at once.</summary>
    public async Task DeleteAsync(string name, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("create, change or delete projects");
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken, forUpdate: true);
        await ProjectSchema.DropAsync(connection, project.Name, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM projects WHERE name = @Name", project, cancellationToken: cancellationToken));
        await UserStore.ForgetProjectAsync(connection, project.Name, cancellationToken);
        await DispatchAsync(connection, "entity.project.deleted", project.Name, user, $"Project {project.Name} deleted", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await contexts.ChangedAsync();
        await auth.UsersChangedAsync();
    }

    // ---- roots ------------------------------------------------------------------------------------

    /// <summary>The caller's per-site root overrides: <c>{siteId: {rootName: path}}</c>.</summary>
    public async Task<JsonObject> GetCustomRootsAsync(string name, CurrentUser user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken);
        await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);
        var result = new JsonObject();
        foreach (var row in await connection.QueryAsync<CustomRootsRow>(new CommandDefinition(
                     "SELECT site_id, data FROM custom_roots WHERE user_name = @user ORDER BY site_id", new { user = user.Name }, cancellationToken: cancellationToken)))
            result[row.SiteId] = row.Data;
        return result;
    }

    /// <summary>Sets the caller's overrides for one site; a root given as null goes back to the project's path.</summary>
    public async Task SetCustomRootsAsync(string name, string siteId, JsonObject roots, CurrentUser user, CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(siteId, Names.Site))
            throw BadRequest.Field("site_id", "a site id is lower-case letters, digits and '-'");
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken);
        var known = project.Config["roots"] as JsonObject ?? [];
        foreach (var (root, path) in roots)
        {
            if (!known.ContainsKey(root))
                throw BadRequest.Field(root, $"the project has no root '{root}'");
            if (path is not null && path.GetValueKind() != JsonValueKind.String)
                throw BadRequest.Field(root, "must be a path or null");
        }
        await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);
        var current = await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
            "SELECT data FROM custom_roots WHERE site_id = @siteId AND user_name = @user", new { siteId, user = user.Name }, cancellationToken: cancellationToken)) ?? [];
        var data = Merge(current, roots);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO custom_roots (site_id, user_name, data) VALUES (@siteId, @user, @data)
            ON CONFLICT (site_id, user_name) DO UPDATE SET data = EXCLUDED.data
            """, new { siteId, user = user.Name, data }, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The project's roots for one platform, with the caller's overrides for the site: <c>{rootName: path}</c>.</summary>
    public async Task<JsonObject> GetSiteRootsAsync(string name, string? platform, string? siteId, CurrentUser user, CancellationToken cancellationToken)
    {
        if (platform is not ("windows" or "linux" or "darwin"))
            throw BadRequest.Field("platform", "must be windows, linux or darwin (or send x-ayon-platform)");
        var result = new JsonObject();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken);
        if (project.Config["roots"] is JsonObject roots)
            foreach (var (root, paths) in roots)
                result[root] = paths?[platform]?.DeepClone() ?? "";
        if (siteId is not null)
        {
            await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);
            var custom = await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
                "SELECT data FROM custom_roots WHERE site_id = @siteId AND user_name = @user", new { siteId, user = user.Name }, cancellationToken: cancellationToken));
            foreach (var (root, path) in custom ?? [])
                if (result.ContainsKey(root) && path is not null)
                    result[root] = path.DeepClone();
        }
        return result;
    }

    sealed record CustomRootsRow
    {
        public string SiteId { get; init; } = "";
        public JsonObject Data { get; init; } = [];
    }

    // ---- product types ----------------------------------------------------------------------------

    /// <summary>The product types used in the project, with their appearance (studio table, then the project's base-type defaults).</summary>
    public async Task<JsonArray> GetProductTypesAsync(string name, CurrentUser user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var project = await RequireAsync(connection, name, user, cancellationToken);
        await ProjectSchema.UseAsync(connection, project.Name, cancellationToken);
        var rows = await connection.QueryAsync<ProductTypeRow>(new CommandDefinition("""
            SELECT DISTINCT p.product_type AS name, COALESCE(t.data, '{}'::jsonb) AS data
            FROM products p LEFT JOIN public.product_types t ON t.name = p.product_type
            ORDER BY 1
            """, cancellationToken: cancellationToken));
        var defaults = project.Config["productBaseTypes"]?["default"] as JsonObject;
        return new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["name"] = r.Name,
            ["icon"] = (r.Data["icon"] ?? defaults?["icon"])?.DeepClone(),
            ["color"] = (r.Data["color"] ?? defaults?["color"])?.DeepClone(),
        })]);
    }

    sealed record ProductTypeRow
    {
        public string Name { get; init; } = "";
        public JsonObject Data { get; init; } = [];
    }

    // ---- helpers ----------------------------------------------------------------------------------

    Task DispatchAsync(NpgsqlConnection connection, string topic, string project, CurrentUser user, string description, CancellationToken cancellationToken) =>
        events.DispatchAsync(connection, new NewEvent
        {
            Topic = topic,
            Project = project,
            User = user.Name,
            Description = description,
            Summary = new JsonObject { ["entityName"] = project },
        }, cancellationToken);

    static async Task RequireFreeAsync(NpgsqlConnection connection, string? name, string code, string? exceptProject, CancellationToken cancellationToken)
    {
        var clash = await connection.QueryFirstOrDefaultAsync<ProjectRow>(new CommandDefinition(
            $"{SelectProject} WHERE (lower(name) = lower(@name) OR lower(code) = lower(@code)) AND (@exceptProject::text IS NULL OR name <> @exceptProject)",
            new { name, code, exceptProject }, cancellationToken: cancellationToken));
        if (clash is null)
            return;
        if (name is not null && string.Equals(clash.Name, name, StringComparison.OrdinalIgnoreCase))
            throw new Conflict($"Project {name} already exists", "project-exists");
        throw new Conflict($"Project code {code} is already used by another project", "project-code-exists");
    }

    static void CheckCode(string code)
    {
        if (!Names.IsProjectName(code) || code.Length > 64)
            throw BadRequest.Field("code", "a project code is 1 to 64 letters, digits or underscores");
    }


    static JsonObject Merge(JsonObject current, JsonObject patch) => AyonJson.MergeOneLevel(current, patch);

    static JsonNode? Get(JsonObject body, string camel, string? snake) => AnatomyItems.Get(body, camel, snake);

    static string? Text(JsonObject body, string camel, string? snake)
    {
        var value = Get(body, camel, snake);
        if (value is null)
            return null;
        if (value.GetValueKind() != JsonValueKind.String)
            throw BadRequest.Field(camel, "must be a string");
        return value.GetValue<string>();
    }

    static bool? Flag(JsonObject body, string camel, string? snake)
    {
        var value = Get(body, camel, snake);
        return value?.GetValueKind() switch
        {
            null => null,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw BadRequest.Field(camel, "must be true or false"),
        };
    }
}

/// <summary>AYON's listing parameters of <c>GET /api/projects</c>.</summary>
public sealed record ProjectListQuery(int Page, int? Length, bool? Library, bool? Active, string? Order, bool Desc, string? Name);
