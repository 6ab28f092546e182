using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Messaging;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Events;

/// <summary>POST /api/events and GET /api/events/{id}: AYON's event shape, hash de-duplication, reuse, and the outbox.</summary>
public sealed class event_dispatch(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_dispatched_event_reads_back_in_ayons_shape()
    {
        var api = app.Service();
        var topic = TestUsers.Unique("test.dispatch.");

        var created = await api.SendAsync(HttpMethod.Post, "/api/events", new
        {
            topic,
            sender = (string?)null,
            hash = (string?)null,
            project = "demo",
            user = "someone-else",
            description = "Hello",
            summary = new { entityId = "abc" },
            payload = new { big = new[] { 1, 2 } },
            finished = true,
            store = true,
        }, 200, request => request.Headers.Add("X-Sender", "my-service"));
        var id = created["id"]!.GetValue<string>();
        var e = (await api.GetAsync($"/api/events/{id}")).AsObject();

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, e["id"]!.GetValue<string>());
        Assert.Equal(id, e["hash"]!.GetValue<string>());
        Assert.Equal(topic, e["topic"]!.GetValue<string>());
        Assert.Equal("my-service", e["sender"]!.GetValue<string>());
        Assert.Equal("api", e["senderType"]!.GetValue<string>());
        Assert.Equal("demo", e["project"]!.GetValue<string>());
        Assert.Equal("service", e["user"]!.GetValue<string>());
        Assert.Equal("finished", e["status"]!.GetValue<string>());
        Assert.Equal(0, e["retries"]!.GetValue<int>());
        Assert.Equal("Hello", e["description"]!.GetValue<string>());
        Assert.Equal("abc", e["summary"]!["entityId"]!.GetValue<string>());
        Assert.Equal(2, e["payload"]!["big"]!.AsArray().Count);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", e["createdAt"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", e["updatedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_unfinished_event_starts_pending()
    {
        var api = app.Service();

        var id = (await api.PostAsync("/api/events", new { topic = "test.dispatch.pending", finished = false }))["id"]!.GetValue<string>();

        Assert.Equal("pending", (await api.GetAsync($"/api/events/{id}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_second_event_with_the_same_hash_is_a_conflict()
    {
        var api = app.Service();
        var hash = TestUsers.Unique("hash-");
        await api.PostAsync("/api/events", new { topic = "test.dispatch.hash", hash });

        var conflict = await api.PostAsync("/api/events", new { topic = "test.dispatch.hash", hash }, expect: 409);

        Assert.Equal(409, conflict["code"]!.GetValue<int>());
        Assert.Contains("same hash", conflict["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task reuse_overwrites_the_event_with_the_same_hash_under_a_new_id()
    {
        var api = app.Service();
        var hash = TestUsers.Unique("hash-");
        var first = (await api.PostAsync("/api/events", new { topic = "test.dispatch.reuse", hash, description = "first" }))["id"]!.GetValue<string>();

        var second = (await api.PostAsync("/api/events", new { topic = "test.dispatch.reuse", hash, description = "second", reuse = true }))["id"]!.GetValue<string>();

        Assert.NotEqual(first, second);
        await api.GetAsync($"/api/events/{first}", expect: 404);
        var e = await api.GetAsync($"/api/events/{second}");
        Assert.Equal("second", e["description"]!.GetValue<string>());
        Assert.Equal(hash, e["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_bad_topic_is_a_400_naming_the_field()
    {
        var error = await app.Service().PostAsync("/api/events", new { topic = "x" }, expect: 400);

        Assert.Equal("body", error["errors"]![0]!["loc"]![0]!.GetValue<string>());
        Assert.Equal("topic", error["errors"]![0]!["loc"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task only_managers_may_dispatch()
    {
        var (_, artist) = await TestUsers.CreateAsync(app);
        var (_, manager) = await TestUsers.CreateAsync(app, new JsonObject { ["isManager"] = true });

        await artist.PostAsync("/api/events", new { topic = "test.dispatch.artist" }, expect: 403);
        var created = await manager.PostAsync("/api/events", new { topic = "test.dispatch.manager" });

        Assert.NotNull(created["id"]);
    }

    [Fact]
    public async Task a_non_manager_reads_only_events_of_projects_it_can_access()
    {
        var (_, artist) = await TestUsers.CreateAsync(app, new JsonObject { ["accessGroups"] = new JsonObject { ["allowed"] = new JsonArray("artist") } });
        var api = app.Service();
        var allowed = (await api.PostAsync("/api/events", new { topic = "test.dispatch.acl", project = "allowed" }))["id"]!.GetValue<string>();
        var other = (await api.PostAsync("/api/events", new { topic = "test.dispatch.acl", project = "other" }))["id"]!.GetValue<string>();

        var visible = await artist.GetAsync($"/api/events/{allowed}");
        await artist.GetAsync($"/api/events/{other}", expect: 403);

        Assert.Equal(allowed, visible["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_event_of_a_rolled_back_transaction_is_never_published_and_a_committed_one_is()
    {
        var topic = TestUsers.Unique("test.outbox.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var store = app.Services.GetRequiredService<EventStore>();
        var db = app.Services.GetRequiredService<Db>();
        await app.Service().GetAsync("/api/info");

        await using (var connection = await db.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.DispatchAsync(connection, new NewEvent { Topic = topic, Description = "rolled back" });
            await transaction.RollbackAsync();
        }
        await using (var connection = await db.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.DispatchAsync(connection, new NewEvent { Topic = topic, Description = "committed" });
            await transaction.CommitAsync();
        }
        var message = await socket.ReceiveAsync();

        Assert.Equal("committed", message["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_broadcast_only_event_is_published_but_not_stored()
    {
        var topic = TestUsers.Unique("test.nostore.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var api = app.Service();

        var id = (await api.PostAsync("/api/events", new { topic, store = false }))["id"]!.GetValue<string>();
        var message = await socket.ReceiveAsync();

        Assert.Equal(id, message["id"]!.GetValue<string>());
        Assert.False(message["store"]!.GetValue<bool>());
        await api.GetAsync($"/api/events/{id}", expect: 404);
    }

    [Fact]
    public async Task deleting_an_event_needs_an_admin_and_removes_it()
    {
        var api = app.Service();
        var (_, manager) = await TestUsers.CreateAsync(app, new JsonObject { ["isManager"] = true });
        var id = (await api.PostAsync("/api/events", new { topic = "test.dispatch.delete" }))["id"]!.GetValue<string>();

        await manager.DeleteAsync($"/api/events/{id}", expect: 403);
        await api.DeleteAsync($"/api/events/{id}");

        await api.GetAsync($"/api/events/{id}", expect: 404);
        await api.DeleteAsync($"/api/events/{id}", expect: 404);
    }
}
