using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Sites;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Settings;

/// <summary>
/// The settings routes of one addon version (<c>/api/addons/{name}/{version}/settings|overrides|rawOverrides|schema|siteSettings</c>)
/// and the aggregate <c>GET /api/settings</c> (<see cref="SettingsAggregate"/>). See docs/settings.md.
/// </summary>
public static class SettingsEndpoints
{
    public const string Topic = "settings.changed";

    public static void MapSettingsEndpoints(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/addons/{addonName}/{addonVersion}").WithTags("Addon settings");
        g.MapGet("/settings", ([AsParameters] Ctx c) => GetSettingsAsync(c, null)).WithName("get_addon_studio_settings");
        g.MapGet("/settings/{projectName}", ([AsParameters] Ctx c, string projectName) => GetSettingsAsync(c, projectName)).WithName("get_addon_project_settings");
        g.MapPost("/settings", ([AsParameters] Ctx c, JsonObject body) => SetSettingsAsync(c, null, body)).WithName("set_addon_studio_settings");
        g.MapPost("/settings/{projectName}", ([AsParameters] Ctx c, string projectName, JsonObject body) => SetSettingsAsync(c, projectName, body)).WithName("set_addon_project_settings");
        g.MapGet("/overrides", ([AsParameters] Ctx c) => GetOverridesAsync(c, null)).WithName("get_addon_studio_overrides");
        g.MapGet("/overrides/{projectName}", ([AsParameters] Ctx c, string projectName) => GetOverridesAsync(c, projectName)).WithName("get_addon_project_overrides");
        g.MapPost("/overrides", ([AsParameters] Ctx c, JsonObject body) => ModifyOverridesAsync(c, null, body)).WithName("modify_studio_overrides");
        g.MapPost("/overrides/{projectName}", ([AsParameters] Ctx c, string projectName, JsonObject body) => ModifyOverridesAsync(c, projectName, body)).WithName("modify_project_overrides");
        g.MapDelete("/overrides", ([AsParameters] Ctx c) => DeleteOverridesAsync(c, null)).WithName("delete_addon_studio_overrides");
        g.MapDelete("/overrides/{projectName}", ([AsParameters] Ctx c, string projectName) => DeleteOverridesAsync(c, projectName)).WithName("delete_addon_project_overrides");
        g.MapGet("/rawOverrides", ([AsParameters] Ctx c) => GetRawAsync(c, null)).WithName("get_raw_addon_studio_overrides");
        g.MapGet("/rawOverrides/{projectName}", ([AsParameters] Ctx c, string projectName) => GetRawAsync(c, projectName)).WithName("get_raw_addon_project_overrides");
        g.MapPut("/rawOverrides", ([AsParameters] Ctx c, JsonObject body) => SetRawAsync(c, null, body)).WithName("set_raw_addon_studio_overrides");
        g.MapPut("/rawOverrides/{projectName}", ([AsParameters] Ctx c, string projectName, JsonObject body) => SetRawAsync(c, projectName, body)).WithName("set_raw_addon_project_overrides");
        g.MapGet("/schema", ([AsParameters] Ctx c) => GetSchemaAsync(c, null)).WithName("get_addon_settings_schema");
        g.MapGet("/schema/{projectName}", ([AsParameters] Ctx c, string projectName) => GetSchemaAsync(c, projectName)).WithName("get_addon_project_settings_schema");
        g.MapGet("/siteSettings", ([AsParameters] Ctx c) => GetSiteSettingsAsync(c)).WithName("get_addon_site_settings");
        g.MapPut("/siteSettings", ([AsParameters] Ctx c, JsonObject body) => SetSiteSettingsAsync(c, body)).WithName("set_addon_site_settings");
        g.MapGet("/siteSettings/schema", ([AsParameters] Ctx c) => GetSiteSchemaAsync(c)).WithName("get_addon_site_settings_schema");

        api.MapPost("/migrateSettingsByBundle", SettingsMigration.PostAsync).WithTags("Addon settings").WithName("migrate_settings_by_bundle")
            .WithSummary("Copy (same version) or convert (the addon's own converter) overrides from one bundle and variant to another (admins).");
        api.MapGet("/settings", SettingsAggregate.GetAsync).WithTags("Addon settings").WithName("get_all_settings")
            .WithSummary("Every addon of a bundle with its effective settings (AYON's shape; ayon-core and the launcher read it).");
    }

