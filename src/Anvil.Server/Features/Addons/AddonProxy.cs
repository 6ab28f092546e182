using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// Every other route under <c>/api/addons/{name}/{version}/</c> (Anvil's own — settings, overrides,
/// schema, site settings — are more specific and win) goes to the addon's own endpoints in the addon
/// HTTP host: a streamed forward over its unix socket. Anvil authenticates first; the request's
/// credentials (Authorization, cookies, API key) stay here, and the host gets the user as
/// <c>X-Anvil-User</c> instead. A user has at most <c>AYON_ADDON_ENDPOINT_CONCURRENCY</c> requests
/// running (429 beyond); an endpoint that does not answer in <c>AYON_ADDON_ENDPOINT_TIMEOUT</c> is a
/// 504, an addon that fails or a host that cannot be reached a 502. The body streams through untouched
/// with its <c>Content-Type</c> (a multipart upload keeps its boundary), up to
/// <c>AYON_ADDON_ENDPOINT_MAX_BODY_SIZE</c> (413 beyond, whether its length was announced or not).
/// A websocket upgrade opens the addon's websocket route and copies the messages both ways (it counts
/// as a running request while it is open).
/// </summary>
public static class AddonProxy
{
    const string UserHeader = "X-Anvil-User";
    const string DirHeader = "X-Anvil-Addon-Dir";
    const string ServerUrlHeader = "X-Anvil-Server-Url";

