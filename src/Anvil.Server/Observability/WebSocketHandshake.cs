namespace Anvil.Server.Observability;

/// <summary>
/// Whether a request opens a websocket, known from the request itself: before ASP.NET's websocket
/// middleware has run (<c>context.WebSockets</c> knows only once it has set its feature), and without it
/// (only such requests go through it).
/// </summary>
public static class WebSocketHandshake
{
    /// <summary>An HTTP/1.1 upgrade to <c>websocket</c>, or an HTTP/2 extended CONNECT (which carries no Upgrade header).</summary>
    public static bool IsRequested(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
        || HttpMethods.IsConnect(request.Method);
}