    /// <summary>What every per-addon route binds: the addon, the query (<c>variant</c>, <c>site</c>, <c>as</c>) and the services.</summary>
    public sealed record Ctx(string AddonName, string AddonVersion, CurrentUser User, SettingsStore Store, AddonLiveHost Host,
        SettingsSchema Schema, EventStore Events, Db Db, ProjectContexts Contexts, SiteRegistry Sites, HttpContext Http)
    {
        public string Variant => Http.Request.Query["variant"].ToString() is { Length: > 0 } v ? v : "production";
        public string? Site => Http.Request.Query["site"].ToString() is { Length: > 0 } s ? s : null;

        /// <summary>Whose site overrides: the caller, or with <c>?as=</c> another user (managers only).</summary>
        public string SiteUser
        {
            get
            {
                var other = Http.Request.Query["as"].ToString();
                if (other.Length == 0 || other == User.Name)
                    return User.Name;
                if (!User.IsManager)
                    throw new Forbidden("Only managers may read or change another user's site settings");
                return other;
            }
        }

        public CancellationToken Ct => Http.RequestAborted;
    }

    // ---- helpers -----------------------------------------------------------------------------------

    static async Task<AddonSettingsInfo> AddonAsync(Ctx c, bool site = false)
    {
        var addon = await c.Store.AddonAsync(c.AddonName, c.AddonVersion, c.Ct)
            ?? throw new NotFound($"Addon {c.AddonName} {c.AddonVersion} is not installed");
        if (addon.IsBroken)
            throw new AyonError(409, $"Addon {c.AddonName} {c.AddonVersion} is broken: {addon.Reason}");
        if (site ? !addon.HasSiteSettings : !addon.HasSettings)
            throw new NotFound($"Addon {c.AddonName} {c.AddonVersion} has no {(site ? "site settings" : "settings")}");
        return addon;
    }

    static async Task<string> ProjectAsync(Ctx c, string name)
    {
        var project = await c.Store.ProjectAsync(name, c.Ct) ?? throw new NotFound($"Project {name} not found", "project-not-found");
        if (!ProjectAccess.MayEnter(c.User, project.Name))
            throw new Forbidden("No access group assigned on this project");
        if (!c.User.IsManager)
        {
            var (read, write) = await AddonRightsAsync(c, project.Name);
            if (read is not null && !read.Contains(c.AddonName))
                throw new Forbidden($"Your access groups on {project.Name} do not let you read the settings of {c.AddonName}");
            c.Http.Items[MayWriteProjectKey] = write?.Contains(c.AddonName) == true;
        }
        return project.Name;
    }

    const string MayWriteProjectKey = "anvil.settings.mayWriteProject";

    /// <summary>
    /// Beyond AYON: the access groups' <c>addon_settings</c> block <c>{enabled, read: [addon], write: [addon]}</c>.
    /// When enabled (on every group the user holds there), the user reads the project settings of the listed
    /// addons only (<c>read</c> ∪ <c>write</c>) and may write those of <c>write</c>, manager or not. Null: no restriction.
    /// </summary>
    static async Task<(HashSet<string>? Read, HashSet<string>? Write)> AddonRightsAsync(Ctx c, string project)
    {
        await using var connection = await c.Db.OpenAsync(c.Ct);
        await using var transaction = await connection.BeginTransactionAsync(c.Ct);
        await ProjectSchema.UseAsync(connection, project, c.Ct);
        var access = await ProjectAccess.LoadAsync(connection, c.User, await c.Contexts.GetAsync(connection, project, c.Ct), c.Ct);
        var block = access.Permissions?["addon_settings"];
        if (access.Unrestricted || !Permissions.IsEnabled(block))
            return (null, null);
        HashSet<string> Names(string key) => [.. (block![key] as JsonArray ?? []).Select(n => n?.ToString()).OfType<string>()];
        var write = Names("write");
        return ([.. Names("read"), .. write], write);
    }

    /// <summary>The override level a route addresses: studio, project, or project-site with <c>?site=</c>.</summary>
    static async Task<SettingsScope> ScopeAsync(Ctx c, string? project)
    {
        if (project is null)
            return new SettingsScope(SettingsLevel.Studio, c.AddonName, c.AddonVersion, c.Variant);
        var name = await ProjectAsync(c, project);
        return c.Site is { } site
            ? new SettingsScope(SettingsLevel.ProjectSite, c.AddonName, c.AddonVersion, c.Variant, name, site, c.SiteUser)
            : new SettingsScope(SettingsLevel.Project, c.AddonName, c.AddonVersion, c.Variant, name);
    }

    /// <summary>Admins write studio settings, managers project settings, a user only their own project-site and site settings.</summary>
    static async Task RequireWriteAsync(Ctx c, SettingsScope scope)
    {
        switch (scope.Level)
        {
            case SettingsLevel.Studio when !c.User.IsAdmin:
                throw new Forbidden("Only admins may change studio settings");
            case SettingsLevel.Project when !c.User.IsManager && c.Http.Items[MayWriteProjectKey] is not true:
                throw new Forbidden("Only managers may change project settings");
            case SettingsLevel.Site or SettingsLevel.ProjectSite when scope.User != c.User.Name && !c.User.IsAdmin:
                throw new Forbidden("A user may change only their own site settings");
        }
        // Site overrides key on a registered workstation (GET /api/info with x-ayon-* headers made it), as AYON's foreign key does.
        if (scope.Site is { } site && (!SiteRegistry.IsSiteId(site) || await c.Sites.GetAsync(site, c.Ct) is null))
            throw new NotFound($"Site {site} is not registered (a launcher registers its site with GET /api/info and the x-ayon-* headers)");
    }

