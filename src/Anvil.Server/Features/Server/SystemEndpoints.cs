using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Server;

/// <summary>
/// <c>POST /api/system/restart</c>. AYON reloads its worker processes; a stateless Anvil instance has
/// only caches to refresh: this instance reloads its attribute library at once and tells the others
/// through the attribute library's Redis announcement, and every instance drops its credentials and
/// project contexts (<see cref="CacheInvalidation"/>) before the request answers. The <c>server.restart_requested</c> event
/// records the request (and reaches websocket listeners). Addon installs queued or running on this
/// instance are waited for first (at most a minute): a client that uploads an addon and then restarts,
/// as AYON's clients do, expects the addon listed when the restart answers.
/// </summary>
public static class SystemEndpoints
{
    public static void MapSystemEndpoints(this RouteGroupBuilder api)
    {
        var system = api.MapGroup("/system").WithTags("System");
        system.MapPost("/restart", RestartAsync).WithName("request_server_restart")
            .WithSummary("Every instance reloads its caches (managers).");
    }

    /// <summary>The longest a restart waits for this instance's addon installs.</summary>
    static readonly TimeSpan InstallBudget = TimeSpan.FromSeconds(60);

    static async Task<IResult> RestartAsync(CurrentUser user, EventStore events, AttributeLibrary attributes, CacheInvalidation caches,
        AddonInstaller installer, CancellationToken cancellationToken)
    {
        if (!user.IsManager)
            throw new Forbidden("Only managers may restart the server");
        await installer.WaitForIdleAsync(InstallBudget, cancellationToken);
        await events.DispatchAsync(new NewEvent
        {
            Topic = "server.restart_requested",
            User = user.Name,
            Description = $"Server restart requested by {user.Name}",
            Summary = new JsonObject(),
        }, cancellationToken);
        await attributes.ReloadEverywhereAsync(cancellationToken);
        await caches.InvalidateAsync(CacheInvalidation.All);
        return Results.NoContent();
    }
}
