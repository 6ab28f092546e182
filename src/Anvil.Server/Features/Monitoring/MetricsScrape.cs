using System.Diagnostics.Metrics;
using Anvil.Server.Features.Addons;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Anvil.Server.Observability;

namespace Anvil.Server.Features.Monitoring;

/// <summary>
/// Sets the gauges whose state other services own, just before <c>/metrics</c> is written: the
/// PostgreSQL pool (read from Npgsql's own observable instruments, which cost nothing until read),
/// Redis, the websocket clients and the addon host.
/// </summary>
public sealed class MetricsScrape : IDisposable
{
    readonly Redis _redis;
    readonly EventStreamHub _hub;
    readonly AddonLiveHost _addonHost;
    readonly MeterListener _npgsql = new();
    readonly Lock _sync = new();
    long _busy, _idle;

    public MetricsScrape(Redis redis, EventStreamHub hub, AddonLiveHost addonHost, AyonOptions options)
    {
        _redis = redis;
        _hub = hub;
        _addonHost = addonHost;
        AnvilMetrics.PostgresPoolMax.Set(options.PostgresPoolSize);
        _npgsql.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.IsObservable && instrument.Name is "db.client.connection.count")
                listener.EnableMeasurementEvents(instrument);
        };
        _npgsql.SetMeasurementEventCallback<int>((_, value, tags, _) => Add(value, tags));
        _npgsql.SetMeasurementEventCallback<long>((_, value, tags, _) => Add(value, tags));
        _npgsql.Start();
    }

    void Add(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key != "db.client.connection.state")
                continue;
            if (tag.Value as string == "used")
                _busy += value;
            else
                _idle += value;
        }
    }

    public void Update()
    {
        lock (_sync)
        {
            _busy = _idle = 0;
            _npgsql.RecordObservableInstruments();
            AnvilMetrics.PostgresConnections.WithLabels("busy").Set(_busy);
            AnvilMetrics.PostgresConnections.WithLabels("idle").Set(_idle);
        }
        AnvilMetrics.RedisConnected.Set(_redis.Connection.IsConnected ? 1 : 0);
        AnvilMetrics.WebSocketClients.Set(_hub.ClientCount);
        AnvilMetrics.WebSocketQueueDepth.Set(_hub.QueuedMessages);
        AnvilMetrics.AddonHostRunning.Set(_addonHost.IsRunning ? 1 : 0);
    }

    public void Dispose() => _npgsql.Dispose();
}
