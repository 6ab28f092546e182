using System.Diagnostics;
using System.Reflection;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Sites;

namespace Anvil.Server.Features.Info;

/// <summary>
/// What <c>GET /api/info</c> answers, in AYON's shape. <c>version</c> is the AYON feature level this
/// server implements (strict semver: the official client parses it); Anvil's own name and version
/// are separate fields.
/// </summary>
public sealed record InfoResponse
{
    /// <summary>The AYON server version whose API this server implements.</summary>
    public required string Version { get; init; }

    /// <summary>The implementation answering ("Anvil").</summary>
    public required string ServerName { get; init; }

    /// <summary>The implementation's own version.</summary>
    public required string ServerVersion { get; init; }

    /// <summary>Seconds since this process started.</summary>
    public required double Uptime { get; init; }

    /// <summary>The authenticated user, when the request carried valid credentials.</summary>
    public UserModel? User { get; init; }

    /// <summary>The attribute library, for a logged-in user (the web UI builds its forms and columns from it).</summary>
    public IReadOnlyList<AttributeModel>? Attributes { get; init; }

    /// <summary>True when no active admin exists yet.</summary>
    public bool? NoAdminUser { get; init; }

    public bool PasswordRecoveryAvailable { get; init; }
    public object[] SsoOptions { get; init; } = [];

    /// <summary>The caller's workstations (registered by this request's x-ayon-* headers too).</summary>
    public IReadOnlyList<SiteInfo> Sites { get; init; } = [];
}

public static class InfoEndpoints
{
    /// <summary>The AYON API level implemented (see DESIGN.md).</summary>
    public const string AyonVersion = "1.16.0";

    public static string AnvilVersion { get; } =
        typeof(InfoEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Read once: <see cref="Process.GetCurrentProcess"/> reads /proc on every call.</summary>
    static readonly DateTime ProcessStart = Process.GetCurrentProcess().StartTime;

    public static void MapInfoEndpoints(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        api.MapGet("/info", GetInfoAsync).WithName("get_site_info").WithTags("System").AllowAnonymous()
            .WithSummary("Server version and, for a logged-in user, who they are. Answers 200 with or without credentials.");
    }

    static async Task<InfoResponse> GetInfoAsync(HttpContext context, UserStore users, AttributeLibrary attributes, SiteRegistry sites, bool full = false)
    {
        var user = CurrentUser.Of(context);
        IReadOnlyList<SiteInfo> userSites = [];
        if (user is not null)
        {
            if (SiteHeaders.From(context.Request) is { } site)
                await sites.RegisterAsync(user.Name, site, context.RequestAborted);
            userSites = await sites.OfUserAsync(user.Name, context.RequestAborted);
        }
        return new InfoResponse
        {
            Version = AyonVersion,
            ServerName = "Anvil",
            ServerVersion = AnvilVersion,
            Uptime = Math.Round((DateTime.Now - ProcessStart).TotalSeconds, 3),
            User = user is null ? null : UserModel.From(user.User),
            Attributes = user is null ? null : [.. (await attributes.AllAsync(context.RequestAborted)).Select(AttributeModel.From)],
            NoAdminUser = full ? !await users.AnyAdminAsync(context.RequestAborted) : null,
            Sites = userSites,
        };
    }
}
