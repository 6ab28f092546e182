using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Messaging;

/// <summary>A second server instance on the same database and Redis.</summary>
public sealed class SecondInstance : AnvilApp;

/// <summary>A server instance whose Redis is unreachable (the same database as the others).</summary>
public sealed class InstanceWithoutRedis : AnvilApp
{
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_REDIS_URL", "redis://127.0.0.1:1/")];
}

/// <summary>Events cross instances through Redis; a client resumes on one instance after events caused on another.</summary>
public sealed class two_instances(AnvilApp a, SecondInstance b) : IClassFixture<AnvilApp>, IClassFixture<SecondInstance>
{
    [Fact]
    public async Task a_client_on_instance_a_receives_the_event_caused_by_a_request_to_instance_b()
    {
        var topic = TestUsers.Unique("test.cluster.");
        await using var socket = await StreamSocket.SubscribeAsync(a, [topic]);

        var id = (await b.Service().PostAsync("/api/events", new { topic, description = "from b" }))["id"]!.GetValue<string>();
        var message = await socket.ReceiveAsync();

        Assert.Equal(id, message["id"]!.GetValue<string>());
        Assert.Equal("from b", message["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task after_a_disconnect_a_client_resumes_with_exactly_the_events_it_missed_on_the_other_instance()
    {
        var topic = TestUsers.Unique("test.cluster.");
        long last;
        await using (var socket = await StreamSocket.SubscribeAsync(a, [topic]))
        {
            await b.Service().PostAsync("/api/events", new { topic, description = "seen" });
            last = (await socket.ReceiveAsync())["sequence"]!.GetValue<long>();
        }
        var missed = new List<string>();
        for (var i = 0; i < 4; i++)
            missed.Add((await b.Service().PostAsync("/api/events", new { topic, description = $"missed {i}" }))["id"]!.GetValue<string>());
        var job = missed[0];
        await b.Service().PatchAsync($"/api/events/{job}", new { description = "missed update" }, expect: 204);

        await using var resumed = await StreamSocket.ConnectAsync(a);
        await resumed.AuthenticateAsync(AnvilApp.ServiceApiKey, [topic], lastSequence: last);
        var live = (await b.Service().PostAsync("/api/events", new { topic, description = "live" }))["id"]!.GetValue<string>();
        var received = await resumed.ReceiveUntilAsync(m => m["id"]!.GetValue<string>() == live);

        Assert.Equal(
            ["missed 0", "missed 1", "missed 2", "missed 3", "missed update", "live"],
            received.Select(m => m["description"]!.GetValue<string>()));
        Assert.Equal([.. missed, job, live], received.Select(m => m["id"]!.GetValue<string>()));
    }
}

/// <summary>The outbox keeps events committed by an instance that cannot reach Redis; another instance publishes them.</summary>
public sealed class instance_without_redis(AnvilApp healthy, InstanceWithoutRedis cutOff) : IClassFixture<AnvilApp>, IClassFixture<InstanceWithoutRedis>
{
    [Fact]
    public async Task an_event_committed_while_redis_is_away_is_still_published()
    {
        var topic = TestUsers.Unique("test.outage.");
        await using var socket = await StreamSocket.SubscribeAsync(healthy, [topic]);

        var id = (await cutOff.Service().PostAsync("/api/events", new { topic, description = "during the outage" }))["id"]!.GetValue<string>();
        var message = await socket.ReceiveAsync();

        Assert.Equal(id, message["id"]!.GetValue<string>());
    }
}
