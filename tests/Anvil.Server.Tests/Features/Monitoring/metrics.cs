using System.Globalization;
using System.Net.Http.Headers;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Monitoring;

/// <summary>A server whose metrics a scraper reads with <c>AYON_METRICS_API_KEY</c>.</summary>
public sealed class InstanceWithMetricsKey : AnvilApp
{
    public const string MetricsKey = "metrics-key-0123456789abcdef";
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_METRICS_API_KEY", MetricsKey)];
}

public sealed class InstanceWithPublicMetrics : AnvilApp
{
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_METRICS", "public")];
}

public sealed class InstanceWithoutMetrics : AnvilApp
{
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_METRICS", "off")];
}

/// <summary>The Prometheus text of <c>/metrics</c>, series by series.</summary>
sealed class Scrape(string text)
{
    public string Text { get; } = text;

    public static async Task<Scrape> ReadAsync(Api api, string path = "/metrics")
    {
        var response = await api.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new Scrape(text);
    }

    /// <summary>The value of one series, e.g. <c>anvil_http_requests_total{method="GET",route="/api/info",status="200"}</c>; 0 when absent.</summary>
    public double Value(string series)
    {
        foreach (var line in Text.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        return 0;
    }

    public bool Declares(string metric, string type) => Text.Contains($"# TYPE {metric} {type}\n", StringComparison.Ordinal);
}

/// <summary>/metrics: Prometheus text, protected by default, names and labels that move with the traffic.</summary>
public sealed class metrics(AnvilApp app, InstanceWithMetricsKey keyed, InstanceWithPublicMetrics open, InstanceWithoutMetrics off)
    : IClassFixture<AnvilApp>, IClassFixture<InstanceWithMetricsKey>, IClassFixture<InstanceWithPublicMetrics>, IClassFixture<InstanceWithoutMetrics>
{
    [Fact]
    public async Task metrics_are_refused_to_anonymous_callers_and_non_admins_and_served_to_an_admin()
    {
        var (_, user) = await TestUsers.CreateAsync(app);

        await app.Anonymous().GetAsync("/metrics", expect: 401);
        await user.GetAsync("/metrics", expect: 403);
        await user.GetAsync("/api/metrics/system", expect: 403);
        var scrape = await Scrape.ReadAsync(await app.LoginAsync());

        Assert.True(scrape.Declares("anvil_http_requests_total", "counter"));
    }

    [Fact]
    public async Task the_metrics_api_key_reads_them_as_a_bearer_token_or_an_api_key_header_and_a_wrong_key_does_not()
    {
        var bearer = keyed.Anonymous();
        bearer.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InstanceWithMetricsKey.MetricsKey);
        var header = keyed.Anonymous();
        header.Http.DefaultRequestHeaders.Add("X-Api-Key", InstanceWithMetricsKey.MetricsKey);
        var wrong = keyed.Anonymous();
        wrong.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-metrics-key");

        await Scrape.ReadAsync(bearer);
        await Scrape.ReadAsync(header, "/api/metrics/system");
        await wrong.GetAsync("/metrics", expect: 401);
    }

    [Fact]
    public async Task public_metrics_need_no_credentials_and_metrics_off_removes_the_route()
    {
        await Scrape.ReadAsync(open.Anonymous());

        await off.Anonymous().GetAsync("/metrics", expect: 404);
        await off.Service().GetAsync("/api/metrics/system", expect: 404);
    }

    [Fact]
    public async Task a_request_counts_under_its_method_route_template_and_status_and_is_timed()
    {
        var admin = await app.LoginAsync();
        var project = await TestProjects.CreateAsync(app);
        const string route = "/api/projects/{projectName}/folders/{id}";
        var notFound = $"anvil_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"404\"}}";
        var timed = $"anvil_http_request_duration_seconds_count{{method=\"GET\",route=\"{route}\"}}";
        var before = await Scrape.ReadAsync(admin);

        await app.Service().GetAsync($"/api/projects/{project}/folders/{Guid.NewGuid():N}", expect: 404);
        await app.Service().GetAsync($"/api/projects/{project}/folders/{Guid.NewGuid():N}", expect: 404);
        var after = await Scrape.ReadAsync(admin);

        Assert.True(after.Value(notFound) - before.Value(notFound) >= 2, after.Text);
        Assert.True(after.Value(timed) - before.Value(timed) >= 2);
        Assert.True(after.Declares("anvil_http_request_duration_seconds", "histogram"));
        Assert.Contains($"anvil_http_request_duration_seconds_bucket{{method=\"GET\",route=\"{route}\",le=\"0.005\"}}", after.Text);
        Assert.DoesNotContain($"route=\"/api/projects/{project}", after.Text);
    }

