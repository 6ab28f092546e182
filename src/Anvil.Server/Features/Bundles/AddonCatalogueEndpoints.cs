using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Bundles;

/// <summary><c>GET /api/addons</c>: the <see cref="AddonCatalogue"/>.</summary>
public static class AddonCatalogueEndpoints
{
    public static void MapAddonCatalogue(this RouteGroupBuilder api) =>
        api.MapGet("/addons", ListAsync).WithTags("Addons").WithName("list_addons")
            .WithSummary("Installed addons and their versions (system addons only for admins); details=1 adds client code sources.");

    static async Task<IResult> ListAsync(CurrentUser user, AddonCatalogue catalogue, HttpContext http, string? details = null)
    {
        var answer = await catalogue.GetAsync(Flags.IsSet(details), user.IsAdmin, http.RequestAborted);
        return answer.ToResult(http);
    }
}
