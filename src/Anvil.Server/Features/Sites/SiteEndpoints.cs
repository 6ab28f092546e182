using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Sites;

/// <summary>
/// <c>GET /api/system/sites</c> (managers: every site; others: their own) and
/// <c>DELETE /api/system/sites/{siteId}</c> (admins: a retired workstation, with its users' links).
/// </summary>
public static class SiteEndpoints
{
    public static void MapSiteEndpoints(this RouteGroupBuilder api)
    {
        var sites = api.MapGroup("/system/sites").WithTags("System");
        sites.MapGet("", ListAsync).WithName("get_sites")
            .WithSummary("Registered workstations (managers see all, others their own); ?platform= and ?hostname= filter.");
        sites.MapDelete("/{siteId}", DeleteAsync).WithName("delete_site")
            .WithSummary("Forget a workstation (admins); its launcher registers it again on its next start.");
    }

    static async Task<IReadOnlyList<SiteInfo>> ListAsync(CurrentUser user, SiteRegistry registry, HttpContext http,
        string? platform = null, string? hostname = null)
    {
        if (platform is not null && !SiteRegistry.IsPlatform(platform))
            throw BadRequest.Field("platform", "must be windows, linux or darwin");
        var all = user.IsManager ? await registry.AllAsync(http.RequestAborted) : await registry.OfUserAsync(user.Name, http.RequestAborted);
        return [.. all.Where(s => (platform is null || s.Platform == platform) && (hostname is null || s.Hostname == hostname))];
    }

    static async Task<IResult> DeleteAsync(string siteId, CurrentUser user, SiteRegistry registry, HttpContext http)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may delete sites");
        if (!await registry.DeleteAsync(siteId, http.RequestAborted))
            throw new NotFound($"Site {siteId} not found");
        return Results.NoContent();
    }
}