    static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie", "X-Api-Key", "X-As-User", "Host", "Connection", "Keep-Alive", "Transfer-Encoding",
        "TE", "Trailer", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Expect", "Content-Length", AddonHostKey.Header,
        UserHeader, DirHeader, ServerUrlHeader,
    };

    static readonly HashSet<string> NotReturned = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Server", "Set-Cookie",
    };

    static readonly ConcurrentDictionary<string, int> Running = new(StringComparer.OrdinalIgnoreCase);

    public static void MapAddonProxy(this RouteGroupBuilder api)
    {
        api.MapMethods("/addons/{addonName}/{addonVersion}/{**path}", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], ForwardAsync)
            .WithTags("Addons").WithName("addon_endpoint")
            .WithSummary("An addon's own endpoint, served by the addon host (any method; the addon defines the path, parameters and answer).");
    }

    static async Task ForwardAsync(string addonName, string addonVersion, string? path, HttpContext http, CurrentUser user,
        AddonStore store, AddonMaterializer materializer, AddonEndpointHost host, AyonOptions options)
    {
        var files = await store.FilesAsync(addonName, addonVersion, http.RequestAborted)
            ?? throw new NotFound($"Addon {addonName} {addonVersion} is not installed");
        var folder = await materializer.EnsureAsync(files, http.RequestAborted);

        var running = Running.AddOrUpdate(user.Name, 1, (_, n) => n + 1);
        try
        {
            if (running > options.AddonEndpointConcurrency)
                throw new AyonError(429, $"Too many addon requests at once (at most {options.AddonEndpointConcurrency}, AYON_ADDON_ENDPOINT_CONCURRENCY); try again");
            if (http.WebSockets.IsWebSocketRequest)
            {
                await ForwardWebSocketAsync(http, user, folder, host, $"/{path} of addon {addonName} {addonVersion}");
                return;
            }
            using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method),
                "http://addon-host" + http.Request.Path.ToUriComponent() + http.Request.QueryString.ToUriComponent());
            if (HasBody(http.Request))
            {
                var limit = options.AddonEndpointMaxBodySize;
                if (http.Request.ContentLength > limit)
                    throw TooLarge(options);
                if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
                    bodyLimit.MaxRequestBodySize = limit;
                request.Content = new StreamContent(http.Request.Body);
                if (http.Request.ContentLength is { } length)
                    request.Content.Headers.ContentLength = length;
            }
            foreach (var (name, values) in http.Request.Headers)
            {
                if (NotForwarded.Contains(name))
                    continue;
                if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                    request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
            AddIdentity(request, user, folder, ServerUrl(http));

            HttpResponseMessage answer;
            try
            {
                answer = await host.SendAsync(request, http.RequestAborted);
            }
            catch (TimeoutException e)
            {
                throw new AyonError(504, $"The endpoint /{path} of addon {addonName} {addonVersion} {e.Message}");
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw TooLarge(options);
            }
            catch (AddonHostUnavailable e)
            {
                throw new AyonError(502, $"The endpoint /{path} of addon {addonName} {addonVersion} could not run: {e.Message}");
            }
            using (answer)
            {
                http.Response.StatusCode = (int)answer.StatusCode;
                foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
                {
                    if (!NotReturned.Contains(name))
                        http.Response.Headers[name] = values.ToArray();
                }
                await using var body = await answer.Content.ReadAsStreamAsync(http.RequestAborted);
                await body.CopyToAsync(http.Response.Body, http.RequestAborted);
            }
        }
        finally
        {
            Running.AddOrUpdate(user.Name, 0, (_, n) => n - 1);
        }
    }

    /// <summary>
    /// A websocket upgrade: the host's websocket route is opened first (so its refusal — no such route,
    /// not accepted, no user — is this request's answer), then the client's upgrade is accepted and the
    /// messages are copied both ways, fragments and close status included, until either side closes.
    /// </summary>
    static async Task ForwardWebSocketAsync(HttpContext http, CurrentUser user, string folder, AddonEndpointHost host, string route)
    {
        using var upstream = new ClientWebSocket();
        upstream.Options.CollectHttpResponseDetails = true;
        foreach (var protocol in http.WebSockets.WebSocketRequestedProtocols)
            upstream.Options.AddSubProtocol(protocol);
        foreach (var (name, values) in http.Request.Headers)
        {
            if (NotForwarded.Contains(name) || name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase))
                continue;
            try
            {
                upstream.Options.SetRequestHeader(name, values.ToString());
            }
            catch (ArgumentException)
            {
                // a header the websocket client will not send (it sets it itself)
            }
        }
        foreach (var (name, value) in Identity(user, folder, ServerUrl(http)))
            upstream.Options.SetRequestHeader(name, value);
        var uri = new Uri("ws://addon-host" + http.Request.Path.ToUriComponent() + http.Request.QueryString.ToUriComponent());
        try
        {
            await host.ConnectWebSocketAsync(upstream, uri, http.RequestAborted);
        }
        catch (WebSocketException) when (upstream.HttpStatusCode is not 0)
        {
            throw new AyonError((int)upstream.HttpStatusCode, $"The websocket route {route} refused the connection ({(int)upstream.HttpStatusCode})");
        }
        catch (TimeoutException e)
        {
            throw new AyonError(504, $"The websocket route {route} {e.Message}");
        }
        catch (AddonHostUnavailable e)
        {
            throw new AyonError(502, $"The websocket route {route} could not run: {e.Message}");
        }
        using var downstream = await http.WebSockets.AcceptWebSocketAsync(upstream.SubProtocol);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var toHost = CopyAsync(downstream, upstream, stop.Token);
        var toClient = CopyAsync(upstream, downstream, stop.Token);
        await Task.WhenAny(toHost, toClient);
        // One side closed or dropped: the other's close handshake gets a moment, then both are cut.
        await Task.WhenAny(Task.WhenAll(toHost, toClient), Task.Delay(TimeSpan.FromSeconds(5), stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        await stop.CancelAsync();
        await Task.WhenAll(toHost, toClient);
    }

    /// <summary>Copies messages from one socket to the other until a close (passed on) or a failure (both aborted).</summary>
    static async Task CopyAsync(WebSocket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        var status = from.CloseStatus ?? WebSocketCloseStatus.Empty;
                        await to.CloseOutputAsync(status, status == WebSocketCloseStatus.Empty ? null : from.CloseStatusDescription, cancellationToken);
                    }
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            from.Abort();
            to.Abort();
        }
    }

    static AyonError TooLarge(AyonOptions options) =>
        new(413, $"Request body is larger than {options.AddonEndpointMaxBodySize} bytes (AYON_ADDON_ENDPOINT_MAX_BODY_SIZE)", "request-too-large");

    static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase);

    /// <summary>Who the request is for, the version folder and the server's public address, as the host reads them.</summary>
    public static void AddIdentity(HttpRequestMessage request, CurrentUser user, string? folder, string serverUrl)
    {
        foreach (var (name, value) in Identity(user, folder, serverUrl))
            request.Headers.TryAddWithoutValidation(name, value);
    }

    static IEnumerable<(string Name, string Value)> Identity(CurrentUser user, string? folder, string serverUrl)
    {
        yield return (UserHeader, Convert.ToBase64String(Encoding.UTF8.GetBytes(ForwardedUser(user).ToJsonString())));
        if (folder is not null)
            yield return (DirHeader, folder);
        yield return (ServerUrlHeader, serverUrl);
    }

    /// <summary>What addon code sees of the user: name, attributes, level and access groups (never credentials or preferences).</summary>
    static JsonObject ForwardedUser(CurrentUser user)
    {
        var data = new JsonObject();
        foreach (var key in new[] { "isAdmin", "isManager", "isService", "isGuest", "isDeveloper", "accessGroups", "defaultAccessGroups" })
        {
            if (user.User.Data[key] is { } value)
                data[key] = value.DeepClone();
        }
        return new JsonObject
        {
            ["name"] = user.Name,
            ["attrib"] = user.User.Attrib.DeepClone(),
            ["data"] = data,
            ["active"] = user.User.Active,
        };
    }

    /// <summary>The address clients reach this server at: the <c>Referer</c>'s origin (the launcher sends it), else the request's own.</summary>
    public static string ServerUrl(HttpContext http)
    {
        if (Uri.TryCreate(http.Request.Headers.Referer.ToString(), UriKind.Absolute, out var referer) && referer.Scheme is "http" or "https")
            return referer.GetLeftPart(UriPartial.Authority);
        return $"{http.Request.Scheme}://{http.Request.Host}";
    }
}
