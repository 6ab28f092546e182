using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Microsoft.AspNetCore.Http.Features;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// The addon routes under <c>/api/addons</c>: install (upload or URL) and its recent events, and
/// delete. The list (<c>GET /api/addons</c>) is <c>Features/Bundles/AddonCatalogue.cs</c>; the static
/// files are in <see cref="AddonFileEndpoints"/>.
/// </summary>
public static class AddonEndpoints
{
    public static void MapAddonEndpoints(this RouteGroupBuilder api)
    {
        var addons = api.MapGroup("/addons").WithTags("Addons");
        addons.MapPost("/install", InstallAsync).WithName("upload_addon_zip_file").AcceptsRawBody()
            .WithSummary("Install an addon from a zip body or ?url= (admins); answers the addon.install event's id at once.");
        addons.MapGet("/install", ListInstallsAsync).WithName("get_installed_addons_list")
            .WithSummary("Recent addon installs, newest first (admins).");
        addons.MapDelete("/{addonName}", (string addonName, CurrentUser user, AddonStore store, AddonMaterializer materializer, HttpContext http) =>
                DeleteAsync(addonName, null, user, store, materializer, http.RequestAborted))
            .WithName("delete_addon").WithSummary("Delete every version of an addon (admins).");
        addons.MapDelete("/{addonName}/{addonVersion}", (string addonName, string addonVersion, CurrentUser user, AddonStore store, AddonMaterializer materializer, HttpContext http) =>
                DeleteAsync(addonName, addonVersion, user, store, materializer, http.RequestAborted))
            .WithName("delete_addon_version").WithSummary("Delete one version of an addon (admins).");
    }

    static async Task<IResult> InstallAsync(CurrentUser user, AddonInstaller installer, AyonOptions options, HttpContext http,
        string? url = null, string? addonName = null, string? addonVersion = null)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may install addons");
        if (!string.IsNullOrEmpty(url))
        {
            if (!AddonInstaller.IsDownloadable(url, out var uri))
                throw BadRequest.Field("url", "must be an http:// or https:// URL");
            var fromUrl = await installer.EnqueueAsync(user.Name, null, uri, addonName, addonVersion, http.RequestAborted);
            return Results.Json(new JsonObject { ["eventId"] = fromUrl.ToString("N") });
        }
        if (http.Request.ContentLength > options.AddonMaxPackageSize)
            throw new AyonError(413, $"The addon package is larger than {options.AddonMaxPackageSize} bytes (AYON_ADDON_MAX_PACKAGE_SIZE)");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = options.AddonMaxPackageSize;
        var zip = await installer.ReceiveAsync(http.Request.Body, http.RequestAborted);
        try
        {
            var id = await installer.EnqueueAsync(user.Name, zip, null, addonName, addonVersion, http.RequestAborted);
            return Results.Json(new JsonObject { ["eventId"] = id.ToString("N") });
        }
        catch
        {
            AddonMaterializer.TryDelete(zip);
            throw;
        }
    }

    /// <summary>
    /// AYON's list of recent installs: <c>{items: [{id, topic, description, addonName, addonVersion, user,
    /// status, createdAt, updatedAt}], restartRequired}</c>. A new version is live at once on every
    /// instance, so <c>restartRequired</c> is always false.
    /// </summary>
    static async Task<IResult> ListInstallsAsync(CurrentUser user, Db db, HttpContext http)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may list addon installs");
        await using var connection = await db.OpenAsync(http.RequestAborted);
        var rows = await connection.QueryAsync<EventRecord>(new CommandDefinition($"""
            SELECT {EventStore.Columns} FROM events
            WHERE topic = @topic
            ORDER BY creation_order DESC
            LIMIT 100
            """, new { topic = AddonInstaller.Topic }, cancellationToken: http.RequestAborted));
        var items = new JsonArray();
        foreach (var e in rows)
        {
            items.Add(new JsonObject
            {
                ["id"] = e.Id.ToString("N"),
                ["topic"] = e.Topic,
                ["description"] = e.Description,
                ["addonName"] = e.Summary["addonName"]?.DeepClone(),
                ["addonVersion"] = e.Summary["addonVersion"]?.DeepClone(),
                ["user"] = e.User,
                ["status"] = e.Status,
                ["createdAt"] = JsonValue.Create(TimestampConverter.Text(e.CreatedAt)),
                ["updatedAt"] = JsonValue.Create(TimestampConverter.Text(e.UpdatedAt)),
            });
        }
        return Results.Json(new JsonObject { ["items"] = items, ["restartRequired"] = false });
    }

    static async Task<IResult> DeleteAsync(string name, string? version, CurrentUser user, AddonStore store, AddonMaterializer materializer,
        CancellationToken cancellationToken)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may delete addons");
        if (await store.DeleteAsync(name, version, cancellationToken) == 0)
            throw new NotFound(version is null ? $"Addon {name} not found" : $"Addon {name} {version} not found");
        materializer.Forget(name, version);
        return Results.NoContent();
    }
}
