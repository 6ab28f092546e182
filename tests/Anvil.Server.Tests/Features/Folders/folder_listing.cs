using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Folders;

/// <summary>The flat folder list, the nested hierarchy, the search and the project stats.</summary>
public sealed class folder_listing(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<(Api Api, EntityBuilder Build, string Seq, string Shot)> SeedAsync()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var seq = await build.FolderAsync(name: "sq010", folderType: "Sequence");
        var shot = await build.FolderAsync(seq, "sh010", "Shot");
        await build.TaskAsync(shot, "comp");
        await build.TaskAsync(shot, "anim");
        return (api, build, seq, shot);
    }

    [Fact]
    public async Task the_flat_list_has_every_folder_with_paths_and_task_names()
    {
        var (api, build, seq, shot) = await SeedAsync();

        var list = await api.GetAsync($"/api/projects/{build.Project}/folders");

        var folders = list["folders"]!.AsArray();
        Assert.Equal(2, folders.Count);
        var shotRow = folders.Single(f => f!["id"]!.GetValue<string>() == shot)!;
        Assert.Equal("sq010/sh010", shotRow["path"]!.GetValue<string>());
        Assert.Equal(seq, shotRow["parentId"]!.GetValue<string>());
        Assert.Equal(["sq010"], shotRow["parents"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(["anim", "comp"], shotRow["taskNames"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.True(shotRow["hasTasks"]!.GetValue<bool>());
        Assert.Null(shotRow["attrib"]);
    }

    [Fact]
    public async Task the_flat_list_carries_attributes_on_request()
    {
        var (api, build, _, shot) = await SeedAsync();

        var list = await api.GetAsync($"/api/projects/{build.Project}/folders?attrib=true");

        var shotRow = list["folders"]!.AsArray().Single(f => f!["id"]!.GetValue<string>() == shot)!;
        Assert.Equal(1001, shotRow["attrib"]!["frameStart"]!.GetValue<int>());
    }

    [Fact]
    public async Task the_hierarchy_nests_children_and_filters_by_type()
    {
        var (api, build, seq, shot) = await SeedAsync();

        var tree = await api.GetAsync($"/api/projects/{build.Project}/hierarchy");
        var shots = await api.GetAsync($"/api/projects/{build.Project}/hierarchy?types=Shot");

        var root = tree["hierarchy"]!.AsArray().Single()!;
        Assert.Equal(seq, root["id"]!.GetValue<string>());
        Assert.Equal(shot, root["children"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(shot, shots["hierarchy"]!.AsArray().Single()!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_search_matches_words_in_names_and_paths()
    {
        var (api, build, seq, shot) = await SeedAsync();

        var both = await api.PostAsync($"/api/projects/{build.Project}/folders/search", new { search = "sq010" });
        var one = await api.PostAsync($"/api/projects/{build.Project}/folders/search", new { search = "sq010 sh0" });
        var none = await api.PostAsync($"/api/projects/{build.Project}/folders/search", new { search = "nothing_like_it" });

        Assert.Equal([seq, shot], both["folderIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal([shot], one["folderIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Empty(none["folderIds"]!.AsArray());
    }

    [Fact]
    public async Task stats_count_the_entities_of_each_type()
    {
        var (api, build, _, _) = await SeedAsync();

        var stats = await api.GetAsync($"/api/projects/{build.Project}/stats");

        Assert.Equal(2, stats["counts"]!["folders"]!.GetValue<long>());
        Assert.Equal(2, stats["counts"]!["tasks"]!.GetValue<long>());
        Assert.Equal(0, stats["counts"]!["versions"]!.GetValue<long>());
    }
}
