using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Addons;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;

namespace Anvil.Server.Features.Bundles;

/// <summary>
/// Runs the addons' event handlers (<c>EventStream.subscribe(topic, handler)</c> in their
/// <c>initialize()</c>) as AYON runs its local handlers: on the instance that dispatched the event,
/// after the dispatch, once. Each instance follows the outbox (<c>event_stream</c>) behind the publisher
/// from where it stood at start, reads only the rows it wrote itself (<c>origin</c>, migration 0017),
/// and hands each dispatch whose topic an addon subscribed to its own addon HTTP host, never holding
/// up the write. Updates of events are not delivered (AYON runs its handlers after a dispatch only).
/// The subscribing versions are those of the active bundles (production, staging, dev and project
/// bundles), which is why this lives with the bundles. A handler runs as the host's own identity and
/// is cut off after <c>AYON_ADDON_ENDPOINT_TIMEOUT</c> less a second; failures are logged, never
/// retried, and what an instance had not handed over when it stopped is not handed over by another.
/// </summary>
public sealed class AddonEventDelivery(Db db, AddonStore store, BundleStore bundles, AddonMaterializer materializer,
    AddonEndpointHost host, EventStore events, AyonOptions options, IHostApplicationLifetime lifetime, ILogger<AddonEventDelivery> logger)
    : BackgroundService
{
    const int BatchSize = 1000;
    const int MaxRunning = 32;
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    readonly SemaphoreSlim _running = new(MaxRunning, MaxRunning);

    /// <summary>One dispatch to hand over, and the addon versions whose subscriptions it matches.</summary>
    sealed record Delivery(JsonObject Message, IReadOnlyList<(string Name, string Version)> Addons);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host calls this instance back at its listening address, known once the server has started.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try
            {
                await started.Task;
            }
            catch (TaskCanceledException)
            {
                return;
            }
        }
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var deliveries = await TakeBatchAsync(stoppingToken);
                failures = 0;
                foreach (var delivery in deliveries)
                {
                    await _running.WaitAsync(stoppingToken);
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await DeliverAsync(delivery, stoppingToken);
                        }
                        finally
                        {
                            _running.Release();
                        }
                    }, CancellationToken.None);
                }
                if (deliveries.Count > 0)
                    continue;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                if (failures is 1 or 10 or 100 || failures % 1000 == 0)
                    logger.LogWarning("Taking events for the addons' handlers failed ({Failures} times in a row), retrying: {Error}", failures, e.Message);
            }
            await Task.Delay(Poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    long _position = -1;

    /// <summary>
    /// The dispatches this instance wrote since the last call that some active addon version subscribed
    /// to; the first call only finds out where the stream stands.
    /// </summary>
    async Task<IReadOnlyList<Delivery>> TakeBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var published = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT published_seq FROM event_stream_state WHERE id = 1", cancellationToken: cancellationToken));
        if (_position < 0 || published <= _position)
        {
            _position = Math.Max(_position, published);
            return [];
        }
        var subscribers = await SubscribersAsync(cancellationToken);
        if (subscribers.Count == 0)
        {
            _position = published;
            return [];
        }
        var messages = await EventPublisher.ReadStoredAsync(connection, _position, published + 1, BatchSize, cancellationToken,
            origin: "anvil-" + options.InstanceId);
        _position = messages.Count >= BatchSize ? messages[^1].Seq : published;
        var deliveries = new List<Delivery>();
        foreach (var (_, text) in messages)
        {
            // A dispatch's message says whether it was stored; an update's does not.
            if (JsonNode.Parse(text) is not JsonObject message || message["store"] is null || AyonJson.Text(message["topic"]) is not { } topic)
                continue;
            var addons = subscribers.Where(s => s.Topics.Any(pattern => TopicMatches(pattern, topic))).Select(s => (s.Name, s.Version)).ToList();
            if (addons.Count > 0)
                deliveries.Add(new Delivery(message, addons));
        }
        return deliveries;
    }

    /// <summary>The versions of the active bundles that subscribe to something.</summary>
    async Task<List<(string Name, string Version, IReadOnlyList<string> Topics)>> SubscribersAsync(CancellationToken cancellationToken)
    {
        var subscribing = (await store.SubscribersAsync(cancellationToken)).Versions;
        if (subscribing.Count == 0)
            return [];
        var active = (await bundles.ListAsync(cancellationToken))
            .Where(b => !b.IsArchived && (b.IsProduction || b.IsStaging || b.IsDev || b.IsProject))
            .SelectMany(b => b.AddonVersions)
            .ToHashSet();
        return [.. subscribing.Where(s => active.Contains((s.Name, s.Version)))];
    }

    /// <summary>AYON's rule for a subscription: the exact topic, or a pattern ending in <c>*</c> for every topic that starts like it.</summary>
    public static bool TopicMatches(string pattern, string topic) =>
        pattern == topic || (pattern.EndsWith('*') && topic.StartsWith(pattern[..^1], StringComparison.Ordinal));

    async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var topic = AyonJson.Text(delivery.Message["topic"]);
        var id = AyonJson.Text(delivery.Message["id"]);
        try
        {
            var addons = new JsonArray();
            foreach (var (name, version) in delivery.Addons)
            {
                if (await store.FilesAsync(name, version, cancellationToken) is { } files)
                    addons.Add(new JsonObject { ["name"] = name, ["version"] = version, ["dir"] = await materializer.EnsureAsync(files, cancellationToken) });
            }
            if (addons.Count == 0)
                return;
            using var request = new HttpRequestMessage(HttpMethod.Post, "http://addon-host/_anvil/events/deliver")
            {
                Content = JsonContent.Create(new JsonObject
                {
                    ["event"] = await EventJsonAsync(delivery.Message, cancellationToken),
                    ["addons"] = addons,
                    ["timeout"] = Math.Max(1, options.AddonEndpointTimeout - 1),
                }),
            };
            using var answer = await host.SendAsync(request, cancellationToken);
            var result = JsonNode.Parse(await answer.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
            if (!answer.IsSuccessStatusCode)
            {
                logger.LogWarning("The addon host refused the event {Topic} {Id} for its handlers ({Status}): {Detail}",
                    topic, id, (int)answer.StatusCode, AyonJson.Text(result?["detail"]));
                return;
            }
            foreach (var outcome in result?["handlers"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (outcome["ok"]?.GetValue<bool>() != true)
                    logger.LogWarning("The handler {Handler} of addon {Addon} {Version} failed on the event {Topic} {Id}: {Error}",
                        AyonJson.Text(outcome["handler"]), AyonJson.Text(outcome["addon"]), AyonJson.Text(outcome["version"]),
                        topic, id, AyonJson.Text(outcome["error"]));
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The event {Topic} {Id} could not be handed to the addons' handlers: {Error}", topic, id, e.Message);
        }
    }

    /// <summary>The event as <c>GET /api/events/{id}</c> shows it (with its payload); the message itself when it was not stored or is gone.</summary>
    async Task<JsonObject> EventJsonAsync(JsonObject message, CancellationToken cancellationToken)
    {
        if (message["store"]?.GetValue<bool>() == true && Guid.TryParse(AyonJson.Text(message["id"]), out var id)
            && await events.GetAsync(id, cancellationToken) is { } record)
            return JsonSerializer.SerializeToNode(record, AyonJson.Options)!.AsObject();
        var copy = message.DeepClone().AsObject();
        copy.Remove("sequence");
        copy.Remove("recipients");
        return copy;
    }
}
