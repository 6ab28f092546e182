using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Messaging;

/// <summary>
/// Bursts through <c>/ws</c>: one batch of thousands of creates reaches every subscriber whole and in
/// order, on the connection it already had (subscribers reconnect as AYON's clients do, without
/// <c>lastSequence</c>, so a dropped connection would lose events silently).
/// </summary>
public abstract class event_stream_burst_cases(AnvilApp app)
{
    const int BatchSize = 2000;

    [Fact]
    public async Task a_batch_of_two_thousand_creates_reaches_every_subscriber_whole_and_in_order_without_a_reconnect()
    {
        var project = await TestProjects.CreateAsync(app);
        var subscribers = new List<StreamSocket>();
        for (var i = 0; i < 4; i++)
            subscribers.Add(await StreamSocket.SubscribeAsync(app, ["entity.folder.created"], project));
        var slow = await StreamSocket.SubscribeAsync(app, ["entity.folder.created"], project);
        var ids = Enumerable.Range(0, BatchSize).Select(_ => EntityBuilder.NewId()).ToList();

        await app.Service().PostAsync($"/api/projects/{project}/operations", new
        {
            operations = ids.Select((id, i) => new { type = "create", entityType = "folder", entityId = id, data = new { name = $"burst{i}", folderType = "Shot" } }),
        });
        // The slow one reads nothing while the whole burst goes out, then a message at a time.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var readers = subscribers.Select(s => ReceiveAllAsync(s, ids[^1], pause: TimeSpan.Zero)).ToList();
        readers.Add(ReceiveAllAsync(slow, ids[^1], pause: TimeSpan.FromMilliseconds(1)));
        var received = await Task.WhenAll(readers);

        foreach (var messages in received)
        {
            Assert.Equal(ids, messages.Select(m => m["summary"]!["entityId"]!.GetValue<string>()));
            var sequences = messages.Select(m => m["sequence"]!.GetValue<long>()).ToList();
            Assert.Equal(Enumerable.Range(0, BatchSize).Select(i => sequences[0] + i), sequences);
        }
        // Still the same connections, still live.
        var after = (await app.Service().PostAsync($"/api/projects/{project}/folders", new { name = "after_burst", folderType = "Shot" }, expect: 201))["id"]!.GetValue<string>();
        foreach (var socket in subscribers.Append(slow))
        {
            var next = await NextSubscribedAsync(socket);
            Assert.Equal(after, next["summary"]!["entityId"]!.GetValue<string>());
            await socket.DisposeAsync();
        }
    }

    /// <summary>
    /// The next message of the subscribed topic. The server's own notices (<c>server.restart_requested</c>
    /// from another test's restart) go to every client whatever it subscribed to, so they may come between.
    /// </summary>
    static async Task<JsonObject> NextSubscribedAsync(StreamSocket socket)
    {
        while (true)
        {
            var message = await socket.ReceiveAsync();
            if (!message["topic"]!.GetValue<string>().StartsWith("server.", StringComparison.Ordinal))
                return message;
        }
    }

    static async Task<List<JsonObject>> ReceiveAllAsync(StreamSocket socket, string lastId, TimeSpan pause)
    {
        var received = new List<JsonObject>();
        while (true)
        {
            var message = await NextSubscribedAsync(socket);
            received.Add(message);
            if (message["summary"]!["entityId"]!.GetValue<string>() == lastId)
                return received;
            if (pause > TimeSpan.Zero)
                await Task.Delay(pause);
        }
    }
}

public sealed class event_stream_bursts(AnvilApp app) : event_stream_burst_cases(app), IClassFixture<AnvilApp>;

/// <summary>An instance whose in-memory log holds only 64 messages: every burst is read back from PostgreSQL.</summary>
public sealed class SmallStreamLogApp : AnvilApp
{
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_WS_BUFFER_SIZE", "64")];
}

public sealed class event_stream_bursts_beyond_the_log(SmallStreamLogApp app) : event_stream_burst_cases(app), IClassFixture<SmallStreamLogApp>;
