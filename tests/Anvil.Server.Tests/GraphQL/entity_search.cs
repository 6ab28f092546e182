using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>The search argument of entity connections: words all present, commas for alternatives.</summary>
public sealed class entity_search(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string Folders = """
        query($projectName: String!, $search: String) {
          project(name: $projectName) { folders(search: $search) { edges { node { name } } } }
        }
        """;

    const string Tasks = """
        query($projectName: String!, $search: String) {
          project(name: $projectName) { tasks(search: $search) { edges { node { name } } } }
        }
        """;

    static List<string> Names(System.Text.Json.Nodes.JsonNode data, string connection) =>
        [.. data["project"]![connection]!["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()).Order()];

    [Fact]
    public async Task words_must_all_match_and_commas_give_alternatives()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync(name: "sq010", folderType: "Sequence");
        var shot = await build.FolderAsync(seq, "sh010", "Shot");
        await build.FolderAsync(name: "characters");
        await build.TaskAsync(shot, "compositing");
        await build.TaskAsync(shot, "animation");

        var bySequence = Names(await api.QueryAsync(Folders, new { projectName = build.Project, search = "sq010" }), "folders");
        var bothWords = Names(await api.QueryAsync(Folders, new { projectName = build.Project, search = "sq010 sh0" }), "folders");
        var alternatives = Names(await api.QueryAsync(Folders, new { projectName = build.Project, search = "sh010, CHAR" }), "folders");
        var underscoreIsLiteral = Names(await api.QueryAsync(Folders, new { projectName = build.Project, search = "s_010" }), "folders");
        var tasksByFolderPath = Names(await api.QueryAsync(Tasks, new { projectName = build.Project, search = "sh010 comp" }), "tasks");

        Assert.Equal(["sh010", "sq010"], bySequence);
        Assert.Equal(["sh010"], bothWords);
        Assert.Equal(["characters", "sh010"], alternatives);
        Assert.Empty(underscoreIsLiteral);
        Assert.Equal(["compositing"], tasksByFolderPath);
    }
}
