using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Events;

/// <summary>PATCH /api/events/{id}: validation (400, never 401), AYON's permission rules, what changes and what is broadcast.</summary>
public sealed class event_update(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<string> DispatchAsync(object body) => (await app.Service().PostAsync("/api/events", body))["id"]!.GetValue<string>();

    [Fact]
    public async Task a_service_changes_status_description_retries_and_sender_and_nothing_else()
    {
        var api = app.Service();
        var id = await DispatchAsync(new { topic = "test.update.fields", description = "before", summary = new { a = 1 } });
        var before = (await api.GetAsync($"/api/events/{id}")).AsObject();

        await api.PatchAsync($"/api/events/{id}", new { status = "in_progress", description = "after", retries = 2, sender = "worker-1" }, expect: 204);
        var after = (await api.GetAsync($"/api/events/{id}")).AsObject();

        Assert.Equal("in_progress", after["status"]!.GetValue<string>());
        Assert.Equal("after", after["description"]!.GetValue<string>());
        Assert.Equal(2, after["retries"]!.GetValue<int>());
        Assert.Equal("worker-1", after["sender"]!.GetValue<string>());
        Assert.True(DateTimeOffset.Parse(after["updatedAt"]!.GetValue<string>()) > DateTimeOffset.Parse(before["updatedAt"]!.GetValue<string>()));
        foreach (var key in new[] { "id", "hash", "topic", "senderType", "user", "summary", "payload", "createdAt" })
            Assert.True(JsonNode.DeepEquals(before[key], after[key]), $"{key} changed");
    }

    [Theory]
    [InlineData("\"finisheddd\"")]
    [InlineData("\"pending_pending\"")]
    [InlineData("42")]
    [InlineData("false")]
    [InlineData("\"_in_progress\"")]
    public async Task an_unknown_status_is_a_400(string status)
    {
        var id = await DispatchAsync(new { topic = "test.update.status" });

        var error = await app.Service().SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/events/{id}")
        {
            Content = new StringContent($$"""{"status": {{status}}}""", System.Text.Encoding.UTF8, "application/json"),
        }, 400);

        Assert.Equal("status", error["errors"]![0]!["loc"]![1]!.GetValue<string>());
    }

    [Theory]
    [InlineData("\"good\"")]
    [InlineData("\"bad\"")]
    [InlineData("-1")]
    [InlineData("[0, 1, 2]")]
    [InlineData("101")]
    public async Task progress_outside_0_to_100_is_a_400(string progress)
    {
        var id = await DispatchAsync(new { topic = "test.update.progress" });

        var error = await app.Service().SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/events/{id}")
        {
            Content = new StringContent($$"""{"progress": {{progress}}}""", System.Text.Encoding.UTF8, "application/json"),
        }, 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("%3Cfunction%20event_id%20at%200x7f3b2c1d0e50%3E")]
    [InlineData("not-an-id")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    public async Task a_malformed_event_id_is_a_400_not_a_401(string eventId)
    {
        var error = await app.Service().PatchAsync($"/api/events/{eventId}", new { status = "finished" }, expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task an_unknown_event_is_a_404()
    {
        await app.Service().PatchAsync($"/api/events/{Guid.NewGuid():N}", new { status = "finished" }, expect: 404);
    }

    [Fact]
    public async Task progress_is_broadcast_with_the_update_but_never_stored()
    {
        var topic = TestUsers.Unique("test.progress.");
        await using var socket = await StreamSocket.SubscribeAsync(app, [topic]);
        var id = await DispatchAsync(new { topic, finished = false });
        Assert.Equal("pending", (await socket.ReceiveAsync())["status"]!.GetValue<string>());

        await app.Service().PatchAsync($"/api/events/{id}", new { status = "in_progress", progress = 42.5 }, expect: 204);
        var message = await socket.ReceiveAsync();
        var stored = await app.Service().GetAsync($"/api/events/{id}");

        Assert.Equal(id, message["id"]!.GetValue<string>());
        Assert.Equal("in_progress", message["status"]!.GetValue<string>());
        Assert.Equal(42.5, message["progress"]!.GetValue<double>());
        Assert.False(message.ContainsKey("payload"));
        Assert.Null(stored["progress"]);
    }

    [Fact]
    public async Task a_user_who_is_not_a_service_may_change_the_status_only_of_jobs()
    {
        var (_, admin) = await TestUsers.CreateAsync(app, new JsonObject { ["isAdmin"] = true });
        var plain = await DispatchAsync(new { topic = "test.update.plain" });
        var job = await DispatchAsync(new { topic = "test.update.job", dependsOn = plain, finished = false });

        await admin.PatchAsync($"/api/events/{plain}", new { status = "restarted" }, expect: 403);
        await admin.PatchAsync($"/api/events/{plain}", new { description = "allowed" }, expect: 204);
        await admin.PatchAsync($"/api/events/{job}", new { status = "restarted" }, expect: 204);

        Assert.Equal("restarted", (await app.Service().GetAsync($"/api/events/{job}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_non_manager_may_change_only_its_own_events_and_not_give_them_away()
    {
        var (_, manager) = await TestUsers.CreateAsync(app, new JsonObject { ["isManager"] = true });
        var (name, artist) = await TestUsers.CreateAsync(app);
        var others = await DispatchAsync(new { topic = "test.update.others" });
        var ownId = (await manager.PostAsync("/api/events", new { topic = "test.update.own" }))["id"]!.GetValue<string>();
        await manager.PatchAsync($"/api/events/{ownId}", new { user = name }, expect: 204);

        await artist.PatchAsync($"/api/events/{others}", new { description = "mine now" }, expect: 403);
        await artist.PatchAsync($"/api/events/{ownId}", new { description = "edited by its user" }, expect: 204);
        await artist.PatchAsync($"/api/events/{ownId}", new { user = "admin" }, expect: 403);

        Assert.Equal(name, (await app.Service().GetAsync($"/api/events/{ownId}"))["user"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_refused_update_changes_nothing_and_leaves_the_event_unlocked()
    {
        var (_, artist) = await TestUsers.CreateAsync(app);
        var id = await DispatchAsync(new { topic = "test.update.refused", description = "before" });

        await artist.PatchAsync($"/api/events/{id}", new { description = "refused" }, expect: 403);
        await using var connection = await app.Services.GetRequiredService<Anvil.Server.Data.Db>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var locked = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection,
            "SELECT description FROM events WHERE id = @id FOR UPDATE NOWAIT", new { id = Guid.Parse(id) }, transaction);

        Assert.Equal("before", locked);
    }

    [Fact]
    public async Task the_status_of_a_launcher_action_belongs_to_its_user()
    {
        var (_, manager) = await TestUsers.CreateAsync(app, new JsonObject { ["isManager"] = true });
        var (_, otherManager) = await TestUsers.CreateAsync(app, new JsonObject { ["isManager"] = true });
        var id = (await manager.PostAsync("/api/events", new { topic = "action.launcher", finished = false }))["id"]!.GetValue<string>();

        await otherManager.PatchAsync($"/api/events/{id}", new { status = "finished" }, expect: 403);
        await manager.PatchAsync($"/api/events/{id}", new { status = "finished" }, expect: 204);

        Assert.Equal("finished", (await app.Service().GetAsync($"/api/events/{id}"))["status"]!.GetValue<string>());
    }
}
