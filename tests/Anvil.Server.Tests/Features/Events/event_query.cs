using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Events;

/// <summary>Three events with known fields, shared by the filter tests of one class instance.</summary>
public sealed class QueryFixture : IAsyncLifetime
{
    public AnvilApp App { get; } = new();
    public string Topic { get; } = TestUsers.Unique("test.query.");
    public Dictionary<string, string> Ids { get; } = [];

    public async Task InitializeAsync()
    {
        await App.InitializeAsync();
        var api = App.Service();
        async Task Add(string name, string? sender, object summary, string project)
        {
            var id = await api.SendAsync(HttpMethod.Post, "/api/events", new { topic = Topic, description = name, summary, project }, 200,
                request => { if (sender is not null) request.Headers.Add("X-Sender", sender); });
            Ids[name] = id["id"]!.GetValue<string>();
        }
        await Add("one", "s1", new { n = 1, s = "alpha", tags = new[] { "a", "b" }, flag = true, list = Array.Empty<string>(), nested = new { deep = "x" } }, "p1");
        await Add("two", "s2", new { n = 2, s = "beta", tags = new[] { "b", "c" }, flag = false, list = new[] { "x" } }, "p2");
        await Add("three", null, new { n = 3, s = "Gamma", tags = Array.Empty<string>() }, "p1");
    }

    public Task DisposeAsync() => App.DisposeAsync().AsTask();
}

/// <summary>POST /api/query and /api/eventops with AYON's filter language, operator by operator.</summary>
public sealed class event_query(QueryFixture fixture) : IClassFixture<QueryFixture>
{
    async Task<string[]> MatchAsync(string condition, string op = "and")
    {
        var filter = JsonNode.Parse($$"""
            {"operator": "and", "conditions": [
                {"key": "topic", "operator": "eq", "value": "{{fixture.Topic}}"},
                {"operator": "{{op}}", "conditions": [{{condition}}]}
            ]}
            """);
        var result = await fixture.App.Service().PostAsync("/api/query", new { entity = "event", filter, limit = 100 });
        return [.. result.AsArray().Select(e => e!["description"]!.GetValue<string>()).Order()];
    }

    [Theory]
    [InlineData("""{"key": "summary/n", "operator": "eq", "value": 2}""", "two")]
    [InlineData("""{"key": "summary/n", "value": 2}""", "two")]
    [InlineData("""{"key": "summary.n", "operator": "ne", "value": 2}""", "one three")]
    [InlineData("""{"key": "summary/n", "operator": "lt", "value": 2}""", "one")]
    [InlineData("""{"key": "summary/n", "operator": "lte", "value": 2}""", "one two")]
    [InlineData("""{"key": "summary/n", "operator": "gt", "value": 2}""", "three")]
    [InlineData("""{"key": "summary/n", "operator": "gte", "value": 2}""", "three two")]
    [InlineData("""{"key": "summary/s", "operator": "like", "value": "%AMM%"}""", "three")]
    [InlineData("""{"key": "description", "operator": "like", "value": "t%"}""", "three two")]
    [InlineData("""{"key": "sender", "operator": "isnull"}""", "three")]
    [InlineData("""{"key": "sender", "operator": "not_null"}""", "one two")]
    [InlineData("""{"key": "summary/list", "operator": "isnull"}""", "three")]
    [InlineData("""{"key": "summary/list", "operator": "notnull"}""", "one two")]
    [InlineData("""{"key": "sender", "operator": "in", "value": ["s1", "s2", "nobody"]}""", "one two")]
    [InlineData("""{"key": "sender", "operator": "in", "value": []}""", "")]
    [InlineData("""{"key": "project", "operator": "notin", "value": ["p2"]}""", "one three")]
    [InlineData("""{"key": "sender", "operator": "notin", "value": []}""", "one three two")]
    [InlineData("""{"key": "summary/s", "operator": "in", "value": ["alpha", "beta"]}""", "one two")]
    [InlineData("""{"key": "summary/tags", "operator": "includes", "value": "b"}""", "one two")]
    [InlineData("""{"key": "summary/tags", "operator": "excludes", "value": "a"}""", "three two")]
    [InlineData("""{"key": "summary/tags", "operator": "includesall", "value": ["a", "b"]}""", "one")]
    [InlineData("""{"key": "summary/tags", "operator": "includesany", "value": ["a", "c"]}""", "one two")]
    [InlineData("""{"key": "summary/tags", "operator": "excludesall", "value": ["a", "c"]}""", "three")]
    [InlineData("""{"key": "summary/tags", "operator": "excludesany", "value": ["a", "b"]}""", "three two")]
    [InlineData("""{"key": "summary/flag", "operator": "eq", "value": true}""", "one")]
    [InlineData("""{"key": "summary/flag", "operator": "eq", "value": false}""", "three two")]
    [InlineData("""{"key": "summary/list", "operator": "eq", "value": []}""", "one three")]
    [InlineData("""{"key": "summary/list", "operator": "ne", "value": []}""", "two")]
    [InlineData("""{"key": "summary/nested/deep", "operator": "eq", "value": "x"}""", "one")]
    [InlineData("""{"key": "senderType", "operator": "eq", "value": "api"}""", "one three two")]
    [InlineData("""{"key": "retries", "operator": "lt", "value": 1}""", "one three two")]
    [InlineData("""{"key": "createdAt", "operator": "gt", "value": "2000-01-01T00:00:00+00:00"}""", "one three two")]
    [InlineData("""{"key": "createdAt", "operator": "lt", "value": "2000-01-01T00:00:00.000000+00:00"}""", "")]
    public async Task each_operator_selects_the_expected_events(string condition, string expected)
    {
        var matched = await MatchAsync(condition);

        Assert.Equal(expected, string.Join(' ', matched));
    }

