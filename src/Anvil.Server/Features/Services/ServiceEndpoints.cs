using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Services;

/// <summary>Body of <c>PUT /api/services/{name}</c> (AYON's "spawn service").</summary>
public sealed record SpawnServiceRequest
{
    public string? AddonName { get; init; }
    public string? AddonVersion { get; init; }
    /// <summary>One of the services the addon version declares in its package (<c>services</c>).</summary>
    public string? Service { get; init; }
    /// <summary>The host (ASH) that should run it.</summary>
    public string? Hostname { get; init; }
    /// <summary><c>{env, volumes, ports, memLimit, user, storagePath}</c>, handed to the host.</summary>
    public JsonObject? Config { get; init; }
}

/// <summary>Body of <c>PATCH /api/services/{name}</c>.</summary>
public sealed record PatchServiceRequest
{
    public bool? ShouldRun { get; init; }
    public string? Hostname { get; init; }
    /// <summary>Replaces the whole config.</summary>
    public JsonObject? Config { get; init; }
}

/// <summary>Body of <c>POST /api/hosts/heartbeat</c>, as ASH sends it every 2 s.</summary>
public sealed record HeartbeatRequest
{
    public string? Hostname { get; init; }
    /// <summary><c>{cpu, mem}</c> in percent.</summary>
    public JsonObject? Health { get; init; }
    /// <summary>Names of the services running on the host.</summary>
    public string[]? Services { get; init; }
}

/// <summary>Answer of <c>GET /api/services</c> and of the heartbeat.</summary>
public sealed record ServiceListResponse(IReadOnlyList<ServiceRecord> Services);

/// <summary>Answer of <c>GET /api/hosts</c>.</summary>
public sealed record HostListResponse(IReadOnlyList<HostRecord> Hosts);

/// <summary>
/// Services and the hosts that run them (AYON's ASH protocol, docs/services.md): admins declare which
/// addon service runs on which host; each host's heartbeat reports what runs there and gets back
/// what should.
/// </summary>
public static partial class ServiceEndpoints
{
    public static void MapServiceEndpoints(this RouteGroupBuilder api)
    {
        var services = api.MapGroup("/services").WithTags("Services");
        services.MapGet("", ListAsync).WithName("list_services")
            .WithSummary("Every service, with whether it runs and when its host last reported it (admins).");
        services.MapPut("/{name}", SpawnAsync).WithName("spawn_service")
            .WithSummary("Declare a service of an installed addon version to run on a host (admins).");
        services.MapPatch("/{name}", PatchAsync).WithName("patch_service")
            .WithSummary("Start or stop a service (shouldRun), move it, or change its config (admins).");
        services.MapDelete("/{name}", DeleteAsync).WithName("delete_service")
            .WithSummary("Remove a service; its host stops it at its next heartbeat (admins).");
        var hosts = api.MapGroup("/hosts").WithTags("Services");
        hosts.MapGet("", HostsAsync).WithName("list_hosts")
            .WithSummary("The service hosts and their last heartbeat (admins).");
        hosts.MapPost("/heartbeat", HeartbeatAsync).WithName("host_heartbeat")
            .WithSummary("A service host reports its health and running services, and gets the services it should run (service users).");
    }

    static async Task<ServiceListResponse> ListAsync(CurrentUser user, ServiceStore store, CancellationToken cancellationToken)
    {
        RequireAdmin(user, "list services");
        return new ServiceListResponse(await store.ListAsync(cancellationToken));
    }