    [Fact]
    public async Task a_websocket_session_is_counted_but_not_timed_and_a_route_has_series_only_for_the_methods_it_answered()
    {
        var admin = await app.LoginAsync();
        await using (await StreamSocket.SubscribeAsync(app, [TestUsers.Unique("test.metrics.")]))
        {
        }
        await app.Anonymous().GetAsync("/api/info");

        // The server counts the session when its side has closed, a moment after the client's.
        const string sessions = "anvil_http_requests_total{method=\"GET\",route=\"/ws\",status=\"101\"}";
        var scrape = await Scrape.ReadAsync(admin);
        for (var attempt = 0; attempt < 50 && scrape.Value(sessions) < 1; attempt++)
        {
            await Task.Delay(100);
            scrape = await Scrape.ReadAsync(admin);
        }

        Assert.True(scrape.Value(sessions) >= 1, scrape.Text);
        Assert.DoesNotContain("anvil_http_request_duration_seconds_count{method=\"GET\",route=\"/ws\"}", scrape.Text);
        Assert.True(scrape.Value("anvil_http_request_duration_seconds_count{method=\"GET\",route=\"/api/info\"}") >= 1);
        Assert.DoesNotContain("method=\"PATCH\",route=\"/api/info\"", scrape.Text);
    }

    [Fact]
    public async Task the_gauges_report_the_pool_redis_and_the_websocket_clients_of_the_instance()
    {
        var admin = await app.LoginAsync();
        await using var socket = await StreamSocket.SubscribeAsync(app, [TestUsers.Unique("test.metrics.")]);

        var scrape = await Scrape.ReadAsync(admin);

        Assert.Equal(64, scrape.Value("anvil_postgres_pool_max_connections"));
        Assert.True(scrape.Value("anvil_postgres_pool_connections{state=\"idle\"}") + scrape.Value("anvil_postgres_pool_connections{state=\"busy\"}") >= 1, scrape.Text);
        Assert.Equal(1, scrape.Value("anvil_redis_connected"));
        Assert.True(scrape.Value("anvil_websocket_clients") >= 1);
        Assert.True(scrape.Declares("anvil_websocket_queued_messages", "gauge"));
        Assert.True(scrape.Declares("anvil_addon_host_running", "gauge"));
        Assert.True(scrape.Declares("anvil_addon_host_calls_total", "counter"));
        Assert.True(scrape.Declares("process_cpu_seconds_total", "counter"));
    }

    [Fact]
    public async Task published_events_enroll_answers_and_cache_hits_move_their_counters()
    {
        var admin = await app.LoginAsync();
        var before = await Scrape.ReadAsync(admin);

        await app.Service().PostAsync("/api/events", new { topic = TestUsers.Unique("test.metrics."), description = "counted" });
        await app.Service().PostAsync("/api/enroll", new { sourceTopic = TestUsers.Unique("test.none."), targetTopic = TestUsers.Unique("test.tgt."), sender = "metrics" }, expect: 204);
        await app.Service().GetAsync("/api/users/me");
        var after = before;
        for (var i = 0; i < 50 && after.Value("anvil_events_published_total") <= before.Value("anvil_events_published_total"); i++)
        {
            await Task.Delay(100);
            after = await Scrape.ReadAsync(admin);
        }

        Assert.True(after.Value("anvil_events_published_total") > before.Value("anvil_events_published_total"));
        Assert.True(after.Value("anvil_enroll_requests_total{result=\"none\"}") > before.Value("anvil_enroll_requests_total{result=\"none\"}"));
        Assert.Contains("anvil_cache_lookups_total{cache=", after.Text);
        Assert.Contains("result=\"hit\"}", after.Text);
    }
}