    [Fact]
    public async Task groups_nest_with_or()
    {
        var matched = await MatchAsync("""
            {"key": "summary/n", "operator": "eq", "value": 1},
            {"operator": "and", "conditions": [{"key": "project", "value": "p1"}, {"key": "summary/n", "operator": "gt", "value": 2}]}
            """, op: "or");

        Assert.Equal("one three", string.Join(' ', matched));
    }

    [Fact]
    public async Task an_id_condition_matches_by_id()
    {
        var matched = await MatchAsync($$"""{"key": "id", "operator": "in", "value": ["{{fixture.Ids["two"]}}"]}""");

        Assert.Equal("two", string.Join(' ', matched));
    }

    [Theory]
    [InlineData("""{"key": "password", "operator": "eq", "value": "x"}""")]
    [InlineData("""{"key": "summary/a;drop", "operator": "eq", "value": "x"}""")]
    [InlineData("""{"key": "topic", "operator": "resembles", "value": "x"}""")]
    [InlineData("""{"key": "id", "operator": "eq", "value": "not-a-uuid"}""")]
    [InlineData("""{"key": "topic", "operator": "in", "value": "not-a-list"}""")]
    [InlineData("""{"key": "topic", "operator": "eq", "value": null}""")]
    [InlineData("""{"key": "retries", "operator": "eq", "value": "many"}""")]
    [InlineData("""{"key": "createdAt", "operator": "gt", "value": "yesterday"}""")]
    [InlineData("""{"key": "description/deep", "operator": "eq", "value": "x"}""")]
    public async Task a_bad_condition_is_a_400(string condition)
    {
        var filter = JsonNode.Parse($$"""{"conditions": [{{condition}}]}""");

        var error = await fixture.App.Service().PostAsync("/api/query", new { entity = "event", filter }, expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task query_and_eventops_are_for_admins()
    {
        var (_, manager) = await TestUsers.CreateAsync(fixture.App, new JsonObject { ["isManager"] = true });

        await manager.PostAsync("/api/query", new { entity = "event" }, expect: 403);
        await manager.PostAsync("/api/eventops", new { type = "delete", filter = new { conditions = new[] { new { key = "topic", value = "x" } } } }, expect: 403);
    }

    [Fact]
    public async Task eventops_deletes_what_the_filter_matches()
    {
        var api = fixture.App.Service();
        var topic = TestUsers.Unique("test.eventops.");
        for (var i = 0; i < 3; i++)
            await api.PostAsync("/api/events", new { topic, summary = new { i } });

        var result = await api.PostAsync("/api/eventops", new
        {
            type = "delete",
            filter = JsonNode.Parse($$"""{"conditions": [{"key": "topic", "value": "{{topic}}"}, {"key": "summary/i", "operator": "lt", "value": 2}]}"""),
        });
        var left = await api.PostAsync("/api/query", new { entity = "event", filter = JsonNode.Parse($$"""{"conditions": [{"key": "topic", "value": "{{topic}}"}]}""") });

        Assert.Equal(2, result["deleted"]!.GetValue<int>());
        Assert.Single(left.AsArray());
        await api.PostAsync("/api/eventops", new { type = "restart", filter = new { } }, expect: 501);
        await api.PostAsync("/api/eventops", new { type = "delete" }, expect: 400);
    }
}
