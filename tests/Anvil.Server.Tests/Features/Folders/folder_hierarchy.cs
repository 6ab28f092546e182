using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Folders;

/// <summary>Paths, moves, cycles, names and delete rules of the folder tree.</summary>
public sealed class folder_hierarchy(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<(Api Api, EntityBuilder Build)> ArrangeAsync()
    {
        var api = app.Service();
        return (api, new EntityBuilder(api, await TestProjects.CreateAsync(app)));
    }

    async Task<string> PathAsync(Api api, string project, string plural, string id) =>
        (await api.GetAsync($"/api/projects/{project}/{plural}/{id}"))["path"]!.GetValue<string>();

    [Fact]
    public async Task moving_a_folder_moves_the_paths_of_its_whole_subtree()
    {
        var (api, build) = await ArrangeAsync();
        var seq = await build.FolderAsync(name: "seq01", folderType: "Sequence");
        var other = await build.FolderAsync(name: "seq02", folderType: "Sequence");
        var shot = await build.FolderAsync(seq, "sh010", "Shot");
        var task = await build.TaskAsync(shot, "anim");
        var product = await build.ProductAsync(shot, "modelMain");

        await api.PatchAsync($"/api/projects/{build.Project}/folders/{shot}", new { parentId = other }, expect: 204);

        Assert.Equal("/seq02/sh010", await PathAsync(api, build.Project, "folders", shot));
        Assert.Equal("/seq02/sh010/anim", await PathAsync(api, build.Project, "tasks", task));
        Assert.Equal("/seq02/sh010/modelMain", await PathAsync(api, build.Project, "products", product));
        var folder = await api.GetAsync($"/api/projects/{build.Project}/folders/{shot}");
        Assert.Equal(["seq02"], folder["parents"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task renaming_a_folder_renames_the_paths_below_it()
    {
        var (api, build) = await ArrangeAsync();
        var top = await build.FolderAsync(name: "old_name");
        var middle = await build.FolderAsync(top, "middle");
        var leaf = await build.FolderAsync(middle, "leaf");

        await api.PatchAsync($"/api/projects/{build.Project}/folders/{top}", new { name = "new_name" }, expect: 204);

        Assert.Equal("/new_name/middle/leaf", await PathAsync(api, build.Project, "folders", leaf));
    }

    [Fact]
    public async Task a_folder_cannot_become_its_own_parent_or_descendant()
    {
        var (api, build) = await ArrangeAsync();
        var top = await build.FolderAsync();
        var child = await build.FolderAsync(top);

        var self = await api.PatchAsync($"/api/projects/{build.Project}/folders/{top}", new { parentId = top }, expect: 400);
        var cycle = await api.PatchAsync($"/api/projects/{build.Project}/folders/{top}", new { parentId = child }, expect: 400);

        Assert.StartsWith("parentId:", self["detail"]!.GetValue<string>());
        Assert.StartsWith("parentId:", cycle["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task sibling_names_are_unique_ignoring_case_among_active_folders()
    {
        var (api, build) = await ArrangeAsync();
        var parent = await build.FolderAsync();
        var first = await build.FolderAsync(parent, "Shot010");

        var error = await api.PostAsync($"/api/projects/{build.Project}/folders", new { name = "shot010", parentId = parent }, expect: 409);
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{first}", new { active = false }, expect: 204);
        await build.FolderAsync(parent, "shot010");
        await build.FolderAsync(name: "Shot010");

        Assert.Contains("already exists", error["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("!invalid")]
    [InlineData("in/valid")]
    [InlineData("in~valid")]
    [InlineData("trailing.")]
    public async Task bad_names_are_refused_naming_the_field(string name)
    {
        var (api, build) = await ArrangeAsync();

        var error = await api.PostAsync($"/api/projects/{build.Project}/folders", new { name }, expect: 400);

        Assert.StartsWith("name:", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task folder_type_defaults_to_the_first_of_the_anatomy_and_must_exist()
    {
        var (api, build) = await ArrangeAsync();
        var id = await build.CreateAsync("folders", new { name = "untyped" });

        var folder = await api.GetAsync($"/api/projects/{build.Project}/folders/{id}");
        var error = await api.PostAsync($"/api/projects/{build.Project}/folders", new { name = "typo", folderType = "Shoot" }, expect: 400);

        Assert.Equal("Folder", folder["folderType"]!.GetValue<string>());
        Assert.StartsWith("folderType:", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task deleting_a_folder_removes_its_subfolders_tasks_and_workfiles()
    {
        var (api, build) = await ArrangeAsync();
        var top = await build.FolderAsync();
        var child = await build.FolderAsync(top);
        var task = await build.TaskAsync(child);
        var workfile = await build.WorkfileAsync(task);

        await api.DeleteAsync($"/api/projects/{build.Project}/folders/{top}");

        await api.GetAsync($"/api/projects/{build.Project}/folders/{child}", expect: 404);
        await api.GetAsync($"/api/projects/{build.Project}/tasks/{task}", expect: 404);
        await api.GetAsync($"/api/projects/{build.Project}/workfiles/{workfile}", expect: 404);
    }

    [Fact]
    public async Task a_folder_holding_products_is_only_deleted_with_force()
    {
        var (api, build) = await ArrangeAsync();
        var top = await build.FolderAsync();
        var child = await build.FolderAsync(top);
        var product = await build.ProductAsync(child);
        var version = await build.VersionAsync(product);

        var refused = await api.DeleteAsync($"/api/projects/{build.Project}/folders/{top}", expect: 409);
        await api.GetAsync($"/api/projects/{build.Project}/products/{product}");
        await api.DeleteAsync($"/api/projects/{build.Project}/folders/{top}?force=true");

        Assert.Contains("product", refused["detail"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{build.Project}/products/{product}", expect: 404);
        await api.GetAsync($"/api/projects/{build.Project}/versions/{version}", expect: 404);
    }

    [Fact]
    public async Task a_folder_with_published_versions_is_renamed_only_with_force()
    {
        var (api, build) = await ArrangeAsync();
        var top = await build.FolderAsync(name: "published");
        var child = await build.FolderAsync(top);
        await build.VersionAsync(await build.ProductAsync(child));

        await api.PatchAsync($"/api/projects/{build.Project}/folders/{top}", new { name = "renamed" }, expect: 403);
        var result = await api.PostAsync($"/api/projects/{build.Project}/operations", new
        {
            operations = new[] { new { id = "f", type = "update", entityType = "folder", entityId = top, force = true, data = new { name = "renamed" } } },
        });

        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        Assert.True((await api.GetAsync($"/api/projects/{build.Project}/folders/{top}"))["hasVersions"]!.GetValue<bool>());
    }

    [Fact]
    public async Task derived_flags_follow_the_children()
    {
        var (api, build) = await ArrangeAsync();
        var top = await build.FolderAsync();
        var empty = await api.GetAsync($"/api/projects/{build.Project}/folders/{top}");
        var child = await build.FolderAsync(top);
        await build.TaskAsync(top);
        await build.ProductAsync(child);

        var full = await api.GetAsync($"/api/projects/{build.Project}/folders/{top}");

        Assert.False(empty["hasChildren"]!.GetValue<bool>());
        Assert.True(full["hasChildren"]!.GetValue<bool>());
        Assert.True(full["hasTasks"]!.GetValue<bool>());
        Assert.False(full["hasProducts"]!.GetValue<bool>());
        Assert.False(full["hasVersions"]!.GetValue<bool>());
    }
}
