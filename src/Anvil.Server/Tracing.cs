using Anvil.Server.Features.Info;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Npgsql;
using OpenTelemetry.Instrumentation.StackExchangeRedis;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Anvil.Server;

/// <summary>
/// OpenTelemetry traces, configured only by the standard <c>OTEL_*</c> variables: spans for requests,
/// SQL (Npgsql) and Redis commands, sent to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) with the OTLP exporter. Without an endpoint nothing is
/// registered: no listener, so no span is ever created and the cost is nil.
/// </summary>
public static class Tracing
{
    public static bool Enabled(IConfiguration configuration) =>
        (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]))
        && Flags.Parse(configuration["OTEL_SDK_DISABLED"] ?? "false") != true
        && !string.Equals(configuration["OTEL_TRACES_EXPORTER"], "none", StringComparison.OrdinalIgnoreCase);

    public static void AddTracing(this WebApplicationBuilder builder)
    {
        if (!Enabled(builder.Configuration))
            return;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
                    resource.AddService("anvil", serviceVersion: InfoEndpoints.AnvilVersion, autoGenerateServiceInstanceId: true);
            })
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNet =>
                {
                    // Probes and scrapes every few seconds would drown the traces that matter.
                    aspNet.Filter = context => !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics");
                })
                .AddNpgsql()
                .AddRedisInstrumentation()
                .ConfigureRedisInstrumentation((services, redis) => redis.AddConnection(services.GetRequiredService<Redis>().Connection))
                .AddOtlpExporter());
    }
}
