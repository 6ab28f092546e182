using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Sites;

/// <summary>The headers <c>ayon_api.create_connection(site_id, version)</c> puts on every request.</summary>
public static class SiteHeaders
{
    /// <summary>A site id no other test uses, in the launcher's word-slug form.</summary>
    public static string NewSiteId() => "site-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Sends the four x-ayon-* headers on every request of <paramref name="api"/> from now on.</summary>
    public static Api OnSite(this Api api, string siteId, string platform, string hostname = "ws-01", string version = "1.6.4")
    {
        var headers = api.Http.DefaultRequestHeaders;
        foreach (var name in new[] { "x-ayon-site-id", "x-ayon-platform", "x-ayon-hostname", "x-ayon-version" })
            headers.Remove(name);
        headers.Add("x-ayon-site-id", siteId);
        headers.Add("x-ayon-platform", platform);
        headers.Add("x-ayon-hostname", hostname);
        headers.Add("x-ayon-version", version);
        return api;
    }

    /// <summary>Registers the site as the launcher does: an authenticated <c>GET /api/info</c> with the headers; answers the info.</summary>
    public static async Task<JsonNode> RegisterAsync(Api api, string siteId, string platform, string hostname = "ws-01", string version = "1.6.4") =>
        await api.OnSite(siteId, platform, hostname, version).GetAsync("/api/info");
}