    static async Task<IResult> SpawnAsync(string name, SpawnServiceRequest request, CurrentUser user, ServiceStore store, AddonStore addons,
        CancellationToken cancellationToken)
    {
        CheckServiceName(name);
        RequireAdmin(user, "declare services");
        var addonName = Required(request.AddonName, "addonName");
        var addonVersion = Required(request.AddonVersion, "addonVersion");
        var service = Required(request.Service, "service");
        var hostname = CheckHostname(Required(request.Hostname, "hostname"), "hostname");
        var version = (await addons.ListAsync(cancellationToken)).FirstOrDefault(v => v.Name == addonName && v.Version == addonVersion)
            ?? throw new NotFound($"Addon {addonName} {addonVersion} is not installed");
        if (version.Metadata["services"] is not JsonObject declared || declared[service] is not { } declaration)
            throw BadRequest.Field("service", $"addon {addonName} {addonVersion} declares no service '{service}'"
                + (version.Metadata["services"] is JsonObject some && some.Count > 0 ? $" (it declares: {string.Join(", ", some.Select(s => s.Key))})" : ""));
        var data = Data(request.Config, declaration is JsonObject d ? AyonJson.Text(d["image"]) : null);
        await store.PutAsync(new NewService(name, hostname, addonName, addonVersion, service, data), cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> PatchAsync(string name, PatchServiceRequest request, CurrentUser user, ServiceStore store, CancellationToken cancellationToken)
    {
        CheckServiceName(name);
        RequireAdmin(user, "change services");
        var existing = await store.GetAsync(name, cancellationToken) ?? throw new NotFound($"Service {name} not found");
        var hostname = request.Hostname is null ? null : CheckHostname(request.Hostname, "hostname");
        var data = request.Config is null ? null : Data(request.Config, AyonJson.Text(existing.Data["image"]));
        if (!await store.PatchAsync(name, request.ShouldRun, hostname, data, cancellationToken))
            throw new NotFound($"Service {name} not found");
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string name, CurrentUser user, ServiceStore store, CancellationToken cancellationToken)
    {
        CheckServiceName(name);
        RequireAdmin(user, "remove services");
        if (!await store.DeleteAsync(name, cancellationToken))
            throw new NotFound($"Service {name} not found");
        return Results.NoContent();
    }

    static async Task<HostListResponse> HostsAsync(CurrentUser user, ServiceStore store, CancellationToken cancellationToken)
    {
        RequireAdmin(user, "list hosts");
        return new HostListResponse(await store.HostsAsync(cancellationToken));
    }

    static async Task<ServiceListResponse> HeartbeatAsync(HeartbeatRequest request, CurrentUser user, ServiceStore store, CancellationToken cancellationToken)
    {
        if (!user.IsService)
            throw new Forbidden("Only service users may send host heartbeats");
        var hostname = CheckHostname(Required(request.Hostname, "hostname"), "hostname");
        var running = request.Services ?? [];
        for (var i = 0; i < running.Length; i++)
            if (running[i] is null)
                throw BadRequest.Field($"services.{i}", "must be a service name");
        return new ServiceListResponse(await store.HeartbeatAsync(hostname, request.Health ?? [], running, cancellationToken));
    }

    /// <summary>What the host gets: the admin's config, checked field by field, and the package's image.</summary>
    static JsonObject Data(JsonObject? config, string? image)
    {
        var data = (JsonObject?)config?.DeepClone() ?? [];
        foreach (var (key, value) in data)
        {
            var ok = key switch
            {
                "volumes" or "ports" => value is null || value is JsonArray list && list.All(item => item?.GetValueKind() == JsonValueKind.String),
                "memLimit" or "user" or "storagePath" or "image" => value is null || value.GetValueKind() == JsonValueKind.String,
                "env" => value is null || value is JsonObject,
                _ => true,
            };
            if (!ok)
                throw BadRequest.Field($"config.{key}", key switch
                {
                    "volumes" or "ports" => "must be a list of strings",
                    "env" => "must be an object of variables",
                    _ => "must be a string",
                });
        }
        data.Remove("image");
        data["image"] = image;
        data["env"] ??= new JsonObject();
        return data;
    }

    static void RequireAdmin(CurrentUser user, string action)
    {
        if (!user.IsAdmin)
            throw new Forbidden($"Only admins may {action}");
    }

    static string Required(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw BadRequest.Field(field, "is required", "missing") : value;

    static void CheckServiceName(string name)
    {
        if (name.Length > 64 || !ServiceName().IsMatch(name))
            throw PathParameter("name", "a service name is letters, digits, '_', '.' and '-', at most 64 characters");
    }

    static string CheckHostname(string hostname, string field) =>
        hostname.Length <= 255 && Hostname().IsMatch(hostname) ? hostname : throw BadRequest.Field(field, "a host name is letters, digits, '_', '.' and '-'");

    /// <summary>A 400 naming a path parameter (loc <c>["path", name]</c>), without quoting its value.</summary>
    internal static BadRequest PathParameter(string name, string message)
    {
        var error = new BadRequest($"{name}: {message}", "validation-error");
        error.Extra["errors"] = new[] { new ValidationIssue(["path", name], message, "value_error") };
        return error;
    }

    [GeneratedRegex(Names.Entity)]
    private static partial Regex ServiceName();

    [GeneratedRegex(@"^[a-zA-Z0-9_.\-]+$")]
    private static partial Regex Hostname();
}
