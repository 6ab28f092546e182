using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Observability;
using Prometheus;

namespace Anvil.Server.Features.Monitoring;

/// <summary>
/// Prometheus text at <c>/metrics</c> and at AYON's <c>/api/metrics/system</c>. <c>AYON_METRICS</c>
/// says who may read it: <c>off</c> (the routes do not exist), <c>protected</c> (a logged-in admin,
/// or <c>AYON_METRICS_API_KEY</c> sent as <c>Authorization: Bearer</c>, <c>Authorization: ApiKey</c>
/// or <c>X-Api-Key</c>, as AYON accepts it) or <c>public</c>.
/// </summary>
public static class MetricsEndpoints
{
    public static void MapMetricsEndpoints(this IEndpointRouteBuilder root, AyonOptions options)
    {
        if (options.MetricsAccess == MetricsAccess.Off)
            return;
        root.MapGet("/metrics", ScrapeAsync).AllowAnonymous().ExcludeFromDescription();
        root.MapGet("/api/metrics/system", ScrapeAsync).AllowAnonymous().WithName("get_system_metrics").WithTags("System")
            .WithSummary("Prometheus metrics of this instance (the same as /metrics).");
    }

    static async Task ScrapeAsync(HttpContext context, AyonOptions options, MetricsScrape scrape)
    {
        if (options.MetricsAccess == MetricsAccess.Protected && !HasMetricsKey(context.Request, options.MetricsApiKey))
        {
            var user = CurrentUser.Of(context) ?? throw new Unauthorized("Metrics need an admin login or the metrics API key");
            if (!user.IsAdmin)
                throw new Forbidden("Only admins may read the metrics");
        }
        scrape.Update();
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await AnvilMetrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }

    static bool HasMetricsKey(HttpRequest request, string? key)
    {
        if (string.IsNullOrEmpty(key))
            return false;
        var presented = request.Headers["X-Api-Key"].ToString();
        if (presented.Length == 0 && request.Headers.Authorization.ToString().Split(' ', 2) is [var scheme, var value]
            && (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || scheme.Equals("ApiKey", StringComparison.OrdinalIgnoreCase)))
            presented = value.Trim();
        return presented.Length > 0 && Secrets.FixedTimeEquals(presented, key);
    }
}
