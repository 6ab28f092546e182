using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>The events root, with the filters the client's event tests send.</summary>
public sealed class events_query(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string Query = """
        query Events($ids: [String!], $topics: [String!], $projects: [String!], $users: [String!], $statuses: [String!],
                     $newerThan: String, $olderThan: String, $hasChildren: Boolean, $includeLogs: Boolean, $first: Int, $after: String, $last: Int, $before: String) {
          events(ids: $ids, topics: $topics, projects: $projects, users: $users, statuses: $statuses, newerThan: $newerThan,
                 olderThan: $olderThan, hasChildren: $hasChildren, includeLogs: $includeLogs, first: $first, after: $after, last: $last, before: $before) {
            edges { node { id hash topic project user sender status retries description dependsOn summary payload createdAt updatedAt } cursor }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }
        """;

    async Task<(string Topic, List<string> Ids)> DispatchAsync(int count, string? status = null)
    {
        var topic = $"test.{Unique.Name("topic")}";
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var created = await app.Service().PostAsync("/api/events", new { topic, sender = "tester", description = $"event {i}", summary = new { n = i }, finished = status is null });
            ids.Add(created["id"]!.GetValue<string>());
        }
        return (topic, ids);
    }

    static List<JsonNode> Nodes(JsonNode data) => [.. data["events"]!["edges"]!.AsArray().Select(e => e!["node"]!)];

    [Fact]
    public async Task events_come_back_oldest_first_with_ayons_fields()
    {
        var (topic, ids) = await DispatchAsync(3);

        var nodes = Nodes(await app.Service().QueryAsync(Query, new { topics = new[] { topic } }));

        Assert.Equal(ids, nodes.Select(n => n["id"]!.GetValue<string>()));
        Assert.Equal("tester", nodes[0]["sender"]!.GetValue<string>());
        Assert.Equal("finished", nodes[0]["status"]!.GetValue<string>());
        Assert.Equal(1, JsonNode.Parse(nodes[1]["summary"]!.GetValue<string>())!["n"]!.GetValue<int>());
        Assert.NotNull(DateTimeOffset.Parse(nodes[0]["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).Offset.ToString());
        Assert.Matches(@"\+00:00$", nodes[0]["createdAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task summary_and_payload_are_read_when_selected_even_in_a_fragment()
    {
        var (topic, ids) = await DispatchAsync(2);

        var plain = Nodes(await app.Service().QueryAsync("""
            query E($topics: [String!]) { events(topics: $topics) { edges { node { id description } } } }
            """, new { topics = new[] { topic } }));
        var fragment = Nodes(await app.Service().QueryAsync("""
            query E($topics: [String!]) { events(topics: $topics) { edges { node { id ...Content } } } }
            fragment Content on EventNode { sum: summary payload }
            """, new { topics = new[] { topic } }));

        Assert.Equal(ids, plain.Select(n => n["id"]!.GetValue<string>()));
        Assert.Equal("event 1", plain[1]["description"]!.GetValue<string>());
        Assert.Equal(1, JsonNode.Parse(fragment[1]["sum"]!.GetValue<string>())!["n"]!.GetValue<int>());
        Assert.NotNull(fragment[1]["payload"]);
    }

    [Fact]
    public async Task topics_take_wildcards_and_ids_select_exactly()
    {
        var (topic, ids) = await DispatchAsync(3);
        var api = app.Service();

        var wildcard = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic[..^4] + "*" } }));
        var byId = Nodes(await api.QueryAsync(Query, new { ids = new[] { ids[1] } }));
        var none = Nodes(await api.QueryAsync(Query, new { ids = Array.Empty<string>() }));

        Assert.Equal(3, wildcard.Count);
        Assert.Equal([ids[1]], byId.Select(n => n["id"]!.GetValue<string>()));
        Assert.Empty(none);
    }

    [Fact]
    public async Task users_statuses_and_projects_filter()
    {
        var (topic, _) = await DispatchAsync(2);
        var api = app.Service();

        var byUser = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, users = new[] { "service" } }));
        var byOther = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, users = new[] { "mkolar" } }));
        var byStatus = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, statuses = new[] { "pending" } }));
        var byProject = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, projects = new[] { "demo_nothing" } }));

        Assert.Equal(2, byUser.Count);
        Assert.Empty(byOther);
        Assert.Empty(byStatus);
        Assert.Empty(byProject);
    }

    [Fact]
    public async Task time_bounds_are_exclusive_and_a_future_bound_finds_nothing()
    {
        var (topic, _) = await DispatchAsync(2);
        var api = app.Service();
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1).ToString("O");
        var inAnHour = DateTimeOffset.UtcNow.AddHours(1).ToString("O");

        var recent = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, newerThan = hourAgo, olderThan = inAnHour }));
        var future = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, newerThan = inAnHour }));
        var past = Nodes(await api.QueryAsync(Query, new { topics = new[] { topic }, olderThan = hourAgo }));

        Assert.Equal(2, recent.Count);
        Assert.Empty(future);
        Assert.Empty(past);
    }

    [Fact]
    public async Task paging_forward_and_backward_visits_every_event_once()
    {
        var (topic, ids) = await DispatchAsync(5);
        var api = app.Service();
        var forward = new List<string>();
        string? after = null;
        for (var page = 0; page < 10; page++)
        {
            var events = (await api.QueryAsync(Query, new { topics = new[] { topic }, first = 2, after }))["events"]!;
            forward.AddRange(events["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()));
            if (!events["pageInfo"]!["hasNextPage"]!.GetValue<bool>())
                break;
            after = events["pageInfo"]!["endCursor"]!.GetValue<string>();
        }
        var backward = new List<string>();
        string? before = null;
        for (var page = 0; page < 10; page++)
        {
            var events = (await api.QueryAsync(Query, new { topics = new[] { topic }, last = 2, before }))["events"]!;
            backward.AddRange(events["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()));
            if (!events["pageInfo"]!["hasPreviousPage"]!.GetValue<bool>())
                break;
            before = events["pageInfo"]!["startCursor"]!.GetValue<string>();
        }

        Assert.Equal(ids, forward);
        Assert.Equal(Enumerable.Reverse(ids), backward);
    }

    [Fact]
    public async Task one_projects_events_page_both_ways_past_another_projects_newer_events()
    {
        var api = app.Service();
        var (project, other) = (await TestProjects.CreateAsync(app), await TestProjects.CreateAsync(app));
        var topic = $"test.{Unique.Name("topic")}";
        async Task<List<string>> PostAsync(string name, int count)
        {
            var ids = new List<string>();
            for (var i = 0; i < count; i++)
                ids.Add((await api.PostAsync("/api/events", new { topic, project = name, description = $"event {i}" }))["id"]!.GetValue<string>());
            return ids;
        }
        var ids = await PostAsync(project, 5);
        await PostAsync(other, 3);

        async Task<List<string>> PagesAsync(bool backward)
        {
            var seen = new List<string>();
            string? cursor = null;
            for (var page = 0; page < 10; page++)
            {
                var events = (await api.QueryAsync(Query, backward
                    ? new { topics = new[] { topic }, projects = new[] { project }, last = (int?)2, before = cursor, first = (int?)null, after = (string?)null }
                    : new { topics = new[] { topic }, projects = new[] { project }, last = (int?)null, before = (string?)null, first = (int?)2, after = cursor }))["events"]!;
                seen.AddRange(events["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()));
                if (!events["pageInfo"]![backward ? "hasPreviousPage" : "hasNextPage"]!.GetValue<bool>())
                    break;
                cursor = events["pageInfo"]![backward ? "startCursor" : "endCursor"]!.GetValue<string>();
            }
            return seen;
        }

        Assert.Equal(ids, await PagesAsync(backward: false));
        Assert.Equal(Enumerable.Reverse(ids), await PagesAsync(backward: true));
    }

    [Fact]
    public async Task has_children_finds_events_others_depend_on()
    {
        var (topic, ids) = await DispatchAsync(2);
        await app.Service().PostAsync("/api/events", new { topic = topic + "x", dependsOn = ids[0] });

        var parents = Nodes(await app.Service().QueryAsync(Query, new { topics = new[] { topic }, hasChildren = true }));
        var leaves = Nodes(await app.Service().QueryAsync(Query, new { topics = new[] { topic }, hasChildren = false }));

        Assert.Equal([ids[0]], parents.Select(n => n["id"]!.GetValue<string>()));
        Assert.Equal([ids[1]], leaves.Select(n => n["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task entity_writes_are_listed_as_events_of_their_project()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync(name: "evented");
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{folder}", new { status = "Approved" }, expect: 204);

        var nodes = Nodes(await api.QueryAsync(Query, new { projects = new[] { build.Project }, topics = new[] { "entity.folder.*" } }));

        Assert.Equal(["entity.folder.created", "entity.folder.status_changed"], nodes.Select(n => n["topic"]!.GetValue<string>()));
        var summary = JsonNode.Parse(nodes[1]["summary"]!.GetValue<string>())!;
        Assert.Equal(folder, summary["entityId"]!.GetValue<string>());
        Assert.Equal("Approved", summary["value"]!.GetValue<string>());
        Assert.Equal("/evented", summary["entityPath"]!.GetValue<string>());
        Assert.Equal("Not ready", JsonNode.Parse(nodes[1]["payload"]!.GetValue<string>())!["oldValue"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_failed_batch_leaves_no_events()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = new object[]
            {
                new { id = "a", type = "create", entityType = "folder", data = new { name = "rolled_back" } },
                new { id = "b", type = "create", entityType = "folder", data = new { name = "!bad" } },
            },
        });

        Assert.Empty(Nodes(await api.QueryAsync(Query, new { projects = new[] { project }, topics = new[] { "entity.folder.*" } })));
    }

    [Fact]
    public async Task a_user_who_is_not_a_manager_sees_only_their_own_events()
    {
        var (topic, ids) = await DispatchAsync(1);
        var artist = await app.ArtistAsync();

        var listed = Nodes(await artist.QueryAsync(Query, new { topics = new[] { topic } }));
        var byId = Nodes(await artist.QueryAsync(Query, new { ids = new[] { ids[0] } }));

        Assert.Empty(listed);
        Assert.Single(byId);
    }
}
