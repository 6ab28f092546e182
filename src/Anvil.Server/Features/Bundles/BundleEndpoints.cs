using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Bundles;

/// <summary>
/// <c>/api/bundles</c> (list, create, check, change, delete, promote) and a project's bundles
/// (<c>/api/projects/{p}/bundle</c>). Shapes and rules: docs/bundles.md.
/// </summary>
public static class BundleEndpoints
{
    public static void MapBundleEndpoints(this RouteGroupBuilder api)
    {
        var bundles = api.MapGroup("/bundles").WithTags("Bundles");
        bundles.MapGet("", ListAsync).WithName("list_bundles")
            .WithSummary("Bundles (archived ones with archived=true), and the names of the production, staging and dev bundles.");
        bundles.MapPost("", CreateAsync).WithName("create_new_bundle")
            .WithSummary("Create a bundle (admins); 400 naming the field, 409 on a taken name, 400 listing compatibility issues unless force=true.");
        bundles.MapPost("/check", CheckAsync).WithName("check_bundle_compatibility")
            .WithSummary("The compatibility check of a bundle body, without storing it: {success, issues: [{severity, addon, message}]}.");
        bundles.MapPatch("/{bundleName}", PatchAsync).WithName("update_bundle")
            .WithSummary("Change a bundle's flags, addons, installer version, dependency packages, dev settings or archived state (admins).");
        bundles.MapDelete("/{bundleName}", DeleteAsync).WithName("delete_existing_bundle")
            .WithSummary("Delete a bundle (admins); the production bundle cannot be deleted (409).");
        bundles.MapPost("/{bundleName}", ActionAsync).WithName("bundle_actions")
            .WithSummary("{action: \"promote\"}: the staging bundle becomes production and its staging settings overrides are copied to production (admins).");

        var project = api.MapGroup("/projects/{projectName}/bundle").WithTags("Bundles");
        project.MapGet("", GetProjectBundleAsync).WithName("get_project_bundle")
            .WithSummary("The project's bundles {production, staging} (names of project bundles, or null).");
        project.MapPost("", SetProjectBundleAsync).WithName("set_project_bundle")
            .WithSummary("Set the project's bundles {production, staging} (managers); each must be a project bundle whose addons allow a per-project version.");
    }

    static async Task<IResult> ListAsync(CurrentUser user, BundleStore store, HttpContext http, string? archived = null)
    {
        var all = await store.ListAsync(http.RequestAborted);
        var showArchived = Flags.IsSet(archived);
        return Results.Json(new JsonObject
        {
            ["bundles"] = new JsonArray([.. all.Where(b => showArchived || !b.IsArchived).Select(b => (JsonNode)b.ToJson())]),
            ["productionBundle"] = all.FirstOrDefault(b => b.IsProduction)?.Name,
            ["stagingBundle"] = all.FirstOrDefault(b => b.IsStaging)?.Name,
            ["devBundles"] = new JsonArray([.. all.Where(b => b.IsDev && !b.IsArchived).Select(b => (JsonNode)b.Name)]),
        });
    }

    static async Task<IResult> CreateAsync(JsonObject body, CurrentUser user, BundleStore store, AddonStore addons, Db db, HttpContext http, string? force = null)
    {
        RequireAdmin(user);
        var bundle = BundleRules.Parse(body);
        var installed = await addons.ListAsync(http.RequestAborted);
        BundleRules.CheckInstalled(bundle, installed);
        if (!Flags.IsSet(force))
            BundleRules.ThrowIfAny(BundleRules.Check(bundle, installed));
        await store.WriteAsync(async write =>
        {
            if (write.Find(bundle.Name) is not null)
                throw new Conflict($"Bundle {bundle.Name} already exists", "bundle-exists");
            await SaveAsync(write, null, bundle, http.RequestAborted);
            write.Events.Add(Event("bundle.created", bundle.Name, user, $"Bundle {bundle.Name} created"));
            return 0;
        }, http.RequestAborted);
        return Results.StatusCode(201);
    }

