using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.UserApi;

public sealed class access_groups(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_studio_has_ayons_default_groups()
    {
        var api = await app.ArtistAsync();
        var groups = (await api.GetAsync("/api/accessGroups/_")).AsArray();
        foreach (var name in new[] { "artist", "freelancer", "supervisor" })
            Assert.Contains(groups, g => g!["name"]!.GetValue<string>() == name && !g["isProjectLevel"]!.GetValue<bool>());
        var freelancer = await api.GetAsync("/api/accessGroups/freelancer/_");
        Assert.Equal("assigned", freelancer["read"]!["access_list"]![0]!["access_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_project_override_is_listed_as_project_level_and_read_instead_of_the_studio_group()
    {
        var admin = await app.LoginAsync();
        var project = await TestProjects.CreateAsync(app);
        var group = Unique.Name("grp");
        await admin.PutAsync($"/api/accessGroups/{group}/_", new { create = new { enabled = true } }, expect: 204);
        await admin.PutAsync($"/api/accessGroups/{group}/{project}",
            new { read = new { enabled = true, access_list = new object[] { new { access_type = "hierarchy", path = "/assets" } } } }, expect: 204);

        var listed = (await admin.GetAsync($"/api/accessGroups/{project}")).AsArray();
        Assert.True(listed.Single(g => g!["name"]!.GetValue<string>() == group)!["isProjectLevel"]!.GetValue<bool>());
        Assert.False(listed.Single(g => g!["name"]!.GetValue<string>() == "artist")!["isProjectLevel"]!.GetValue<bool>());
        Assert.Equal("/assets", (await admin.GetAsync($"/api/accessGroups/{group}/{project}"))["read"]!["access_list"]![0]!["path"]!.GetValue<string>());
        Assert.True((await admin.GetAsync($"/api/accessGroups/{group}/_"))["create"]!["enabled"]!.GetValue<bool>());

        await admin.DeleteAsync($"/api/accessGroups/{group}/{project}");
        Assert.True((await admin.GetAsync($"/api/accessGroups/{group}/{project}"))["create"]!["enabled"]!.GetValue<bool>());
        await admin.DeleteAsync($"/api/accessGroups/{group}/_");
        await admin.GetAsync($"/api/accessGroups/{group}/_", expect: 404);
        await admin.GetAsync($"/api/accessGroups/{Unique.Name("nope")}", expect: 404);
    }

    [Fact]
    public async Task deleting_a_studio_group_removes_it_from_users()
    {
        var admin = await app.LoginAsync();
        var group = Unique.Name("grp");
        await admin.PutAsync($"/api/accessGroups/{group}/_", new { }, expect: 204);
        var project = await TestProjects.CreateAsync(app);
        var user = Unique.Name("u");
        await admin.PutAsync($"/api/users/{user}", new { data = new { defaultAccessGroups = new[] { group, "artist" }, accessGroups = new Dictionary<string, string[]> { [project] = [group] } } }, expect: 204);
        Assert.Equal([group], (await admin.GetAsync($"/api/users/{user}"))["data"]!["accessGroups"]![project]!.AsArray().Select(g => g!.GetValue<string>()));

        await admin.DeleteAsync($"/api/accessGroups/{group}/_");

        var data = (await admin.GetAsync($"/api/users/{user}"))["data"]!;
        Assert.Equal(["artist"], data["defaultAccessGroups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Empty(data["accessGroups"]![project]!.AsArray());
    }

    [Fact]
    public async Task writes_need_a_manager_and_a_valid_shape()
    {
        var admin = await app.LoginAsync();
        var artist = await app.ArtistAsync();
        var group = Unique.Name("grp");
        await artist.PutAsync($"/api/accessGroups/{group}/_", new { }, expect: 403);
        await artist.DeleteAsync("/api/accessGroups/artist/_", expect: 403);
        await admin.PutAsync($"/api/accessGroups/{group}/_", new { bogus = new { } }, expect: 400);
        await admin.PutAsync($"/api/accessGroups/{group}/_", new { read = new { enabled = "yes" } }, expect: 400);
        var error = await admin.PutAsync($"/api/accessGroups/{group}/_",
            new { read = new { enabled = true, access_list = new object[] { new { access_type = "everything" } } } }, expect: 400);
        Assert.StartsWith("read.access_list.0.access_type", error["detail"]!.GetValue<string>());
        await admin.GetAsync($"/api/accessGroups/{group}/_", expect: 404);
    }

    [Fact]
    public async Task the_permission_schema_lists_ayons_blocks()
    {
        var schema = await (await app.ArtistAsync()).GetAsync("/api/accessGroups/_schema");
        foreach (var block in new[] { "studio", "project", "read", "publish", "attrib_write", "links", "advanced" })
            Assert.NotNull(schema["properties"]![block]);
    }

    [Fact]
    public async Task managers_set_a_users_groups_per_project()
    {
        var admin = await app.LoginAsync();
        var a = await TestProjects.CreateAsync(app);
        var b = await TestProjects.CreateAsync(app);
        var user = Unique.Name("u");
        await admin.PutAsync($"/api/users/{user}", new { data = new { accessGroups = new Dictionary<string, string[]> { [a] = ["artist"], [b] = ["artist"] } } }, expect: 204);

        await admin.PatchAsync($"/api/users/{user}/accessGroups", new
        {
            accessGroups = new object[]
        {
            new { project = a, accessGroups = new[] { "freelancer", "supervisor" } },
            new { project = b, accessGroups = Array.Empty<string>() },
        }
        }, expect: 204);
        await (await app.ArtistAsync()).PatchAsync($"/api/users/{user}/accessGroups", new { accessGroups = Array.Empty<object>() }, expect: 403);

        var groups = (await admin.GetAsync($"/api/users/{user}"))["data"]!["accessGroups"]!.AsObject();
        Assert.Equal([a], groups.Select(p => p.Key));
        Assert.Equal(["freelancer", "supervisor"], groups[a]!.AsArray().Select(g => g!.GetValue<string>()));
    }

    [Fact]
    public async Task unknown_groups_and_projects_are_dropped_from_a_users_lists()
    {
        var admin = await app.LoginAsync();
        var project = await TestProjects.CreateAsync(app);
        var local = Unique.Name("grp");
        await admin.PutAsync($"/api/accessGroups/{local}/{project}", new { }, expect: 204);
        var user = Unique.Name("u");

        await admin.PutAsync($"/api/users/{user}", new
        {
            data = new
            {
                defaultAccessGroups = new[] { "artist", "nonexistent", local },
                accessGroups = new Dictionary<string, string[]> { [project] = ["artist", "nonexistent", local], ["noSuchProject"] = ["artist"] },
            },
        }, expect: 204);

        var data = (await admin.GetAsync($"/api/users/{user}"))["data"]!;
        Assert.Equal(["artist"], data["defaultAccessGroups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal([project], data["accessGroups"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["artist", local], data["accessGroups"]![project]!.AsArray().Select(g => g!.GetValue<string>()));
    }
}
