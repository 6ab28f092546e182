using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>The GraphQL the web UI adds to the client's: user fields, the kanban board and the inbox.</summary>
public sealed class web_ui_queries(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task users_take_is_support_and_show_typed_attributes()
    {
        var name = await Users.CreateAsync(app, "typed");
        await app.Service().PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "Typed User", email = "typed@example.com" } }, expect: 204);
        const string query = """
            query($names: [String!]!, $support: Boolean) {
              users(names: $names, isSupport: $support) { edges { node { name attrib { fullName email } isStagingAllowed disablePasswordLogin userPool deleted } } }
            }
            """;

        var ordinary = (await app.Service().QueryAsync(query, new { names = new[] { name }, support = false }))["users"]!["edges"]!.AsArray();
        var support = (await app.Service().QueryAsync(query, new { names = new[] { name }, support = true }))["users"]!["edges"]!.AsArray();
        var seenByArtist = (await (await app.ArtistAsync()).QueryAsync(query, new { names = new[] { name }, support = false }))["users"]!["edges"]!.AsArray();

        var node = ordinary.Single()!["node"]!;
        Assert.Equal("Typed User", node["attrib"]!["fullName"]!.GetValue<string>());
        Assert.Equal("typed@example.com", node["attrib"]!["email"]!.GetValue<string>());
        Assert.False(node["deleted"]!.GetValue<bool>());
        Assert.Empty(support);
        foreach (var edge in seenByArtist)
            Assert.Null(edge!["node"]!["attrib"]!["email"]);
    }

    [Fact]
    public async Task the_kanban_lists_the_tasks_assigned_to_the_given_users_across_projects()
    {
        var artist = await Users.CreateAsync(app, "kanban");
        var projects = new[] { await TestProjects.CreateAsync(app), await TestProjects.CreateAsync(app) };
        var assigned = new List<string>();
        foreach (var project in projects)
        {
            var build = new EntityBuilder(app.Service(), project);
            var folder = await build.FolderAsync();
            var task = await build.TaskAsync(folder);
            await app.Service().PatchAsync($"/api/projects/{project}/tasks/{task}", new { assignees = new[] { artist } }, expect: 204);
            assigned.Add(task);
            await build.TaskAsync(folder);
        }

        var board = (await app.Service().QueryAsync("""
            query($projects: [String!], $assignees: [String!]) {
              kanban(projects: $projects, assigneesAny: $assignees, last: 2000) {
                edges { node { id projectName projectCode name folderName folderPath assignees priority hasReviewables thumbnailHash } }
              }
            }
            """, new { projects, assignees = new[] { artist } }))["kanban"]!["edges"]!.AsArray();

        Assert.Equal(assigned.Order(), board.Select(e => e!["node"]!["id"]!.GetValue<string>()).Order());
        var node = board[0]!["node"]!;
        Assert.Contains(node["projectName"]!.GetValue<string>(), projects);
        Assert.StartsWith("/", node["folderPath"]!.GetValue<string>());
        Assert.Equal([artist], node["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task the_kanban_shows_nothing_of_a_project_the_user_cannot_open()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var task = await build.TaskAsync(await build.FolderAsync());
        var outsider = await Users.CreateAsync(app, "outsider");
        await app.Service().PatchAsync($"/api/projects/{project}/tasks/{task}", new { assignees = new[] { outsider } }, expect: 204);

        var board = (await (await app.LoginAsync(outsider, Users.Password)).QueryAsync(
            "query($a: [String!]) { kanban(assigneesAny: $a) { edges { node { id } } } }", new { a = new[] { outsider } }))["kanban"]!["edges"]!.AsArray();

        Assert.Empty(board);
    }

    [Fact]
    public async Task the_inbox_validates_with_the_web_uis_arguments_and_is_empty()
    {
        var inbox = (await (await app.ArtistAsync()).QueryAsync("""
            { inbox(last: 50, showActiveMessages: true, showImportantMessages: true, showUnreadMessages: true) {
                pageInfo { hasPreviousPage } edges { node { activityId read author { name } origin { id } } } } }
            """))["inbox"]!;

        Assert.Empty(inbox["edges"]!.AsArray());
        Assert.False(inbox["pageInfo"]!["hasPreviousPage"]!.GetValue<bool>());
    }
}
