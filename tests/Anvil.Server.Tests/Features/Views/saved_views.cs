using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Views;

/// <summary>The web UI's saved table layouts: working, shared, base and default views, per user and scope.</summary>
public sealed class saved_views(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<(string Project, Api Artist, Api Other)> ProjectWithTwoArtistsAsync()
    {
        var project = await TestProjects.CreateAsync(app);
        JsonObject Access() => new() { ["accessGroups"] = new JsonObject { [project] = new JsonArray("artist") } };
        return (project, await app.ArtistAsync(Access()), await app.ArtistAsync(Access()));
    }

    static object View(string label, int rowHeight, bool working = false, string? visibility = null, string? id = null) =>
        new { id, label, working, visibility, settings = new { rowHeight, columns = new[] { new { name = "status", visible = true } } } };

    [Fact]
    public async Task a_working_view_is_saved_per_user_and_project_and_replaced_by_the_next()
    {
        var (project, artist, other) = await ProjectWithTwoArtistsAsync();

        await artist.PostAsync($"/api/views/overview?project_name={project}", View("Working", 30, working: true));
        var second = await artist.PostAsync($"/api/views/overview?project_name={project}", View("Working", 45, working: true));

        var working = await artist.GetAsync($"/api/views/overview/working?project_name={project}");
        Assert.Equal(second["id"]!.GetValue<string>(), working["id"]!.GetValue<string>());
        Assert.Equal(45, working["settings"]!["rowHeight"]!.GetValue<int>());
        Assert.Equal("private", working["visibility"]!.GetValue<string>());
        Assert.Equal("project", working["scope"]!.GetValue<string>());
        Assert.Equal(30, working["accessLevel"]!.GetValue<int>());
        await other.GetAsync($"/api/views/overview/working?project_name={project}", expect: 404);
        await artist.GetAsync("/api/views/overview/working", expect: 404);
    }

    [Fact]
    public async Task the_list_shows_ones_own_views_and_public_ones_but_not_others_private_views()
    {
        var (project, artist, other) = await ProjectWithTwoArtistsAsync();
        await artist.PostAsync($"/api/views/versions?project_name={project}", View("Mine, private", 30));
        await other.PostAsync($"/api/views/versions?project_name={project}", View("Theirs, public", 30, visibility: "public"));
        await other.PostAsync($"/api/views/versions?project_name={project}", View("Theirs, private", 30));

        var views = (await artist.GetAsync($"/api/views/versions?project_name={project}"))["views"]!.AsArray();

        Assert.Equal(["Mine, private", "Theirs, public"], views.Select(v => v!["label"]!.GetValue<string>()).Order());
        var shared = views.Single(v => v!["label"]!.GetValue<string>() == "Theirs, public")!;
        Assert.Equal(10, shared["accessLevel"]!.GetValue<int>());
    }

    [Fact]
    public async Task only_the_owner_changes_or_deletes_a_view()
    {
        var (project, artist, other) = await ProjectWithTwoArtistsAsync();
        var id = (await artist.PostAsync($"/api/views/overview?project_name={project}", View("Shared", 30, visibility: "public")))["id"]!.GetValue<string>();

        await other.PatchAsync($"/api/views/overview/{id}?project_name={project}", new { label = "Taken" }, expect: 403);
        await other.DeleteAsync($"/api/views/overview/{id}?project_name={project}", expect: 403);
        await artist.PatchAsync($"/api/views/overview/{id}?project_name={project}", new { label = "Renamed", settings = new { rowHeight = 60 } }, expect: 204);

        var view = await other.GetAsync($"/api/views/overview/{id}?project_name={project}");
        Assert.Equal("Renamed", view["label"]!.GetValue<string>());
        Assert.Equal(60, view["settings"]!["rowHeight"]!.GetValue<int>());
        await artist.DeleteAsync($"/api/views/overview/{id}?project_name={project}");
        await artist.GetAsync($"/api/views/overview/{id}?project_name={project}", expect: 404);
    }

    [Fact]
    public async Task the_default_view_is_the_chosen_one_else_the_working_view()
    {
        var (project, artist, _) = await ProjectWithTwoArtistsAsync();
        await artist.GetAsync($"/api/views/taskProgress/default?project_name={project}", expect: 404);
        var working = (await artist.PostAsync($"/api/views/taskProgress?project_name={project}", View("Working", 30, working: true)))["id"]!.GetValue<string>();
        Assert.Equal(working, (await artist.GetAsync($"/api/views/taskProgress/default?project_name={project}"))["id"]!.GetValue<string>());

        var chosen = (await artist.PostAsync($"/api/views/taskProgress?project_name={project}", View("Chosen", 30)))["id"]!.GetValue<string>();
        await artist.PostAsync($"/api/views/taskProgress/default?project_name={project}", new { viewId = chosen }, expect: 204);

        Assert.Equal(chosen, (await artist.GetAsync($"/api/views/taskProgress/default?project_name={project}"))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_base_view_is_shared_kept_by_managers_and_found_per_scope()
    {
        var (project, artist, _) = await ProjectWithTwoArtistsAsync();
        var admin = await app.LoginAsync();

        await artist.PostAsync($"/api/views/lists?project_name={project}", View("__base__", 30), expect: 403);
        await admin.PostAsync($"/api/views/lists?project_name={project}", View("__base__", 30));
        await admin.PostAsync($"/api/views/lists?project_name={project}", View("__base__", 50));

        var projectBase = await artist.GetAsync($"/api/views/lists/base?project_name={project}");
        Assert.Equal(50, projectBase["settings"]!["rowHeight"]!.GetValue<int>());
        Assert.Equal("public", projectBase["visibility"]!.GetValue<string>());
        await artist.GetAsync("/api/views/lists/base", expect: 404);
    }

    [Fact]
    public async Task studio_views_show_in_every_project_list()
    {
        var (project, artist, _) = await ProjectWithTwoArtistsAsync();
        await artist.PostAsync("/api/views/reviews", View("Everywhere", 30));

        var views = (await artist.GetAsync($"/api/views/reviews?project_name={project}"))["views"]!.AsArray();

        Assert.Contains(views, v => v!["label"]!.GetValue<string>() == "Everywhere" && v["scope"]!.GetValue<string>() == "studio");
    }

    [Fact]
    public async Task bad_input_is_refused_naming_the_field_and_unknown_projects_are_404()
    {
        var admin = await app.LoginAsync();

        var noLabel = await admin.PostAsync("/api/views/overview", new { settings = new { } }, expect: 400);
        Assert.Contains("label", noLabel["detail"]!.GetValue<string>());
        var badVisibility = await admin.PostAsync("/api/views/overview", new { label = "x", visibility = "everyone" }, expect: 400);
        Assert.Contains("visibility", badVisibility["detail"]!.GetValue<string>());
        await admin.GetAsync("/api/views/over%20view", expect: 400);
        await admin.GetAsync("/api/views/overview?project_name=no_such_project", expect: 404);
    }

    [Fact]
    public async Task a_user_who_cannot_open_the_project_cannot_see_its_views()
    {
        var (project, artist, _) = await ProjectWithTwoArtistsAsync();
        var outsider = await app.ArtistAsync();
        await artist.PostAsync($"/api/views/overview?project_name={project}", View("Shared", 30, visibility: "public"));

        await outsider.GetAsync($"/api/views/overview?project_name={project}", expect: 404);
    }
}
