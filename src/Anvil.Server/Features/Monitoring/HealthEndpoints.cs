namespace Anvil.Server.Features.Monitoring;

/// <summary>
/// Probes for load balancers and orchestrators, anonymous and cheap: <c>/health/live</c> (the process
/// answers; no I/O) and <c>/health/ready</c> (see <see cref="Readiness"/>; 503 when not ready).
/// AYON has no such routes (its deployments probe <c>/api/info</c>, which Anvil answers too).
/// </summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder root)
    {
        var health = root.MapGroup("/health").AllowAnonymous().WithTags("System");
        health.MapGet("/live", () => Results.Json(new { status = "alive" }))
            .WithName("health_live").WithSummary("Liveness: answers 200 while the process serves requests.");
        health.MapGet("/ready", async (Readiness readiness) =>
            {
                var report = await readiness.CheckAsync();
                return Results.Json(report, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
            })
            .WithName("health_ready")
            .WithSummary("Readiness: 200 when PostgreSQL answers with every migration applied (status `ready`, or `degraded` while Redis is unreachable), else 503.");
    }
}
