using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>The project cards and dashboard of the web UI: counts, health, heartbeat, people, image.</summary>
public sealed class project_dashboard(AnvilApp app) : IClassFixture<AnvilApp>
{
    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    [Fact]
    public async Task entity_counts_and_task_health_reflect_the_project()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var folder = await build.FolderAsync();
        await build.TaskAsync(folder);
        var late = await build.TaskAsync(folder);
        await api.PatchAsync($"/api/projects/{project}/tasks/{late}", new { attrib = new { endDate = "2001-01-01T00:00:00Z" } }, expect: 204);
        await build.VersionAsync(await build.ProductAsync(folder));

        var counts = await api.GetAsync($"/api/projects/{project}/dashboard/entities");
        var health = await api.GetAsync($"/api/projects/{project}/dashboard/health");

        Assert.Equal(1, counts["folders"]!.GetValue<long>());
        Assert.Equal(2, counts["tasks"]!.GetValue<long>());
        Assert.Equal(1, counts["versions"]!.GetValue<long>());
        Assert.Equal(2, health["tasks"]!["total"]!.GetValue<long>());
        Assert.Equal(1, health["tasks"]!["overdue"]!.GetValue<long>());
        Assert.Equal(2, health["statuses"]!.AsObject().Sum(s => s.Value!.GetValue<long>()));
    }

    [Fact]
    public async Task the_heartbeat_has_one_value_per_day_and_today_is_the_busiest()
    {
        var project = await TestProjects.CreateAsync(app);
        await new EntityBuilder(app.Service(), project).FolderAsync();

        var activity = (await app.Service().GetAsync($"/api/projects/{project}/dashboard/activity?days=7"))["activity"]!.AsArray();

        Assert.Equal(7, activity.Count);
        Assert.Equal(100, activity[^1]!.GetValue<int>());
        await app.Service().GetAsync($"/api/projects/{project}/dashboard/activity?days=0", expect: 400);
    }

    [Fact]
    public async Task the_users_of_a_project_are_those_holding_access_groups_there()
    {
        var project = await TestProjects.CreateAsync(app);
        var artist = await Users.CreateAsync(app, "member", new JsonObject { ["accessGroups"] = new JsonObject { [project] = new JsonArray("artist") } });

        var users = await app.Service().GetAsync($"/api/projects/{project}/users");
        var team = await app.Service().GetAsync($"/api/projects/{project}/dashboard/users");

        Assert.Equal(["artist"], users[artist]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.True(team["roles"]!["artist"]!.GetValue<int>() >= 1);
        await (await app.ArtistAsync(new JsonObject { ["accessGroups"] = new JsonObject { [project] = new JsonArray("artist") } }))
            .GetAsync($"/api/projects/{project}/users", expect: 403);
        Assert.Empty((await app.Service().GetAsync($"/api/projects/{project}/teams")).AsArray());
    }

    [Fact]
    public async Task a_project_shows_the_placeholder_until_a_manager_gives_it_an_image()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();

        var placeholder = await api.Http.GetAsync($"/api/projects/{project}/thumbnail");
        Assert.Equal(203, (int)placeholder.StatusCode);
        await api.GetAsync($"/api/projects/{project}/thumbnail?placeholder=none", expect: 404);

        await api.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/projects/{project}/thumbnail") { Content = new ByteArrayContent(Png) }, expect: 201);
        var image = await api.Http.GetAsync($"/api/projects/{project}/thumbnail");
        Assert.Equal(200, (int)image.StatusCode);
        Assert.Equal(Png, await image.Content.ReadAsByteArrayAsync());

        var artist = await app.ArtistAsync(new JsonObject { ["accessGroups"] = new JsonObject { [project] = new JsonArray("artist") } });
        await artist.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/projects/{project}/thumbnail") { Content = new ByteArrayContent(Png) }, expect: 403);
    }

    [Fact]
    public async Task dashboard_figures_of_a_project_one_holds_no_access_group_on_are_refused()
    {
        var project = await TestProjects.CreateAsync(app);

        await (await app.ArtistAsync()).GetAsync($"/api/projects/{project}/dashboard/health", expect: 403);
    }
}
