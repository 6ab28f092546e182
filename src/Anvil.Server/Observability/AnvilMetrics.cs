using Prometheus;

namespace Anvil.Server.Observability;

/// <summary>
/// Every Prometheus instrument of the server, in one registry of its own (no default .NET meters or
/// event counters are adapted: they cost on every request whether scraped or not). Counters are
/// process-wide and cost one interlocked add; gauges of state another service owns (pool, Redis,
/// websocket clients, addon host) are read when <c>/metrics</c> is scraped, never on a request.
/// Names and labels are listed in docs/deploy.md.
/// </summary>
public static class AnvilMetrics
{
    public static CollectorRegistry Registry { get; } = CreateRegistry();

    static readonly MetricFactory Factory = Metrics.WithCustomRegistry(Registry);

    public static readonly Counter HttpRequests = Factory.CreateCounter(
        "anvil_http_requests_total", "HTTP requests answered, by method, route template and status code.",
        ["method", "route", "status"]);

    public static readonly Histogram HttpRequestDuration = Factory.CreateHistogram(
        "anvil_http_request_duration_seconds", "Time to answer an HTTP request (websocket sessions excluded), by method and route template.",
        new HistogramConfiguration
        {
            LabelNames = ["method", "route"],
            Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        });

    public static readonly Gauge HttpRequestsInProgress = Factory.CreateGauge(
        "anvil_http_requests_in_progress", "HTTP requests being answered now (websocket sessions excluded).");

    public static readonly Gauge PostgresConnections = Factory.CreateGauge(
        "anvil_postgres_pool_connections", "PostgreSQL connections of this process's pool, by state (busy, idle).", ["state"]);

    public static readonly Gauge PostgresPoolMax = Factory.CreateGauge(
        "anvil_postgres_pool_max_connections", "Largest number of PostgreSQL connections the pool may open (AYON_POSTGRES_POOL_SIZE).");

    public static readonly Gauge RedisConnected = Factory.CreateGauge(
        "anvil_redis_connected", "1 when this instance's Redis connection is up, else 0.");

    public static readonly Counter EventsPublished = Factory.CreateCounter(
        "anvil_events_published_total", "Event stream messages this instance published to Redis (from the outbox).");

    public static readonly Gauge WebSocketClients = Factory.CreateGauge(
        "anvil_websocket_clients", "Websocket (/ws) clients connected to this instance.");

    public static readonly Gauge WebSocketQueueDepth = Factory.CreateGauge(
        "anvil_websocket_queued_messages", "Event messages waiting to be sent to this instance's websocket clients, all clients together.");

    public static readonly Counter EnrollRequests = Factory.CreateCounter(
        "anvil_enroll_requests_total", "POST /api/enroll answers, by result (job: a job was taken or resumed; none: nothing to do).", ["result"]);

    public static readonly Counter AddonHostCalls = Factory.CreateCounter(
        "anvil_addon_host_calls_total", "Calls to the live addon host, by result (ok, failed: the addon raised, unavailable: the host broke or timed out).", ["result"]);

    public static readonly Counter AddonHostStarts = Factory.CreateCounter(
        "anvil_addon_host_starts_total", "Live addon host processes started (one at the first call, another after each crash or timeout).");

    public static readonly Gauge AddonHostRunning = Factory.CreateGauge(
        "anvil_addon_host_running", "1 when this instance's live addon host process is running, else 0 (it starts at the first call that needs it).");

    public static readonly Counter CacheLookups = Factory.CreateCounter(
        "anvil_cache_lookups_total", "Lookups in the instance caches, by cache and result (hit, miss).", ["cache", "result"]);

    static CollectorRegistry CreateRegistry()
    {
        var registry = Metrics.NewCustomRegistry();
        // process_* and dotnet_* (CPU, memory, GC, threads): read when scraped.
        DotNetStats.Register(registry);
        return registry;
    }
}