    static async ValueTask<JsonObject> EffectiveAsync(Ctx c, AddonSettingsInfo addon, SettingsScope scope) => scope.Level switch
    {
        SettingsLevel.Studio => await c.Store.StudioAsync(addon, scope.Variant, c.Ct),
        SettingsLevel.Project => await c.Store.ProjectSettingsAsync(addon, scope.Variant, scope.Project!, c.Ct),
        SettingsLevel.ProjectSite => await c.Store.ProjectSiteAsync(addon, scope.Variant, scope.Project!, scope.Site!, scope.User!, c.Ct),
        _ => await c.Store.SiteAsync(addon, scope.Site!, scope.User!, c.Ct),
    };

    /// <summary>
    /// Validates a whole settings object with the addon's own model in the host: 400 naming the field on
    /// bad input (<see cref="SettingsInvalid"/>, answered by the error handler), 503 when the host is unavailable, 502 when the addon's code fails otherwise.
    /// </summary>
    static async Task<JsonObject> ValidateAsync(Ctx c, SettingsScope scope, JsonObject settings)
    {
        try
        {
            return await c.Host.ValidateSettingsAsync(c.AddonName, c.AddonVersion, scope.Level == SettingsLevel.Site ? "siteSettings" : "settings", settings, c.Ct);
        }
        catch (AddonHostUnavailable e)
        {
            throw new ServiceUnavailable($"The settings could not be validated, nothing was stored: {e.Message}");
        }
        catch (AddonCallFailed e)
        {
            throw new AyonError(502, $"The settings could not be validated, nothing was stored: {e.Message}");
        }
    }

    /// <summary>Stores new overrides of a scope (after validating what they make), then announces <c>settings.changed</c>.</summary>
    static async Task StoreAsync(Ctx c, AddonSettingsInfo addon, SettingsScope scope, JsonObject overrides)
    {
        await c.Store.SaveAsync(scope, overrides, c.Ct);
        await c.Events.DispatchAsync(new NewEvent
        {
            Topic = Topic,
            Project = scope.Project,
            User = c.User.Name,
            Description = scope.Level switch
            {
                SettingsLevel.Studio => $"{addon.Name} {addon.Version} {scope.Variant} studio settings changed",
                SettingsLevel.Project => $"{addon.Name} {addon.Version} {scope.Variant} project settings of {scope.Project} changed",
                SettingsLevel.ProjectSite => $"{addon.Name} {addon.Version} project site settings of {scope.Project} changed for site {scope.Site}",
                _ => $"{addon.Name} {addon.Version} site settings changed for site {scope.Site}",
            },
            Summary = new JsonObject
            {
                ["addonName"] = addon.Name,
                ["addonVersion"] = addon.Version,
                ["variant"] = scope.Level is SettingsLevel.Studio or SettingsLevel.Project ? scope.Variant : null,
                ["projectName"] = scope.Project,
                ["siteId"] = scope.Site,
                ["level"] = scope.Level.ToString().ToLowerInvariant() switch { "projectsite" => "project-site", var l => l },
            },
        }, c.Ct);
    }

    static IReadOnlyList<string> PathOf(JsonObject body)
    {
        if (body["path"] is not JsonArray path)
            throw BadRequest.Field("path", "a list of field names is required");
        return [.. path.Select(p => p?.ToString() ?? "")];
    }

    // ---- routes ------------------------------------------------------------------------------------

    static async Task<IResult> GetSettingsAsync(Ctx c, string? project)
    {
        var addon = await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        return Results.Json(await EffectiveAsync(c, addon, scope));
    }

    static async Task<IResult> SetSettingsAsync(Ctx c, string? project, JsonObject body)
    {
        var addon = await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        await RequireWriteAsync(c, scope);
        var schema = SettingsStore.SchemaOf(addon, scope);
        var current = await EffectiveAsync(c, addon, scope);
        var wanted = SettingsTree.Apply(schema, schema, current, body);
        var valid = await ValidateAsync(c, scope, wanted);
        var below = await c.Store.BelowAsync(addon, scope, c.Ct);
        var existing = await c.Store.OverridesAsync(scope, c.Ct);
        await StoreAsync(c, addon, scope, SettingsTree.Extract(schema, schema, below, valid, existing, body));
        return Results.NoContent();
    }

