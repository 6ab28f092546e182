using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Messaging;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Messaging;

/// <summary>The websocket at /ws: AYON's protocol (auth message, prefix subscriptions, project filter, message shape) and the resume extension.</summary>
public sealed class event_stream(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<string> DispatchAsync(object body) => (await app.Service().PostAsync("/api/events", body))["id"]!.GetValue<string>();

    [Fact]
    public async Task a_client_receives_the_events_of_the_topic_prefixes_it_subscribed_to()
    {
        var topic = TestUsers.Unique("test.ws.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic + ".a", topic + ".c"]);

        await DispatchAsync(new { topic = topic + ".a.one" });
        await DispatchAsync(new { topic = topic + ".b.two" });
        await DispatchAsync(new { topic = topic + ".c.three" });
        var first = await socket.ReceiveAsync();
        var second = await socket.ReceiveAsync();

        Assert.Equal(topic + ".a.one", first["topic"]!.GetValue<string>());
        Assert.Equal(topic + ".c.three", second["topic"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_message_has_ayons_shape_without_payload_or_recipients_plus_its_sequence()
    {
        var topic = TestUsers.Unique("test.ws.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);

        var id = await DispatchAsync(new { topic, project = "demo", description = "d", summary = new { entityId = "e" }, payload = new { secret = 1 } });
        var message = await socket.ReceiveAsync();

        Assert.Equal(
            ["createdAt", "dependsOn", "description", "id", "progress", "project", "sender", "senderType", "sequence", "status", "store", "summary", "topic", "updatedAt", "user"],
            message.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(id, message["id"]!.GetValue<string>());
        Assert.Equal("demo", message["project"]!.GetValue<string>());
        Assert.Equal("e", message["summary"]!["entityId"]!.GetValue<string>());
        Assert.Equal(100, message["progress"]!.GetValue<int>());
        Assert.True(message["store"]!.GetValue<bool>());
        Assert.True(message["sequence"]!.GetValue<long>() > 0);
    }

    [Fact]
    public async Task an_updates_outbox_row_runs_as_the_statement_a_dispatch_prepared()
    {
        var topic = TestUsers.Unique("test.ws.");
        var store = app.Services.GetRequiredService<EventStore>();
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        const string executions = """
            SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements
            WHERE statement = 'INSERT INTO event_stream (messages, message_count) VALUES ($1, $2)'
            """;
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            ids.Add(await store.DispatchAsync(connection, new NewEvent { Topic = topic }));
            await transaction.CommitAsync();
        }
        var before = await connection.ExecuteScalarAsync<long>(executions);

        foreach (var id in ids)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await store.UpdateAsync(connection, id, new EventChanges { Status = "in_progress" }, notifyOnCommit: false);
            await transaction.CommitAsync();
        }
        store.Committed();

        Assert.True(before >= 2, $"the dispatches' outbox row ran prepared {before} times");
        Assert.Equal(before + ids.Count, await connection.ExecuteScalarAsync<long>(executions));
    }

    [Fact]
    public async Task a_client_that_does_not_authenticate_is_closed()
    {
        await using var socket = await StreamSocket.ConnectAsync(app);

        var (status, reason) = await socket.ClosedAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("Not authenticated", reason);
    }

    [Fact]
    public async Task a_bad_token_leaves_the_client_unauthenticated_and_it_is_closed()
    {
        await using var socket = await StreamSocket.ConnectAsync(app);
        await socket.AuthenticateAsync(new string('0', 64), ["*"]);

        var (status, _) = await socket.ClosedAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
    }

    [Fact]
    public async Task a_session_token_authenticates_too()
    {
        var topic = TestUsers.Unique("test.ws.");
        var token = (await app.LoginAsync()).Http.DefaultRequestHeaders.Authorization!.Parameter!;
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic], token: token);

        var id = await DispatchAsync(new { topic });

        Assert.Equal(id, (await socket.ReceiveAsync())["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_client_subscribed_to_a_project_skips_other_projects()
    {
        var topic = TestUsers.Unique("test.ws.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic], project: "p1");

        await DispatchAsync(new { topic, project = "p2", description = "other" });
        await DispatchAsync(new { topic, project = "p1", description = "mine" });
        await DispatchAsync(new { topic, description = "no project" });

        Assert.Equal("mine", (await socket.ReceiveAsync())["description"]!.GetValue<string>());
        Assert.Equal("no project", (await socket.ReceiveAsync())["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_non_manager_receives_only_projects_of_its_access_groups_and_messages_meant_for_it()
    {
        var topic = TestUsers.Unique("test.ws.");
        var (name, artist) = await TestUsers.CreateAsync(app, new JsonObject { ["accessGroups"] = new JsonObject { ["p1"] = new JsonArray("artist") } });
        var token = artist.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic], token: token);
        var store = app.Services.GetRequiredService<EventStore>();

        await DispatchAsync(new { topic, project = "p2", description = "no access" });
        await store.DispatchAsync(new NewEvent { Topic = topic, Description = "for someone else", Recipients = ["admin"] });
        await store.DispatchAsync(new NewEvent { Topic = topic, Description = "for the artist", Recipients = [name] });
        await DispatchAsync(new { topic, project = "p1", description = "access" });

        Assert.Equal("for the artist", (await socket.ReceiveAsync())["description"]!.GetValue<string>());
        Assert.Equal("access", (await socket.ReceiveAsync())["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_service_key_with_x_as_user_hears_what_that_user_may_see()
    {
        var topic = TestUsers.Unique("test.ws.");
        var (name, _) = await TestUsers.CreateAsync(app, new JsonObject { ["accessGroups"] = new JsonObject { ["p1"] = new JsonArray("artist") } });
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic], asUser: name);
        var store = app.Services.GetRequiredService<EventStore>();

        await DispatchAsync(new { topic, project = "p2", description = "no access" });
        await store.DispatchAsync(new NewEvent { Topic = topic, Description = "for the service", Recipients = ["service"] });
        await store.DispatchAsync(new NewEvent { Topic = topic, Description = "for the user", Recipients = [name] });
        await DispatchAsync(new { topic, project = "p1", description = "access" });

        Assert.Equal("for the user", (await socket.ReceiveAsync())["description"]!.GetValue<string>());
        Assert.Equal("access", (await socket.ReceiveAsync())["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task x_as_user_naming_no_user_leaves_the_websocket_unauthenticated()
    {
        await using var socket = await StreamSocket.ConnectAsync(app, asUser: "nobody-" + Guid.NewGuid().ToString("N")[..8]);
        await socket.AuthenticateAsync(AnvilApp.ServiceApiKey, ["*"]);

        var (status, reason) = await socket.ClosedAsync();

        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("Not authenticated", reason);
    }

    [Fact]
    public async Task an_update_is_broadcast_as_the_full_event()
    {
        var topic = TestUsers.Unique("test.ws.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var id = await DispatchAsync(new { topic, finished = false });
        Assert.Equal("pending", (await socket.ReceiveAsync())["status"]!.GetValue<string>());

        await app.Service().PatchAsync($"/api/events/{id}", new { status = "finished", description = "done" }, expect: 204);
        var message = await socket.ReceiveAsync();

        Assert.Equal(id, message["id"]!.GetValue<string>());
        Assert.Equal("finished", message["status"]!.GetValue<string>());
        Assert.Equal("done", message["description"]!.GetValue<string>());
        Assert.False(message.ContainsKey("store"));
    }

    [Fact]
    public async Task an_event_written_earlier_but_committed_later_gets_the_later_sequence_and_is_not_lost_on_resume()
    {
        var topic = TestUsers.Unique("test.order.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var store = app.Services.GetRequiredService<EventStore>();
        var db = app.Services.GetRequiredService<Anvil.Server.Data.Db>();
        await using var slow = await db.OpenAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await store.DispatchAsync(slow, new NewEvent { Topic = topic, Description = "written first" });

        await store.DispatchAsync(new NewEvent { Topic = topic, Description = "written second, committed first" });
        var first = await socket.ReceiveAsync();
        await slowTransaction.CommitAsync();
        var second = await socket.ReceiveAsync();
        await using var resumed = await StreamSocket.ConnectAsync(app);
        await resumed.AuthenticateAsync(AnvilApp.ServiceApiKey, [topic], lastSequence: first["sequence"]!.GetValue<long>());
        var replayed = await resumed.ReceiveAsync();

        Assert.Equal("written second, committed first", first["description"]!.GetValue<string>());
        Assert.Equal("written first", second["description"]!.GetValue<string>());
        Assert.True(second["sequence"]!.GetValue<long>() > first["sequence"]!.GetValue<long>());
        Assert.Equal(second["id"]!.GetValue<string>(), replayed["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_client_resuming_from_its_last_sequence_gets_exactly_what_it_missed_then_live_events()
    {
        var topic = TestUsers.Unique("test.resume.");
        long last;
        await using (var socket = await StreamSocket.SubscribeAsync(app, [topic]))
        {
            await DispatchAsync(new { topic, description = "seen" });
            last = (await socket.ReceiveAsync())["sequence"]!.GetValue<long>();
        }
        var missed = new List<string>();
        for (var i = 0; i < 5; i++)
            missed.Add(await DispatchAsync(new { topic, description = $"missed {i}" }));

        await using var resumed = await StreamSocket.ConnectAsync(app);
        await resumed.AuthenticateAsync(AnvilApp.ServiceApiKey, [topic], lastSequence: last);
        // Events keep coming while the replay runs: the seam must neither lose nor repeat one.
        var live = new List<string>();
        for (var i = 0; i < 10; i++)
            live.Add(await DispatchAsync(new { topic, description = $"live {i}" }));
        var received = await resumed.ReceiveUntilAsync(m => m["id"]!.GetValue<string>() == live[^1]);

        Assert.Equal([.. missed, .. live], received.Select(m => m["id"]!.GetValue<string>()));
        var sequences = received.Select(m => m["sequence"]!.GetValue<long>()).ToList();
        Assert.True(sequences[0] > last);
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(sequences.Count, sequences.Distinct().Count());
    }

    [Fact]
    public async Task a_batch_of_creates_streams_one_message_per_entity_in_order_and_resumes_inside_the_batch()
    {
        var project = await TestProjects.CreateAsync(app);
        var ids = Enumerable.Range(0, 5).Select(_ => EntityBuilder.NewId()).ToList();
        await using var socket = await StreamSocket.SubscribeAsync(app, ["entity.folder.created"], project);

        await app.Service().PostAsync($"/api/projects/{project}/operations", new
        {
            operations = ids.Select((id, i) => new { type = "create", entityType = "folder", entityId = id, data = new { name = $"batch{i}", folderType = "Shot" } }),
        });
        var live = await socket.ReceiveUntilAsync(m => m["summary"]!["entityId"]!.GetValue<string>() == ids[^1]);

        Assert.Equal(ids, live.Select(m => m["summary"]!["entityId"]!.GetValue<string>()));
        var sequences = live.Select(m => m["sequence"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => sequences[0] + i), sequences);

        await using var resumed = await StreamSocket.ConnectAsync(app);
        await resumed.AuthenticateAsync(AnvilApp.ServiceApiKey, ["entity.folder.created"], project, lastSequence: sequences[1]);
        var replayed = await resumed.ReceiveUntilAsync(m => m["summary"]!["entityId"]!.GetValue<string>() == ids[^1]);
        Assert.Equal(ids[2..], replayed.Select(m => m["summary"]!["entityId"]!.GetValue<string>()));
        Assert.Equal(sequences[2..], replayed.Select(m => m["sequence"]!.GetValue<long>()));
    }

    [Fact]
    public async Task a_batch_whose_messages_outgrow_the_outbox_buffers_first_size_streams_and_replays_each_whole()
    {
        var topic = TestUsers.Unique("test.big.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var store = app.Services.GetRequiredService<EventStore>();
        // The outbox buffer starts at 512 bytes a message; these are a few kilobytes each, multi-byte characters included.
        var events = Enumerable.Range(0, 20)
            .Select(i => new NewEvent { Topic = topic, Description = $"{i} é " + new string((char)('a' + i), 3000 + i), Summary = new JsonObject { ["i"] = i } })
            .ToList();
        await using (var connection = await app.Services.GetRequiredService<Db>().OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.DispatchAsync(connection, events);
            await transaction.CommitAsync();
        }
        var live = await socket.ReceiveUntilAsync(m => m["description"]!.GetValue<string>() == events[^1].Description);
        await using var resumed = await StreamSocket.ConnectAsync(app);
        await resumed.AuthenticateAsync(AnvilApp.ServiceApiKey, [topic], lastSequence: live[0]["sequence"]!.GetValue<long>() - 1);
        var replayed = await resumed.ReceiveUntilAsync(m => m["description"]!.GetValue<string>() == events[^1].Description);

        Assert.Equal(events.Select(e => e.Description), live.Select(m => m["description"]!.GetValue<string>()));
        Assert.Equal(Enumerable.Range(0, 20), live.Select(m => m["summary"]!["i"]!.GetValue<int>()));
        Assert.Equal(live.Select(m => m.ToJsonString()), replayed.Select(m => m.ToJsonString()));
    }

    [Fact]
    public async Task two_batches_committed_together_stream_each_message_once_in_sequence_order()
    {
        var topic = TestUsers.Unique("test.pair.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var store = app.Services.GetRequiredService<EventStore>();
        var db = app.Services.GetRequiredService<Db>();
        const int size = 600;
        async Task BatchAsync(string name)
        {
            await using var connection = await db.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await store.DispatchAsync(connection, [.. Enumerable.Range(0, size).Select(i => new NewEvent { Topic = topic, Description = $"{name} {i} " + new string('x', i) })],
                notifyOnCommit: false);
            await transaction.CommitAsync();
            store.Committed();
        }

        await Task.WhenAll(BatchAsync("a"), BatchAsync("b"));
        var count = 0;
        var received = await socket.ReceiveUntilAsync(_ => ++count == 2 * size);

        var descriptions = received.Select(m => m["description"]!.GetValue<string>()).ToList();
        foreach (var name in new[] { "a", "b" })
            Assert.Equal(Enumerable.Range(0, size).Select(i => $"{name} {i} " + new string('x', i)), descriptions.Where(d => d.StartsWith(name + " ", StringComparison.Ordinal)));
        var sequences = received.Select(m => m["sequence"]!.GetValue<long>()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(2 * size, sequences.Distinct().Count());
    }
}

/// <summary>
/// An instance on a Redis channel and a database of its own, so it is idle and sends heartbeats.
/// (Instances sharing a database must share the channel: any of them publishes the shared outbox.)
/// </summary>
public sealed class IdleChannelApp : AnvilApp
{
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_REDIS_CHANNEL", $"anvil-idle-{Guid.NewGuid():N}")];

    protected override Task<string> DatabaseUrlAsync() => TestEnvironment.CreateDatabaseAsync($"anvil_idle_{TestEnvironment.RunId}");
}

public sealed class event_stream_heartbeat(IdleChannelApp app) : IClassFixture<IdleChannelApp>
{
    [Fact]
    public async Task an_idle_stream_sends_heartbeats()
    {
        await using var socket = await StreamSocket.ConnectAsync(app);
        await socket.AuthenticateAsync(AnvilApp.ServiceApiKey, ["nothing.matches"]);

        var message = await socket.ReceiveAsync(skipHeartbeats: false);

        Assert.Equal("heartbeat", message["topic"]!.GetValue<string>());
    }
}
