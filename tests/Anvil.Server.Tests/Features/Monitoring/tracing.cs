using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Anvil.Server.Tests.Features.Monitoring;

/// <summary>
/// An OTLP/HTTP receiver on loopback: keeps every body posted to <c>/v1/traces</c>. Protobuf carries
/// strings as plain UTF-8, so a test can look for span names and attribute values in the bytes.
/// </summary>
public sealed class OtlpCollector : IDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<byte[]> _bodies = new();

    public OtlpCollector()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ReceiveAsync);
    }

    public int Port { get; }

    public string Received => string.Join("\n", _bodies.Select(Encoding.UTF8.GetString));

    async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
                _bodies.Enqueue(body.ToArray());
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose() => _listener.Close();
}

/// <summary>A server that exports traces to <see cref="OtlpCollector"/> through the standard OTEL_* variables.</summary>
public sealed class InstanceWithTracing : AnvilApp
{
    public OtlpCollector Collector { get; } = new();

    protected override IEnumerable<(string Variable, string Value)> Settings =>
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{Collector.Port}"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_SERVICE_NAME", "anvil-under-test"),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Collector.Dispose();
    }
}

/// <summary>OpenTelemetry: spans of requests, SQL and Redis reach an OTLP collector; without an endpoint, nothing is set up.</summary>
public sealed class tracing(InstanceWithTracing traced, AnvilApp plain) : IClassFixture<InstanceWithTracing>, IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_login_exports_spans_for_the_request_its_sql_and_its_redis_commands()
    {
        await traced.LoginAsync();

        var received = "";
        for (var i = 0; i < 100; i++)
        {
            received = traced.Collector.Received;
            if (received.Contains("POST /api/auth/login") && received.Contains("postgresql") && received.Contains("redis"))
                break;
            await Task.Delay(100);
        }

        Assert.Contains("anvil-under-test", received);
        Assert.Contains("POST /api/auth/login", received);
        Assert.Contains("postgresql", received);
        Assert.Contains("redis", received);
    }

    [Fact]
    public void without_an_otlp_endpoint_no_tracer_is_registered()
    {
        Assert.Null(plain.Services.GetService<TracerProvider>());
        Assert.NotNull(traced.Services.GetService<TracerProvider>());
    }
}
