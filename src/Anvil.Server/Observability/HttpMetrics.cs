using System.Diagnostics;

namespace Anvil.Server.Observability;

/// <summary>
/// Counts every request by method, route template and status, and times it, for
/// <see cref="AnvilMetrics"/>. Labels are templates (<c>/api/projects/{projectName}/folders/{folderId}</c>),
/// never raw paths, so the number of series stays bounded; a request no route matched counts under
/// <c>unmatched</c>.
/// </summary>
public sealed class HttpMetrics(RequestDelegate next)
{
    static readonly string[] StatusTexts = Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        // Routing has run already; read the endpoint now, as the exception handler clears it.
        var endpoint = context.GetEndpoint();
        if (context.WebSockets.IsWebSocketRequest)
        {
            // A websocket session lasts minutes to days: its duration says nothing about the server.
            try { await next(context); }
            finally { Count(context, endpoint); }
            return;
        }
        var started = Stopwatch.GetTimestamp();
        AnvilMetrics.HttpRequestsInProgress.Inc();
        try
        {
            await next(context);
        }
        finally
        {
            AnvilMetrics.HttpRequestsInProgress.Dec();
            var (method, route) = Count(context, endpoint);
            AnvilMetrics.HttpRequestDuration.WithLabels(method, route).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    static (string Method, string Route) Count(HttpContext context, Endpoint? endpoint)
    {
        var method = Method(context.Request.Method);
        var route = ((endpoint ?? context.GetEndpoint()) as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        var status = context.Response.StatusCode;
        AnvilMetrics.HttpRequests.WithLabels(method, route, (uint)status < StatusTexts.Length ? StatusTexts[status] : "other").Inc();
        return (method, route);
    }

    /// <summary>The method as a label: the standard ones (interned by the server), anything else <c>OTHER</c>.</summary>
    static string Method(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "PATCH" or "DELETE" or "HEAD" or "OPTIONS" => method,
        _ => "OTHER",
    };
}
