using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary><c>fieldStats</c> of a connection (the web UI's table footers): statistics over every row the filters match.</summary>
public sealed class field_stats(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string Query = """
        query($projectName: String!, $folderIds: [String!], $targets: [MetricTargetInput!]) {
          project(name: $projectName) {
            tasks(folderIds: $folderIds, calculateSpecificStatistics: $targets, first: 1) {
              fieldStats { ... on ColumnStats {
                columnName min max avg sum count valueFilledCount percentageFilled valueNotFilledCount percentageNotFilled
                checkedCount checkedPercentage notCheckedCount notCheckedPercentage distribution
              } }
            }
          }
        }
        """;

    [Fact]
    public async Task statistics_cover_every_matching_row_not_one_page()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var slow = await build.FolderAsync(attrib: new { fps = 24 });
        var fast = await build.FolderAsync(attrib: new { fps = 50 });
        await build.TaskAsync(slow);
        await build.TaskAsync(slow);
        var third = await build.TaskAsync(fast);
        await api.PatchAsync($"/api/projects/{build.Project}/tasks/{third}", new { tags = new[] { "hero", "urgent" } }, expect: 204);
        await build.TaskAsync(await build.FolderAsync(attrib: new { fps = 1000 }));
        var targets = new object[]
        {
            new { field = "name", aggregations = new[] { "FILLED", "NOT_FILLED" } },
            new { field = "inherited_attributes.fps", aggregations = new[] { "MIN", "MAX", "AVG", "SUM", "FILLED", "NOT_FILLED" } },
            new { field = "task_type", aggregations = new[] { "FILLED", "NOT_FILLED", "DISTRIBUTION" } },
            new { field = "tags", aggregations = new[] { "FILLED", "NOT_FILLED", "DISTRIBUTION" } },
        };

        var data = await api.QueryAsync(Query, new { projectName = build.Project, folderIds = new[] { slow, fast }, targets });

        var stats = data["project"]!["tasks"]!["fieldStats"]!.AsArray().ToDictionary(s => s!["columnName"]!.GetValue<string>(), s => s!);
        Assert.Equal(["name", "inherited_attributes_fps", "task_type", "tags"], stats.Keys);
        Assert.Equal(3, stats["name"]["valueFilledCount"]!.GetValue<int>());
        Assert.Equal(0, stats["name"]["valueNotFilledCount"]!.GetValue<int>());
        var fps = stats["inherited_attributes_fps"];
        Assert.Equal(24, fps["min"]!.GetValue<double>());
        Assert.Equal(50, fps["max"]!.GetValue<double>());
        Assert.Equal(98, fps["sum"]!.GetValue<double>());
        Assert.Equal(32.67, Math.Round(fps["avg"]!.GetValue<double>(), 2));
        var types = stats["task_type"]["distribution"]!.AsArray();
        Assert.Equal("Animation", Assert.Single(types)!["value"]!.GetValue<string>());
        Assert.Equal(3, types[0]!["count"]!.GetValue<int>());
        var tags = stats["tags"];
        Assert.Equal(1, tags["valueFilledCount"]!.GetValue<int>());
        Assert.Equal(33.33, tags["percentageFilled"]!.GetValue<double>());
        Assert.Equal(["hero", "urgent"], tags["distribution"]!.AsArray().Select(d => d!["value"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task a_connection_asked_for_no_statistics_answers_none()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        await build.TaskAsync();

        var data = await api.QueryAsync(Query, new { projectName = build.Project });

        Assert.Empty(data["project"]!["tasks"]!["fieldStats"]!.AsArray());
    }

    [Fact]
    public async Task a_column_the_type_does_not_have_is_an_error_naming_it()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var targets = new object[] { new { field = "name", aggregations = new[] { "FILLED" } }, new { field = "nonsense", aggregations = new[] { "FILLED" } } };

        var result = await api.GraphQLAsync(Query, new { projectName = build.Project, targets });

        var error = Assert.Single(result["errors"]!.AsArray())!;
        Assert.Contains("calculateSpecificStatistics.1.field", error["message"]!.GetValue<string>());
        Assert.Equal(400, error["extensions"]!["status"]!.GetValue<int>());
    }
}
