using System.Collections.Concurrent;
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
    static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "OTHER"];

    /// <summary>
    /// The instruments of each endpoint and method, labelled once: a labelled child costs a label
    /// array and a dictionary lookup to find, the request only an add. Keyed by the endpoint object
    /// (one per route, for the process's life); <see cref="Unmatched"/> for requests no route matched.
    /// </summary>
    static readonly ConcurrentDictionary<Endpoint, RouteMethods> ByEndpoint = new();
    static readonly RouteMethods Unmatched = NewMethods("unmatched");

    public async Task InvokeAsync(HttpContext context)
    {
        // Routing has run already; read the endpoint now, as the exception handler clears it.
        var endpoint = context.GetEndpoint();
        if (WebSocketHandshake.IsRequested(context.Request))
        {
            // A websocket session lasts minutes to days: its duration says nothing about the server.
            try { await next(context); }
            finally { Instruments(context, endpoint).Count(context.Response.StatusCode); }
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
            var instruments = Instruments(context, endpoint);
            instruments.Count(context.Response.StatusCode);
            instruments.Duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    static RouteInstruments Instruments(HttpContext context, Endpoint? endpoint)
    {
        var methods = (endpoint ?? context.GetEndpoint()) is RouteEndpoint { RoutePattern.RawText: { } route } routeEndpoint
            ? ByEndpoint.GetOrAdd(routeEndpoint, static (_, route) => NewMethods(route), route)
            : Unmatched;
        var index = MethodIndex(context.Request.Method);
        // Made on a method's first request: a series for each method a route never answers would only bloat the scrape.
        return methods.Instruments[index] ??= new RouteInstruments(Methods[index], methods.Route);
    }

    static RouteMethods NewMethods(string route) => new(route, new RouteInstruments?[Methods.Length]);

    sealed record RouteMethods(string Route, RouteInstruments?[] Instruments);

    /// <summary>The method as a label: the standard ones (interned by the server), anything else <c>OTHER</c>.</summary>
    static int MethodIndex(string method) => method switch
    {
        "GET" => 0,
        "POST" => 1,
        "PUT" => 2,
        "PATCH" => 3,
        "DELETE" => 4,
        "HEAD" => 5,
        "OPTIONS" => 6,
        _ => 7,
    };

    /// <summary>One route and method: its duration, and its request counter per status (made when first answered).</summary>
    sealed class RouteInstruments(string method, string route)
    {
        readonly Prometheus.Counter.Child?[] _byStatus = new Prometheus.Counter.Child?[StatusTexts.Length + 1];

        Prometheus.Histogram.Child? _duration;

        /// <summary>Made when first timed: a websocket route is only counted, and an untimed series would read as zero-length requests.</summary>
        public Prometheus.Histogram.Child Duration => _duration ??= AnvilMetrics.HttpRequestDuration.WithLabels(method, route);

        public void Count(int status)
        {
            var index = (uint)status < StatusTexts.Length ? status : StatusTexts.Length;
            var counter = _byStatus[index] ??= AnvilMetrics.HttpRequests.WithLabels(method, route, index < StatusTexts.Length ? StatusTexts[index] : "other");
            counter.Inc();
        }
    }
}
