using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Hosting;

/// <summary>
/// Request records coerce scalars as AYON's pydantic models: numeric strings to numbers, numbers to
/// strings, "true"/"false" to booleans — and nothing looser.
/// </summary>
public sealed class scalar_coercion(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task enroll_takes_ignore_older_than_as_the_clients_string()
    {
        var api = app.Service();
        var source = TestUsers.Unique("test.src.");
        await api.PostAsync("/api/events", new { topic = source });

        var job = await api.PostAsync("/api/enroll", new { sourceTopic = source, targetTopic = TestUsers.Unique("test.tgt."), sender = "w", ignoreOlderThan = "1", sequential = "false", maxRetries = "3" });

        Assert.Equal("pending", job["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_event_takes_a_number_as_its_description_and_a_string_as_a_boolean()
    {
        var api = app.Service();

        var created = await api.PostAsync("/api/events", new { topic = TestUsers.Unique("test.src."), description = 42, finished = "true" });
        var stored = await api.GetAsync($"/api/events/{created["id"]!.GetValue<string>()}");

        Assert.Equal("42", stored["description"]!.GetValue<string>());
        Assert.Equal("finished", stored["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"entity": "event", "limit": "1.5"}""")]
    [InlineData("""{"entity": "event", "limit": "ten"}""")]
    [InlineData("""{"entity": "event", "limit": true}""")]
    [InlineData("""{"entity": true}""")]
    [InlineData("""{"entity": {"a": 1}}""")]
    public async Task anything_looser_is_still_refused(string body)
    {
        await app.Service().PostRawAsync("/api/query", body, expect: 400);
    }

    [Fact]
    public async Task only_true_and_false_are_booleans()
    {
        await app.Service().PostAsync("/api/events", new { topic = TestUsers.Unique("test.src."), finished = "yes" }, expect: 400);
        await app.Service().PostAsync("/api/events", new { topic = TestUsers.Unique("test.src."), finished = 1 }, expect: 400);
    }
}