    static async Task<IResult> CheckAsync(JsonObject body, CurrentUser user, AddonStore addons, HttpContext http)
    {
        RequireAdmin(user);
        var bundle = BundleRules.Parse(body);
        var installed = await addons.ListAsync(http.RequestAborted);
        var issues = new List<BundleIssue>();
        foreach (var (addon, version) in bundle.Addons)
        {
            if (!installed.Any(r => r.Name == addon))
                issues.Add(new BundleIssue("error", addon, $"the addon {addon} is not installed"));
        }
        issues.AddRange(BundleRules.Check(bundle, installed));
        return Results.Json(new JsonObject
        {
            ["success"] = issues.Count == 0,
            ["issues"] = new JsonArray([.. issues.Select(i => (JsonNode)i.ToJson())]),
        });
    }

    static async Task<IResult> PatchAsync(string bundleName, JsonObject body, CurrentUser user, BundleStore store, AddonStore addons, HttpContext http, string? force = null)
    {
        RequireAdmin(user);
        var installed = await addons.ListAsync(http.RequestAborted);
        await store.WriteAsync(async write =>
        {
            var before = write.Find(bundleName) ?? throw NotFoundBundle(bundleName);
            var after = BundleRules.Apply(before, body, creating: false);
            if (body.ContainsKey("addons") || body.ContainsKey("addonDevelopment"))
                BundleRules.CheckInstalled(after, installed);
            if (!Flags.IsSet(force) && (body.ContainsKey("addons") || body.ContainsKey("installerVersion")))
                BundleRules.ThrowIfAny(BundleRules.Check(after, installed));
            await SaveAsync(write, before, after, http.RequestAborted);
            var changed = body.Select(p => p.Key).Where(k => k != "name").ToList();
            var e = Event("bundle.updated", bundleName, user, $"Bundle {bundleName} updated");
            e.Payload["changed"] = new JsonArray([.. changed.Select(c => (JsonNode)c)]);
            write.Events.Add(e);
            return 0;
        }, http.RequestAborted);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string bundleName, CurrentUser user, BundleStore store, HttpContext http)
    {
        RequireAdmin(user);
        await store.WriteAsync(async write =>
        {
            var bundle = write.Find(bundleName) ?? throw NotFoundBundle(bundleName);
            if (bundle.IsProduction)
                throw new Conflict($"Bundle {bundleName} is the production bundle; set another production bundle (or unset isProduction) before deleting it", "delete-production-bundle");
            write.Deleted.Add(bundleName);
            if (bundle.IsDev)
            {
                write.OverridesChanged = true;
                // A dev bundle's settings overrides are stored under its name as the variant: they go with it.
                foreach (var table in new[] { "studio_settings", "project_settings" })
                    await write.Connection.ExecuteAsync(new CommandDefinition(
                        $"DELETE FROM {table} WHERE variant = @bundleName", new { bundleName }, cancellationToken: http.RequestAborted));
            }
            write.Events.Add(Event("bundle.deleted", bundleName, user, $"Bundle {bundleName} deleted"));
            return 0;
        }, http.RequestAborted);
        return Results.NoContent();
    }

