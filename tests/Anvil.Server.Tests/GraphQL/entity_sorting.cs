using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>sortBy on entity connections: orders, cursors that page through sorted rows, attributes, nesting.</summary>
public sealed class entity_sorting(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string Folders = """
        query($projectName: String!, $sortBy: String, $first: Int, $after: String, $last: Int, $before: String) {
          project(name: $projectName) {
            folders(sortBy: $sortBy, first: $first, after: $after, last: $last, before: $before) {
              edges { node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            }
          }
        }
        """;

    async Task<List<string>> PageAllAsync(Api api, string project, string sortBy, bool descending)
    {
        var names = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 20; page++)
        {
            var folders = (await api.QueryAsync(Folders, descending
                ? new { projectName = project, sortBy, first = (int?)null, after = (string?)null, last = (int?)2, before = cursor }
                : new { projectName = project, sortBy, first = (int?)2, after = cursor, last = (int?)null, before = (string?)null }))["project"]!["folders"]!;
            names.AddRange(folders["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()));
            var info = folders["pageInfo"]!;
            if (!info[descending ? "hasPreviousPage" : "hasNextPage"]!.GetValue<bool>())
                break;
            cursor = info[descending ? "startCursor" : "endCursor"]!.GetValue<string>();
        }
        return names;
    }

    [Fact]
    public async Task sorting_by_name_pages_through_every_folder_once_both_ways()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        foreach (var name in new[] { "delta", "alpha", "echo", "charlie", "bravo" })
            await build.FolderAsync(name: name);

        var ascending = await PageAllAsync(api, build.Project, "name", descending: false);
        var descending = await PageAllAsync(api, build.Project, "name", descending: true);

        Assert.Equal(["alpha", "bravo", "charlie", "delta", "echo"], ascending);
        Assert.Equal(["echo", "delta", "charlie", "bravo", "alpha"], descending);
    }

    [Fact]
    public async Task numeric_attributes_sort_as_numbers_and_statuses_by_anatomy_position()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var late = await build.FolderAsync(name: "late", attrib: new { frameStart = 10000 });
        var early = await build.FolderAsync(name: "early", attrib: new { frameStart = 999 });
        await build.FolderAsync(name: "default_start");
        await build.FolderAsync(name: "negative", attrib: new { frameStart = -5 });
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{late}", new { status = "Approved" }, expect: 204);
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{early}", new { status = "In progress" }, expect: 204);

        var byFrame = await PageAllAsync(api, build.Project, "attrib.frameStart", descending: false);
        var byStatus = await PageAllAsync(api, build.Project, "status", descending: false);

        Assert.Equal(["negative", "early", "default_start", "late"], byFrame);
        Assert.Equal(["early", "late"], byStatus.Where(n => n is "early" or "late"));
        Assert.Equal("late", byStatus[^1]);
    }

    [Fact]
    public async Task nested_connections_sort_per_parent()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var shot = await build.FolderAsync(name: "sh010");
        foreach (var name in new[] { "lighting", "animation", "compositing" })
            await build.TaskAsync(shot, name);

        var data = await api.QueryAsync("""
            query($projectName: String!) {
              project(name: $projectName) { folders { edges { node { name tasks(sortBy: "name", last: 10) { edges { node { name } } } } } } }
            }
            """, new { projectName = build.Project });

        var tasks = data["project"]!["folders"]!["edges"]![0]!["node"]!["tasks"]!["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>());
        Assert.Equal(["lighting", "compositing", "animation"], tasks);
    }

    [Fact]
    public async Task an_unknown_sort_is_an_error_naming_sort_by()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        var result = await api.GraphQLAsync(Folders, new { projectName = project, sortBy = "colour" });

        Assert.StartsWith("sortBy:", result["errors"]![0]!["message"]!.GetValue<string>());
        Assert.IsType<JsonArray>(result["errors"]);
    }
}
