using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Access;

/// <summary>The finer rules of the permission model: assignments, attribute lists, overrides, combining groups.</summary>
public sealed class access_rules(AnvilApp app) : IClassFixture<AnvilApp>
{
    static JsonObject Only(string accessType, string? path = null) => new()
    {
        ["enabled"] = true,
        ["access_list"] = new JsonArray(path is null
            ? new JsonObject { ["access_type"] = accessType }
            : new JsonObject { ["access_type"] = accessType, ["path"] = path }),
    };

    async Task<string> GroupAsync(JsonObject permissions, string project = "_")
    {
        var name = Unique.Name("group");
        await app.Service().PutAsync($"/api/accessGroups/{name}/{project}", permissions, expect: 204);
        return name;
    }

    async Task<(string Name, Api Api)> UserAsync(string project, params string[] groups)
    {
        var name = await Users.CreateAsync(app, "artist", AccessWorld.Groups(project, groups));
        return (name, await app.LoginAsync(name, Users.Password));
    }

    static List<string> Names(JsonNode connection) =>
        [.. connection["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>())];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task assigned_access_opens_the_folders_of_the_users_tasks(bool showSiblingTasks)
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var mine = await build.FolderAsync(await build.FolderAsync(name: "seq"), "sh010", "Shot");
        var other = await build.FolderAsync(name: "elsewhere");
        var myTask = await build.TaskAsync(mine, "anim");
        var sibling = await build.TaskAsync(mine, "comp");
        var myWorkfile = await build.WorkfileAsync(myTask);
        var siblingWorkfile = await build.WorkfileAsync(sibling);
        await build.TaskAsync(other, "light");
        var group = await GroupAsync(new JsonObject
        {
            ["read"] = Only("assigned"),
            ["advanced"] = new JsonObject { ["show_sibling_tasks"] = showSiblingTasks },
        });
        var (name, artist) = await UserAsync(project, group);
        await app.Service().PatchAsync($"/api/projects/{project}/tasks/{myTask}", new { assignees = new[] { name } }, expect: 204);

        var data = await artist.QueryAsync("""
            query Q($project: String!) {
              project(name: $project) { folders { edges { node { name } } } tasks { edges { node { name } } } workfiles { edges { node { id } } } }
            }
            """, new { project });

        Assert.Equal(["seq", "sh010"], Names(data["project"]!["folders"]!).Order());
        Assert.Equal(showSiblingTasks ? ["anim", "comp"] : ["anim"], Names(data["project"]!["tasks"]!).Order());
        var workfiles = data["project"]!["workfiles"]!["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(showSiblingTasks ? new[] { myWorkfile, siblingWorkfile }.Order() : [myWorkfile], workfiles.Order());
    }

    [Fact]
    public async Task attribute_lists_hide_values_and_refuse_writes()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var folder = await build.FolderAsync(attrib: new { fps = 24, resolutionWidth = 1920 });
        var group = await GroupAsync(new JsonObject
        {
            ["attrib_read"] = new JsonObject { ["enabled"] = true, ["attributes"] = new JsonArray("fps") },
            ["attrib_write"] = new JsonObject { ["enabled"] = true, ["attributes"] = new JsonArray("fps"), ["fields"] = new JsonArray("status") },
        });
        var (_, artist) = await UserAsync(project, group);

        var entity = await artist.GetAsync($"/api/projects/{project}/folders/{folder}");
        var graph = await artist.QueryAsync("""
            query Q($project: String!, $id: String!) { project(name: $project) { folder(id: $id) { allAttrib attrib { fps resolutionWidth } } } }
            """, new { project, id = folder });
        await artist.PatchAsync($"/api/projects/{project}/folders/{folder}", new { attrib = new { fps = 25 }, status = "Approved" }, expect: 204);
        var attribute = await artist.PatchAsync($"/api/projects/{project}/folders/{folder}", new { attrib = new { resolutionWidth = 1 } }, expect: 403);
        var field = await artist.PatchAsync($"/api/projects/{project}/folders/{folder}", new { label = "renamed" }, expect: 403);

        Assert.Equal(["fps"], entity["attrib"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["fps"], JsonNode.Parse(graph["project"]!["folder"]!["allAttrib"]!.GetValue<string>())!.AsObject().Select(p => p.Key));
        Assert.Null(graph["project"]!["folder"]!["attrib"]!["resolutionWidth"]);
        Assert.Contains("resolutionWidth", attribute["detail"]!.GetValue<string>());
        Assert.Contains("label", field["detail"]!.GetValue<string>());
        var stored = await app.Service().GetAsync($"/api/projects/{project}/folders/{folder}");
        Assert.Equal(25, stored["attrib"]!["fps"]!.GetValue<int>());
        Assert.Equal(1920, stored["attrib"]!["resolutionWidth"]!.GetValue<int>());
        Assert.Equal("Approved", stored["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_project_override_replaces_the_studio_group_on_that_project_only()
    {
        var project = await TestProjects.CreateAsync(app);
        var other = await TestProjects.CreateAsync(app);
        foreach (var p in new[] { project, other })
            await new EntityBuilder(app.Service(), p).FolderAsync(name: "visible");
        var group = await GroupAsync(new JsonObject());
        await app.Service().PutAsync($"/api/accessGroups/{group}/{project}", new JsonObject { ["read"] = Only("hierarchy", "/nothing-here") }, expect: 204);
        var name = await Users.CreateAsync(app, "artist", new JsonObject
        {
            ["accessGroups"] = new JsonObject { [project] = new JsonArray(group), [other] = new JsonArray(group) },
        });
        var artist = await app.LoginAsync(name, Users.Password);

        var overridden = await artist.GetAsync($"/api/projects/{project}/folders");
        var studio = await artist.GetAsync($"/api/projects/{other}/folders");

        Assert.Empty(overridden["folders"]!.AsArray());
        Assert.Single(studio["folders"]!.AsArray());
    }

    [Fact]
    public async Task groups_combine_to_what_any_of_them_allows()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        await build.FolderAsync(name: "assets");
        await build.FolderAsync(name: "shots");
        await build.FolderAsync(name: "edit");
        var assets = await GroupAsync(new JsonObject { ["read"] = Only("hierarchy", "/assets") });
        var shots = await GroupAsync(new JsonObject { ["read"] = Only("hierarchy", "shots") });
        var everything = await GroupAsync(new JsonObject());

        var (_, two) = await UserAsync(project, assets, shots);
        var (_, open) = await UserAsync(project, assets, everything);

        static IEnumerable<string> Paths(JsonNode list) => list["folders"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()).Order();
        Assert.Equal(["assets", "shots"], Paths(await two.GetAsync($"/api/projects/{project}/folders")));
        Assert.Equal(["assets", "edit", "shots"], Paths(await open.GetAsync($"/api/projects/{project}/folders")));
    }

    [Fact]
    public async Task only_managers_may_force_a_delete_and_a_user_without_existing_groups_has_no_access()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var folder = await build.FolderAsync();
        await build.ProductAsync(folder);
        var (_, artist) = await UserAsync(project, await GroupAsync(new JsonObject()));
        var (_, ghost) = await UserAsync(project, "no-such-group");

        var forced = await artist.DeleteAsync($"/api/projects/{project}/folders/{folder}?force=true", expect: 403);
        await ghost.GetAsync($"/api/projects/{project}/folders", expect: 403);
        await artist.DeleteAsync($"/api/projects/{project}/folders/{folder}", expect: 409);

        Assert.Contains("managers", forced["detail"]!.GetValue<string>());
        await app.Service().GetAsync($"/api/projects/{project}/folders/{folder}");
    }

    [Fact]
    public async Task paths_with_underscores_match_literally()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        await build.FolderAsync(name: "char_a");
        await build.FolderAsync(name: "charXa");
        var (_, artist) = await UserAsync(project, await GroupAsync(new JsonObject { ["read"] = Only("hierarchy", "/char_a") }));

        var list = await artist.GetAsync($"/api/projects/{project}/folders");

        Assert.Equal(["char_a"], list["folders"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task permissions_say_what_the_server_will_enforce()
    {
        var project = await TestProjects.CreateAsync(app);
        var group = await GroupAsync(new JsonObject { ["read"] = Only("hierarchy", "/assets"), ["project"] = new JsonObject { ["anatomy"] = 1 } });
        var (name, artist) = await UserAsync(project, group);

        var all = await artist.GetAsync("/api/users/me/permissions");
        var one = await artist.GetAsync($"/api/users/{name}/permissions/{project}");
        var manager = await app.Service().GetAsync($"/api/users/{name}/permissions/{project}");
        var managerOwn = await app.Service().GetAsync("/api/users/me/permissions");
        await artist.GetAsync("/api/users/admin/permissions", expect: 403);

        Assert.Equal("user", all["userLevel"]!.GetValue<string>());
        Assert.Equal([project], all["projects"]!.AsObject().Select(p => p.Key));
        Assert.True(one["read"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("assets", one["read"]!["access_list"]![0]!["path"]!.GetValue<string>().Trim('/'));
        Assert.False(one["update"]!["enabled"]!.GetValue<bool>());
        Assert.Equal(1, one["project"]!["anatomy"]!.GetValue<int>());
        Assert.Equal(one.ToJsonString(), manager.ToJsonString());
        Assert.Equal("admin", managerOwn["userLevel"]!.GetValue<string>());
    }
}