    static async Task<IResult> GetOverridesAsync(Ctx c, string? project)
    {
        var addon = await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        var levels = new List<(string, JsonObject?)>
        {
            ("studio", await c.Store.OverridesAsync(new SettingsScope(SettingsLevel.Studio, addon.Name, addon.Version, scope.Variant), c.Ct)),
        };
        if (scope.Project is not null)
            levels.Add(("project", await c.Store.OverridesAsync(new SettingsScope(SettingsLevel.Project, addon.Name, addon.Version, scope.Variant, scope.Project), c.Ct)));
        if (scope.Level == SettingsLevel.ProjectSite)
            levels.Add(("site", await c.Store.OverridesAsync(scope, c.Ct)));
        return Results.Json(SettingsTree.Metadata(addon.Schema!, addon.Schema!, await EffectiveAsync(c, addon, scope), levels));
    }

    static async Task<IResult> ModifyOverridesAsync(Ctx c, string? project, JsonObject body)
    {
        var addon = await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        await RequireWriteAsync(c, scope);
        var path = PathOf(body);
        var existing = await c.Store.OverridesAsync(scope, c.Ct) ?? [];
        JsonObject changed;
        switch (body["action"]?.ToString())
        {
            case "delete":
                changed = SettingsTree.Delete(existing, path);
                break;
            case "pin":
                changed = SettingsTree.Pin(addon.Schema!, addon.Schema!, existing, await EffectiveAsync(c, addon, scope), path)
                    ?? throw BadRequest.Field("path", $"{string.Join('.', path)} is not a field of the settings");
                break;
            default:
                throw BadRequest.Field("action", "must be \"delete\" or \"pin\"");
        }
        // Both keep what the settings were or go back to a level that was valid: nothing new to validate.
        await StoreAsync(c, addon, scope, changed);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteOverridesAsync(Ctx c, string? project)
    {
        var addon = await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        await RequireWriteAsync(c, scope);
        await StoreAsync(c, addon, scope, []);
        return Results.NoContent();
    }

    static async Task<IResult> GetRawAsync(Ctx c, string? project)
    {
        await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        return Results.Json(await c.Store.OverridesAsync(scope, c.Ct) ?? []);
    }

    static async Task<IResult> SetRawAsync(Ctx c, string? project, JsonObject body)
    {
        var addon = await AddonAsync(c);
        var scope = await ScopeAsync(c, project);
        await RequireWriteAsync(c, scope);
        var schema = SettingsStore.SchemaOf(addon, scope);
        var below = await c.Store.BelowAsync(addon, scope, c.Ct);
        await ValidateAsync(c, scope, SettingsTree.Apply(schema, schema, below, body));
        await StoreAsync(c, addon, scope, body);
        return Results.NoContent();
    }

    static async Task<IResult> GetSchemaAsync(Ctx c, string? project)
    {
        var addon = await AddonAsync(c);
        var name = project is null ? null : await ProjectAsync(c, project);
        return Results.Json(await c.Schema.BuildAsync(addon, addon.Schema!, c.Variant, name, c.Site, c.User, c.Ct));
    }

    static SettingsScope SiteScope(Ctx c) =>
        new(SettingsLevel.Site, c.AddonName, c.AddonVersion, "production", null,
            c.Site ?? throw BadRequest.Field("site", "a site id is required"), c.SiteUser);

    static async Task<IResult> GetSiteSettingsAsync(Ctx c)
    {
        var addon = await AddonAsync(c, site: true);
        if (c.Site is null)
            return Results.Json(addon.SiteDefaults!.DeepClone());
        var scope = SiteScope(c);
        return Results.Json(await c.Store.SiteAsync(addon, scope.Site!, scope.User!, c.Ct));
    }

    static async Task<IResult> SetSiteSettingsAsync(Ctx c, JsonObject body)
    {
        var addon = await AddonAsync(c, site: true);
        var scope = SiteScope(c);
        await RequireWriteAsync(c, scope);
        var schema = addon.SiteSchema!;
        var current = await c.Store.SiteAsync(addon, scope.Site!, scope.User!, c.Ct);
        var valid = await ValidateAsync(c, scope, SettingsTree.Apply(schema, schema, current, body));
        var existing = await c.Store.OverridesAsync(scope, c.Ct);
        await StoreAsync(c, addon, scope, SettingsTree.Extract(schema, schema, addon.SiteDefaults!, valid, existing, body));
        return Results.NoContent();
    }

    static async Task<IResult> GetSiteSchemaAsync(Ctx c)
    {
        var addon = await AddonAsync(c, site: true);
        return Results.Json(await c.Schema.BuildAsync(addon, addon.SiteSchema!, c.Variant, null, c.Site, c.User, c.Ct));
    }
}
