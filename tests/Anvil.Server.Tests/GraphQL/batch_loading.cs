using System.Diagnostics;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// A server that caches nothing: what a request reads does not depend on what other tests changed
/// (any change of a user or project, anywhere, drops the caches of every instance).
/// </summary>
public sealed class UncachedApp : AnvilApp
{
    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_CACHE_TTL", "0")];
}

/// <summary>
/// Nested connections are batch-loaded: the SQL statements one request runs (counted from Npgsql's
/// activities, traced to the request by its W3C trace id) do not grow with the number of parents.
/// </summary>
public sealed class batch_loading(UncachedApp app) : IClassFixture<UncachedApp>
{
    const string Tree = """
        query Tree($projectName: String!) {
          project(name: $projectName) {
            folders(first: 500) { edges { node { id name
              tasks(first: 5) { edges { node { name folder { name } } } }
              products(first: 5) { edges { node { name folder { id }
                versions(first: 5) { edges { node { version product { name }
                  representations(first: 5) { edges { node { name version { id } } } } } } } } } }
            } } }
          }
        }
        """;

    async Task<string> ProjectWithFoldersAsync(int count)
    {
        var project = await TestProjects.CreateAsync(app);
        var operations = new List<object>();
        for (var i = 0; i < count; i++)
        {
            var folder = EntityBuilder.NewId();
            var product = EntityBuilder.NewId();
            var version = EntityBuilder.NewId();
            operations.Add(new { type = "create", entityType = "folder", entityId = folder, data = new { name = $"f{i:000}", folderType = "Shot" } });
            operations.Add(new { type = "create", entityType = "task", data = new { name = "anim", taskType = "Animation", folderId = folder } });
            operations.Add(new { type = "create", entityType = "product", entityId = product, data = new { name = "animMain", productType = "animation", folderId = folder } });
            operations.Add(new { type = "create", entityType = "version", entityId = version, data = new { version = 1, productId = product } });
            operations.Add(new { type = "create", entityType = "representation", data = new { name = "abc", versionId = version } });
        }
        var result = await app.Service().PostAsync($"/api/projects/{project}/operations", new { operations, canFail = false });
        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        return project;
    }

    async Task<(int Statements, int Folders)> CountAsync(string project)
    {
        var traceId = ActivityTraceId.CreateRandom();
        var statements = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == traceId)
                    Interlocked.Increment(ref statements);
            },
        };
        ActivitySource.AddActivityListener(listener);

        var api = app.Service();
        api.Http.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var data = await api.QueryAsync(Tree, new { projectName = project });
        var folders = data["project"]!["folders"]!["edges"]!.AsArray();
        Assert.All(folders, f => Assert.Equal("abc", f!["node"]!["products"]!["edges"]![0]!["node"]!["versions"]!["edges"]![0]!["node"]!
            ["representations"]!["edges"]![0]!["node"]!["name"]!.GetValue<string>()));
        return (statements, folders.Count);
    }

    /// <summary>
    /// The fewer of two counts: a read also loads the project's context when another test's change to
    /// the attribute library has just dropped it, one statement that has nothing to do with the rows.
    /// </summary>
    async Task<(int Statements, int Folders)> FewestAsync(string project)
    {
        var first = await CountAsync(project);
        var second = await CountAsync(project);
        return first.Statements <= second.Statements ? first : second;
    }

    [Fact]
    public async Task a_nested_query_runs_the_same_few_statements_for_10_or_100_folders()
    {
        var small = await FewestAsync(await ProjectWithFoldersAsync(10));
        var large = await FewestAsync(await ProjectWithFoldersAsync(100));

        Assert.Equal(10, small.Folders);
        Assert.Equal(100, large.Folders);
        Assert.InRange(large.Statements, 1, 40);
        Assert.Equal(small.Statements, large.Statements);
    }
}
