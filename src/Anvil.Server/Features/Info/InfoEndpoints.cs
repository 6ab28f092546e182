using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Sites;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

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

    /// <summary>Read once: <see cref="Process.GetCurrentProcess"/> reads /proc on every call. In UTC: local time converts per call.</summary>
    static readonly DateTime ProcessStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public static void MapInfoEndpoints(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        // Its services are singletons, taken once here: a handler with service parameters has ASP.NET open
        // (and dispose) a scope of the container for every request, a tenth of this route's own CPU.
        var services = app.ServiceProvider;
        var (users, attributes, sites, json) = (services.GetRequiredService<UserStore>(), services.GetRequiredService<AttributeLibrary>(),
            services.GetRequiredService<SiteRegistry>(), services.GetRequiredService<IOptions<JsonOptions>>());
        api.MapGet("/info", (HttpContext context, bool full = false) => GetInfoAsync(context, users, attributes, sites, json, full)).WithName("get_site_info").WithTags("System").AllowAnonymous()
            .Produces<InfoResponse>(StatusCodes.Status200OK, "application/json")
            .WithSummary("Server version and, for a logged-in user, who they are. Answers 200 with or without credentials.");
    }

    // The hottest route: every client asks it on connect and many keep asking. Its parts are constant
    // for as long as the cached value they come from lives (the user record, the attribute library,
    // the user's sites), so each is serialized once per value, and the answer after the uptime once
    // per combination of them; only the uptime is written per request, and the length is known up
    // front (AYON answers with a Content-Length too). The bytes are those JsonSerializer writes for
    // InfoResponse (a test compares them).
    static readonly ConditionalWeakTable<UserRecord, byte[]> UserJson = new();
    static readonly ConditionalWeakTable<IReadOnlyList<AttributeDefinition>, byte[]> AttributesJson = new();
    static readonly ConditionalWeakTable<IReadOnlyList<SiteInfo>, byte[]> SitesJson = new();
    static readonly ConditionalWeakTable<UserRecord, Tail> UserTails = new();
    static readonly byte[] NoSitesJson = "[]"u8.ToArray();

    /// <summary>The answer after its uptime, and the parts it was made from.</summary>
    sealed record Tail(byte[] Attributes, byte[] Sites, byte[] Bytes);

    static readonly JsonEncodedText VersionName = JsonEncodedText.Encode("version");
    static readonly JsonEncodedText ServerNameName = JsonEncodedText.Encode("serverName");
    static readonly JsonEncodedText ServerVersionName = JsonEncodedText.Encode("serverVersion");
    static readonly JsonEncodedText UptimeName = JsonEncodedText.Encode("uptime");
    static readonly JsonEncodedText UserName = JsonEncodedText.Encode("user");
    static readonly JsonEncodedText AttributesName = JsonEncodedText.Encode("attributes");
    static readonly JsonEncodedText NoAdminUserName = JsonEncodedText.Encode("noAdminUser");
    static readonly JsonEncodedText PasswordRecoveryName = JsonEncodedText.Encode("passwordRecoveryAvailable");
    static readonly JsonEncodedText SsoOptionsName = JsonEncodedText.Encode("ssoOptions");
    static readonly JsonEncodedText SitesName = JsonEncodedText.Encode("sites");

    /// <summary>The answer up to its uptime (<c>{"version":…,"uptime":</c>): the same for every request.</summary>
    static readonly byte[] Head = MakeHead();
    static readonly byte[] AnonymousTail = TailOf(null, null, null, NoSitesJson);

    static async Task GetInfoAsync(HttpContext context, UserStore users, AttributeLibrary attributes, SiteRegistry sites, IOptions<JsonOptions> json, bool full)
    {
        var options = json.Value.SerializerOptions;
        var user = CurrentUser.Of(context);
        byte[] tail;
        if (user is not null)
        {
            if (SiteHeaders.From(context.Request) is { } site)
                await sites.RegisterAsync(user.Name, site, context.RequestAborted);
            var sitesJson = Prepared(SitesJson, await sites.OfUserAsync(user.Name, context.RequestAborted), static list => list, options);
            var attributesJson = Prepared(AttributesJson, await attributes.AllAsync(context.RequestAborted),
                static all => (IReadOnlyList<AttributeModel>)[.. all.Select(AttributeModel.From)], options);
            var userJson = Prepared(UserJson, user.User, UserModel.From, options);
            if (full)
                tail = TailOf(userJson, attributesJson, !await users.AnyAdminAsync(context.RequestAborted), sitesJson);
            else if (UserTails.TryGetValue(user.User, out var known) && known.Attributes == attributesJson && known.Sites == sitesJson)
                tail = known.Bytes;
            else
                UserTails.AddOrUpdate(user.User, new Tail(attributesJson, sitesJson, tail = TailOf(userJson, attributesJson, null, sitesJson)));
        }
        else
            tail = full ? TailOf(null, null, !await users.AnyAdminAsync(context.RequestAborted), NoSitesJson) : AnonymousTail;

        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        WriteHead(response, tail.Length);
        await response.BodyWriter.WriteAsync(tail, context.RequestAborted);
    }

    /// <summary>Writes the head and this request's uptime, and sets the answer's length.</summary>
    static void WriteHead(HttpResponse response, int tailLength)
    {
        Span<byte> uptime = stackalloc byte[32];
        // Utf8JsonWriter formats a double with the same formatter.
        Utf8Formatter.TryFormat(Math.Round((DateTime.UtcNow - ProcessStart).TotalSeconds, 3), uptime, out var uptimeLength);
        response.ContentLength = Head.Length + uptimeLength + tailLength;
        var span = response.BodyWriter.GetSpan(Head.Length + uptimeLength);
        Head.CopyTo(span);
        uptime[..uptimeLength].CopyTo(span[Head.Length..]);
        response.BodyWriter.Advance(Head.Length + uptimeLength);
    }

    /// <summary>The serialized model of <paramref name="value"/>, made the first time it is asked for.</summary>
    static byte[] Prepared<TValue, TModel>(ConditionalWeakTable<TValue, byte[]> table, TValue value, Func<TValue, TModel> model, JsonSerializerOptions options)
        where TValue : class
    {
        if (table.TryGetValue(value, out var json))
            return json;
        json = JsonSerializer.SerializeToUtf8Bytes(model(value), options);
        table.AddOrUpdate(value, json);
        return json;
    }

    static byte[] MakeHead()
    {
        var whole = Whole(0, null, null, null, NoSitesJson);
        return whole[..(whole.AsSpan().IndexOf("\"uptime\":"u8) + "\"uptime\":"u8.Length)];
    }

    /// <summary>The answer after its uptime, for these parts.</summary>
    static byte[] TailOf(byte[]? userJson, byte[]? attributesJson, bool? noAdminUser, byte[] sitesJson) =>
        Whole(0, userJson, attributesJson, noAdminUser, sitesJson)[(Head.Length + "0"u8.Length)..];

    static byte[] Whole(double uptime, byte[]? userJson, byte[]? attributesJson, bool? noAdminUser, byte[] sitesJson)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
            Write(writer, uptime, userJson, attributesJson, noAdminUser, sitesJson);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>InfoResponse's properties in its order, with JsonSerializer's rules (camelCase, nulls left out).</summary>
    static void Write(Utf8JsonWriter writer, double uptime, byte[]? userJson, byte[]? attributesJson, bool? noAdminUser, byte[] sitesJson)
    {
        writer.WriteStartObject();
        writer.WriteString(VersionName, AyonVersion);
        writer.WriteString(ServerNameName, "Anvil");
        writer.WriteString(ServerVersionName, AnvilVersion);
        writer.WriteNumber(UptimeName, uptime);
        if (userJson is not null)
        {
            writer.WritePropertyName(UserName);
            writer.WriteRawValue(userJson, skipInputValidation: true);
        }
        if (attributesJson is not null)
        {
            writer.WritePropertyName(AttributesName);
            writer.WriteRawValue(attributesJson, skipInputValidation: true);
        }
        if (noAdminUser is { } noAdmin)
            writer.WriteBoolean(NoAdminUserName, noAdmin);
        writer.WriteBoolean(PasswordRecoveryName, false);
        writer.WriteStartArray(SsoOptionsName);
        writer.WriteEndArray();
        writer.WritePropertyName(SitesName);
        writer.WriteRawValue(sitesJson, skipInputValidation: true);
        writer.WriteEndObject();
    }
}