    static async Task<IResult> ActionAsync(string bundleName, JsonObject body, CurrentUser user, BundleStore store, HttpContext http)
    {
        RequireAdmin(user);
        var action = body["action"] is JsonValue v && v.TryGetValue<string>(out var a) ? a : null;
        if (action != "promote")
            throw BadRequest.Field("action", "the only bundle action is \"promote\"");
        await store.WriteAsync(async write =>
        {
            var bundle = write.Find(bundleName) ?? throw NotFoundBundle(bundleName);
            if (!bundle.IsStaging)
                throw BadRequest.Field("action", $"only the staging bundle can be promoted; {bundleName} is not staging");
            await SaveAsync(write, bundle, bundle with { IsProduction = true }, http.RequestAborted);
            await CopyStagingOverridesAsync(write.Connection, bundle, http.RequestAborted);
            write.OverridesChanged = true;
            var e = Event("bundle.updated", bundleName, user, $"Bundle {bundleName} promoted to production");
            e.Payload["action"] = "promote";
            write.Events.Add(e);
            return 0;
        }, http.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>
    /// Studio and project overrides of the bundle's addon versions: the staging rows replace the
    /// production rows (production rows without a staging counterpart are removed too).
    /// </summary>
    static async Task CopyStagingOverridesAsync(NpgsqlConnection connection, BundleRecord bundle, CancellationToken cancellationToken)
    {
        var names = bundle.AddonVersions.Select(a => a.Name).ToArray();
        var versions = bundle.AddonVersions.Select(a => a.Version).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("""
            WITH pairs AS (SELECT * FROM unnest(@names::text[], @versions::text[]) AS p(addon_name, addon_version))
            DELETE FROM studio_settings s USING pairs p
            WHERE s.addon_name = p.addon_name AND s.addon_version = p.addon_version AND s.variant = 'production';

            INSERT INTO studio_settings (addon_name, addon_version, variant, data, updated_at)
            SELECT s.addon_name, s.addon_version, 'production', s.data, now()
            FROM studio_settings s JOIN unnest(@names::text[], @versions::text[]) AS p(addon_name, addon_version)
                ON s.addon_name = p.addon_name AND s.addon_version = p.addon_version
            WHERE s.variant = 'staging';

            WITH pairs AS (SELECT * FROM unnest(@names::text[], @versions::text[]) AS p(addon_name, addon_version))
            DELETE FROM project_settings s USING pairs p
            WHERE s.addon_name = p.addon_name AND s.addon_version = p.addon_version AND s.variant = 'production';

            INSERT INTO project_settings (project_name, addon_name, addon_version, variant, data, updated_at)
            SELECT s.project_name, s.addon_name, s.addon_version, 'production', s.data, now()
            FROM project_settings s JOIN unnest(@names::text[], @versions::text[]) AS p(addon_name, addon_version)
                ON s.addon_name = p.addon_name AND s.addon_version = p.addon_version
            WHERE s.variant = 'staging';
            """, new { names, versions }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Adds the bundle to the write, with the flags it takes from others: the production or staging
    /// flag leaves its previous holder, and a dev bundle's active user leaves any other dev bundle.
    /// </summary>
    static async Task SaveAsync(BundleWrite write, BundleRecord? before, BundleRecord after, CancellationToken cancellationToken)
    {
        if (after.ActiveUser is { } activeUser && activeUser != before?.ActiveUser)
        {
            var exists = await write.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = @activeUser)", new { activeUser }, cancellationToken: cancellationToken));
            if (!exists)
                throw BadRequest.Field("activeUser", $"user {activeUser} does not exist");
        }
        foreach (var other in write.Current.Where(b => b.Name != after.Name))
        {
            var taken = other with
            {
                IsProduction = other.IsProduction && !after.IsProduction,
                IsStaging = other.IsStaging && !after.IsStaging,
                ActiveUser = after.ActiveUser is not null && other.ActiveUser == after.ActiveUser ? null : other.ActiveUser,
            };
            if (taken != other)
                write.Saved.Add(taken);
        }
        write.Saved.Add(after);
    }

    // ---- project bundles --------------------------------------------------------------------------

    static async Task<IResult> GetProjectBundleAsync(string projectName, CurrentUser user, Db db, HttpContext http)
    {
        await using var connection = await db.OpenAsync(http.RequestAborted);
        var (name, data) = await RequireProjectAsync(connection, projectName, user, false, http.RequestAborted);
        var bundle = data["bundle"] as JsonObject;
        return Results.Json(new JsonObject
        {
            ["production"] = AyonJson.Text(bundle?["production"]),
            ["staging"] = AyonJson.Text(bundle?["staging"]),
        });
    }

    static async Task<IResult> SetProjectBundleAsync(string projectName, JsonObject body, CurrentUser user, Db db, BundleStore store,
        AddonStore addons, EventStore events, ProjectContexts contexts, HttpContext http)
    {
        user.RequireManager("set a project's bundles");
        var chosen = new JsonObject();
        var installed = await addons.ListAsync(http.RequestAborted);
        foreach (var variant in new[] { "production", "staging" })
        {
            if (!body.ContainsKey(variant))
                continue;
            var value = body[variant];
            if (value is null)
            {
                chosen[variant] = null;
                continue;
            }
            var bundleName = AyonJson.Text(value) ?? throw BadRequest.Field(variant, "must be a bundle name or null");
            var bundle = await store.GetAsync(bundleName, http.RequestAborted) ?? throw BadRequest.Field(variant, $"bundle {bundleName} does not exist");
            if (!bundle.IsProject)
                throw BadRequest.Field(variant, $"bundle {bundleName} is not a project bundle");
            foreach (var (addon, version) in bundle.AddonVersions)
            {
                var row = installed.FirstOrDefault(r => r.Name == addon && r.Version == version);
                if (row is null || !AddonCatalogue.CanOverride(row))
                    throw BadRequest.Field(variant, $"bundle {bundleName} sets {addon} {version}, whose version a project may not override");
            }
            chosen[variant] = bundleName;
        }

        await using (var connection = await db.OpenAsync(http.RequestAborted))
        await using (var transaction = await connection.BeginTransactionAsync(http.RequestAborted))
        {
            var (name, data) = await RequireProjectAsync(connection, projectName, user, true, http.RequestAborted);
            var current = data["bundle"] as JsonObject;
            data["bundle"] = new JsonObject
            {
                ["production"] = (chosen.ContainsKey("production") ? chosen["production"] : current?["production"])?.DeepClone(),
                ["staging"] = (chosen.ContainsKey("staging") ? chosen["staging"] : current?["staging"])?.DeepClone(),
            };
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE projects SET data = @data, updated_at = now() WHERE name = @name", new { name, data }, cancellationToken: http.RequestAborted));
            await events.DispatchAsync(connection, new NewEvent
            {
                Topic = "entity.project.changed",
                Project = name,
                User = user.Name,
                Description = $"Project {name} bundle changed",
                Summary = new JsonObject { ["entityName"] = name },
            }, http.RequestAborted);
            await transaction.CommitAsync(http.RequestAborted);
        }
        await contexts.ChangedAsync();
        return Results.NoContent();
    }

    static async Task<(string Name, JsonObject Data)> RequireProjectAsync(NpgsqlConnection connection, string projectName, CurrentUser user, bool forUpdate, CancellationToken cancellationToken)
    {
        var row = ProjectSchema.IsValidName(projectName)
            ? await connection.QuerySingleOrDefaultAsync<ProjectDataRow>(new CommandDefinition(
                "SELECT name, data FROM projects WHERE lower(name) = lower(@projectName)" + (forUpdate ? " FOR UPDATE" : ""),
                new { projectName }, cancellationToken: cancellationToken))
            : null;
        if (row is null)
            throw new NotFound($"Project {projectName} not found", "project-not-found");
        if (!ProjectAccess.MayEnter(user, row.Name))
            throw new Forbidden("No access group assigned on this project");
        return (row.Name, row.Data);
    }

    sealed class ProjectDataRow
    {
        public string Name { get; init; } = "";
        public JsonObject Data { get; init; } = [];
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static void RequireAdmin(CurrentUser user)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may change bundles");
    }

    static NotFound NotFoundBundle(string name) => new($"Bundle {name} not found", "bundle-not-found");

    static NewEvent Event(string topic, string name, CurrentUser user, string description) => new()
    {
        Topic = topic,
        User = user.Name,
        Description = description,
        Summary = new JsonObject { ["name"] = name },
    };


}
