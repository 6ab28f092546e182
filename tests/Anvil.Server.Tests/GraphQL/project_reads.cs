using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// A GraphQL read of a project holds no transaction: each statement carries its own, with the
/// project's search path, in one round trip (<c>ProjectSession.OpenReadAsync</c>).
/// </summary>
public sealed class project_reads(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string ByPath = """
        query F($projectName: String!, $paths: [String!]) { project(name: $projectName) {
          folders(paths: $paths) { edges { node { id name path allAttrib } } } } }
        """;

    /// <summary>The SQL texts one request sent (Npgsql's activities traced to it by its W3C trace id).</summary>
    async Task<(List<string> Statements, JsonNode Data)> TracedAsync(string query, object variables)
    {
        var traceId = ActivityTraceId.CreateRandom();
        var statements = new List<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == traceId)
                    lock (statements)
                        statements.Add(activity.Tags.FirstOrDefault(t => t.Key is "db.query.text" or "db.statement").Value ?? activity.DisplayName);
            },
        };
        ActivitySource.AddActivityListener(listener);
        var api = app.Service();
        api.Http.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var data = await api.QueryAsync(query, variables);
        return (statements, data);
    }

    [Fact]
    public async Task a_folder_by_path_is_one_statement_with_its_search_path_and_no_rollback()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var root = await build.FolderAsync(name: "sq01");
        await build.CreateAsync("folders", new { name = "sh010", folderType = "Shot", parentId = root });
        await app.Service().QueryAsync(ByPath, new { projectName = project, paths = new[] { "sq01/sh010" } });

        var (statements, data) = await TracedAsync(ByPath, new { projectName = project, paths = new[] { "sq01/sh010" } });
        // Another test may have emptied the shared caches (users, keys, projects) just before: their reload
        // is not the read's. Warm again, the next request reads with the read's statements alone.
        for (var attempt = 0; attempt < 3 && statements.Count > 1; attempt++)
            (statements, data) = await TracedAsync(ByPath, new { projectName = project, paths = new[] { "sq01/sh010" } });

        Assert.Equal("/sq01/sh010", data["project"]!["folders"]!["edges"]![0]!["node"]!["path"]!.GetValue<string>());
        var statement = Assert.Single(statements);
        Assert.Contains($"search_path TO project_{project.ToLowerInvariant()}", statement, StringComparison.Ordinal);
        Assert.Contains("FROM folders", statement, StringComparison.Ordinal);
    }
}
