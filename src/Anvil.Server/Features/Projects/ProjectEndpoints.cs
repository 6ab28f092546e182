using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Sites;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Projects;

public static class ProjectEndpoints
{
    public static void MapProjectEndpoints(this RouteGroupBuilder api)
    {
        var projects = api.MapGroup("/projects").WithTags("Projects");
        projects.MapGet("", ListAsync).WithName("list_projects")
            .WithSummary("Projects the user may see; AYON's paging, filters and order.");
        projects.MapPost("", DeployAsync).WithName("deploy_project")
            .WithSummary("Creates a project from an anatomy: the given one, a named preset, the primary preset or the built-in one.");
        projects.MapGet("/{projectName}", GetAsync).WithName("get_project");
        projects.MapPatch("/{projectName}", PatchAsync).WithName("update_project")
            .WithSummary("Anatomy lists replace the stored ones (original_name renames, on every entity too); attrib, data and config merge.");
        projects.MapDelete("/{projectName}", DeleteAsync).WithName("delete_project")
            .WithSummary("Deletes the project and all its data.");
        projects.MapGet("/{projectName}/anatomy", GetAnatomyAsync).WithName("get_project_anatomy");
        projects.MapPost("/{projectName}/anatomy", SetAnatomyAsync).WithName("set_project_anatomy");
        projects.MapGet("/{projectName}/roots", GetRootsAsync).WithName("get_project_roots_overrides")
            .WithSummary("The caller's per-site root overrides: {siteId: {rootName: path}}.");
        projects.MapPut("/{projectName}/roots/{siteId}", SetRootsAsync).WithName("set_project_roots_overrides");
        projects.MapGet("/{projectName}/siteRoots", GetSiteRootsAsync).WithName("get_project_site_roots")
            .WithSummary("The project's roots for a platform (or the x-ayon-platform of the caller), with the site's overrides.");
        projects.MapGet("/{projectName}/productTypes", GetProductTypesAsync).WithName("get_project_product_types");
    }

    static Task<ProjectListResponse> ListAsync(ProjectStore store, CurrentUser user, CancellationToken cancellationToken,
        int page = 1, int? length = null, bool? library = null, bool? active = null, string? order = null, bool desc = false, string? name = null) =>
        store.ListAsync(new ProjectListQuery(page, length, library, active, order, desc, name), user, cancellationToken);

    static async Task<IResult> DeployAsync(JsonObject body, ProjectStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        await store.DeployAsync(body, user, cancellationToken);
        return Results.Created((string?)null, null);
    }

    static Task<ProjectModel> GetAsync(string projectName, ProjectStore store, CurrentUser user, CancellationToken cancellationToken) =>
        store.GetAsync(projectName, user, cancellationToken);

    static async Task<IResult> PatchAsync(string projectName, JsonObject body, ProjectStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        await store.PatchAsync(projectName, body, user, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string projectName, ProjectStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(projectName, user, cancellationToken);
        return Results.NoContent();
    }

    static Task<JsonObject> GetAnatomyAsync(string projectName, ProjectStore store, CurrentUser user, CancellationToken cancellationToken) =>
        store.GetAnatomyAsync(projectName, user, cancellationToken);

    static async Task<IResult> SetAnatomyAsync(string projectName, JsonObject body, ProjectStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        await store.SetAnatomyAsync(projectName, body, user, cancellationToken);
        return Results.NoContent();
    }

    static Task<JsonObject> GetRootsAsync(string projectName, ProjectStore store, CurrentUser user, CancellationToken cancellationToken) =>
        store.GetCustomRootsAsync(projectName, user, cancellationToken);

    static async Task<IResult> SetRootsAsync(string projectName, string siteId, JsonObject body, ProjectStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        await store.SetCustomRootsAsync(projectName, siteId, body, user, cancellationToken);
        return Results.NoContent();
    }

    /// <summary>
    /// The platform is <c>?platform=</c>, else the registered site's (a Windows site asked about from Linux
    /// gets Windows roots), else — when no site is named at all — the caller's <c>x-ayon-platform</c>. A
    /// named site that is not registered, with no <c>?platform=</c>, is a 400 as on AYON.
    /// </summary>
    static async Task<JsonObject> GetSiteRootsAsync(string projectName, HttpContext context, ProjectStore store, SiteRegistry sites, CurrentUser user,
        CancellationToken cancellationToken, string? platform = null, string? site_id = null)
    {
        var headers = context.Request.Headers;
        var fromQuery = !string.IsNullOrEmpty(site_id);
        var site = fromQuery ? site_id : headers["x-ayon-site-id"].ToString() is { Length: > 0 } h ? h : null;
        if (site is not null && !SiteRegistry.IsSiteId(site))
        {
            if (fromQuery)
                throw BadRequest.Field("site_id", "a site id is lower-case letters, digits and '-'");
            site = null;
        }
        var os = string.IsNullOrEmpty(platform) ? null : platform;
        if (os is null && site is not null)
            os = (await sites.GetAsync(site, cancellationToken))?.Platform
                ?? throw BadRequest.Field(fromQuery ? "site_id" : "x-ayon-site-id",
                    $"site {site} is not registered (its launcher registers it with GET /api/info and the x-ayon-* headers); pass platform to ask anyway");
        os ??= headers["x-ayon-platform"].ToString() is { Length: > 0 } p ? p : null;
        return await store.GetSiteRootsAsync(projectName, os, site, user, cancellationToken);
    }

    static async Task<JsonObject> GetProductTypesAsync(string projectName, ProjectStore store, CurrentUser user, CancellationToken cancellationToken) =>
        new() { ["productTypes"] = await store.GetProductTypesAsync(projectName, user, cancellationToken) };
}
