using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Folders;

/// <summary>ownAttrib is what was set; attrib is the effective value from project → ancestors → folder → task.</summary>
public sealed class attribute_inheritance(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task folders_and_tasks_inherit_from_the_project_and_their_ancestors()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync(attrib: new { frameStart = 1101 });
        var shot = await build.FolderAsync(seq);
        var task = await build.TaskAsync(shot);

        var folder = await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}");
        var taskEntity = await api.GetAsync($"/api/projects/{build.Project}/tasks/{task}");

        Assert.Equal(1101, folder["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.Equal(1100, folder["attrib"]!["frameEnd"]!.GetValue<int>());
        Assert.Equal(1920, folder["attrib"]!["resolutionWidth"]!.GetValue<int>());
        Assert.Empty(folder["ownAttrib"]!.AsArray());
        Assert.Equal(1101, taskEntity["attrib"]!["frameStart"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_change_on_an_ancestor_reaches_every_descendant()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync();
        var shot = await build.FolderAsync(seq);
        var task = await build.TaskAsync(shot);

        await api.PatchAsync($"/api/projects/{build.Project}/folders/{seq}", new { attrib = new { fps = 24.0 } }, expect: 204);

        Assert.Equal(24.0, (await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}"))["attrib"]!["fps"]!.GetValue<double>());
        Assert.Equal(24.0, (await api.GetAsync($"/api/projects/{build.Project}/tasks/{task}"))["attrib"]!["fps"]!.GetValue<double>());
    }

    [Fact]
    public async Task own_values_win_and_null_reverts_to_the_inherited_value()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync(attrib: new { frameStart = 1200 });
        var shot = await build.FolderAsync(seq, attrib: new { frameStart = 1300 });

        var own = await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}");
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{shot}", new { attrib = new Dictionary<string, object?> { ["frameStart"] = null } }, expect: 204);
        var reverted = await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}");

        Assert.Equal(1300, own["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.Equal(["frameStart"], own["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(1200, reverted["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.Empty(reverted["ownAttrib"]!.AsArray());
    }

    [Fact]
    public async Task moving_a_folder_makes_it_inherit_from_its_new_parent()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var slow = await build.FolderAsync(attrib: new { fps = 24.0 });
        var fast = await build.FolderAsync(attrib: new { fps = 60.0 });
        var shot = await build.FolderAsync(slow);
        var task = await build.TaskAsync(shot);

        await api.PatchAsync($"/api/projects/{build.Project}/folders/{shot}", new { parentId = fast }, expect: 204);

        Assert.Equal(60.0, (await api.GetAsync($"/api/projects/{build.Project}/tasks/{task}"))["attrib"]!["fps"]!.GetValue<double>());
    }

    [Fact]
    public async Task non_inheritable_attributes_stay_on_their_folder()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync(attrib: new { description = "the sequence" });
        var shot = await build.FolderAsync(seq);

        var parent = await api.GetAsync($"/api/projects/{build.Project}/folders/{seq}");
        var child = await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}");

        Assert.Equal("the sequence", parent["attrib"]!["description"]!.GetValue<string>());
        Assert.Null(child["attrib"]!["description"]);
    }

    [Fact]
    public async Task a_change_of_the_project_attributes_reaches_every_folder_and_task()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync();
        var shot = await build.FolderAsync(seq);
        var task = await build.TaskAsync(shot);

        await api.PatchAsync($"/api/projects/{build.Project}", new { attrib = new { resolutionWidth = 4096 } }, expect: 204);

        Assert.Equal(4096, (await api.GetAsync($"/api/projects/{build.Project}/folders/{seq}"))["attrib"]!["resolutionWidth"]!.GetValue<int>());
        Assert.Equal(4096, (await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}"))["attrib"]!["resolutionWidth"]!.GetValue<int>());
        Assert.Equal(4096, (await api.GetAsync($"/api/projects/{build.Project}/tasks/{task}"))["attrib"]!["resolutionWidth"]!.GetValue<int>());
    }
}
