using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Frontend;

/// <summary>
/// What the web UI's frame asks on every page, answered for what Anvil is: no Ynput cloud connection,
/// no restart ever pending (every change is live on every instance), no addon frontend modules, no
/// project folders (a paid AYON feature the UI hides without its licence) and no user pools.
/// </summary>
public static class AppShellEndpoints
{
    public static void MapAppShellEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/connect", GetCloudConnectionAsync).WithName("get_ynput_cloud_info").WithTags("Ynput Cloud")
            .WithSummary("The Ynput cloud connection: Anvil is never connected, so the answer only carries the instance id.");
        api.MapGet("/system/restartRequired", (CurrentUser user) => new RestartRequiredResponse(false)).WithName("get_restart_required")
            .WithTags("System").WithSummary("Always false: addons, settings and attributes take effect at once on every instance.");
        api.MapGet("/frontendModules", (CurrentUser user) => Results.Json(new JsonArray(), AyonJson.Options)).WithName("list_frontend_modules")
            .WithTags("System").WithSummary("Frontend modules of the production bundle's addons (none are served by Anvil).");
        api.MapGet("/projectFolders", (CurrentUser user) => Results.Json(new JsonObject { ["folders"] = new JsonArray() }, AyonJson.Options))
            .WithName("get_project_folders").WithTags("Projects").WithSummary("Folders that group projects in the web UI (none).");
        api.MapGet("/auth/pools", (CurrentUser user) => Results.Json(new JsonArray(), AyonJson.Options)).WithName("get_user_pools")
            .WithTags("Authentication").WithSummary("Licence user pools (none: Anvil does not meter users).");
    }

    /// <summary>AYON's restart flag.</summary>
    public sealed record RestartRequiredResponse(bool Required, string? Reason = null);

    static async Task<IResult> GetCloudConnectionAsync(CurrentUser user, Db db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var instanceId = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT value #>> '{}' FROM config WHERE key = 'instanceId'", cancellationToken: cancellationToken));
        return Results.Json(new JsonObject
        {
            ["instanceId"] = instanceId,
            ["managed"] = false,
            ["collectSaturatedMetrics"] = false,
            ["subscriptions"] = new JsonArray(),
            ["connected"] = false,
        }, AyonJson.Options);
    }
}
