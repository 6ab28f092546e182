using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Links;

public sealed class entity_links(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_link_between_two_versions_is_created_and_deleted()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var input = await build.VersionAsync();
        var output = await build.VersionAsync();

        var created = await api.PostAsync($"/api/projects/{build.Project}/links", new { input, output, linkType = "reference|version|version", data = new { note = "plate" } });
        var linkId = created["id"]!.GetValue<string>();
        var stored = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{build.Project.ToLowerInvariant()}.links WHERE id = '{linkId}'::uuid");
        await api.DeleteAsync($"/api/projects/{build.Project}/links/{linkId}");
        var after = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{build.Project.ToLowerInvariant()}.links WHERE id = '{linkId}'::uuid");

        Assert.Matches("^[0-9a-f]{32}$", linkId);
        Assert.Equal(1, stored);
        Assert.Equal(0, after);
        await api.DeleteAsync($"/api/projects/{build.Project}/links/{linkId}", expect: 404);
    }

    [Fact]
    public async Task the_ends_must_exist_in_the_tables_the_type_names()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync();
        var version = await build.VersionAsync();

        var wrongTable = await api.PostAsync($"/api/projects/{build.Project}/links", new { input = folder, output = version, linkType = "reference|version|version" }, expect: 404);
        var unknownType = await api.PostAsync($"/api/projects/{build.Project}/links", new { input = version, output = version, linkType = "nonsense|version|version" }, expect: 400);
        var badType = await api.PostAsync($"/api/projects/{build.Project}/links", new { input = version, output = version, linkType = "reference" }, expect: 400);

        Assert.StartsWith("input:", wrongTable["detail"]!.GetValue<string>());
        Assert.StartsWith("linkType:", unknownType["detail"]!.GetValue<string>());
        Assert.StartsWith("linkType:", badType["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_bulk_create_is_all_or_nothing()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var a = await build.FolderAsync();
        var b = await build.FolderAsync();
        var table = $"project_{build.Project.ToLowerInvariant()}.links";

        var error = await api.PostAsync($"/api/projects/{build.Project}/links/bulk", new
        {
            links = new object[]
            {
                new { input = a, output = b, linkType = "breakdown|folder|folder" },
                new { input = a, output = EntityBuilder.NewId(), linkType = "breakdown|folder|folder" },
            },
        }, expect: 404);
        var none = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM {table}");
        var created = await api.PostAsync($"/api/projects/{build.Project}/links/bulk", new
        {
            links = new object[]
            {
                new { input = a, output = b, linkType = "breakdown|folder|folder" },
                new { input = b, output = a, linkType = "template|folder|folder" },
            },
        });

        Assert.StartsWith("links.1.output:", error["detail"]!.GetValue<string>());
        Assert.Equal(0, none);
        Assert.Equal(2, created["created"]!.AsArray().Count);
        Assert.Equal(2, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task deleting_an_entity_removes_its_links()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var a = await build.FolderAsync();
        var b = await build.FolderAsync();
        await api.PostAsync($"/api/projects/{build.Project}/links", new { input = a, output = b, linkType = "breakdown|folder|folder" });

        await api.DeleteAsync($"/api/projects/{build.Project}/folders/{b}");

        Assert.Equal(0, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{build.Project.ToLowerInvariant()}.links"));
    }

    [Fact]
    public async Task link_types_are_listed_saved_with_the_clients_body_and_deleted()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        await api.PutAsync($"/api/projects/{project}/links/types/uses|folder|version", new { color = "#ff0000", style = "dashed" }, expect: 204);
        var types = await api.GetAsync($"/api/projects/{project}/links/types");
        var saved = types["types"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "uses|folder|version")!;
        await api.DeleteAsync($"/api/projects/{project}/links/types/uses|folder|version");
        var after = await api.GetAsync($"/api/projects/{project}/links/types");

        Assert.Equal("uses", saved["linkType"]!.GetValue<string>());
        Assert.Equal("folder", saved["inputType"]!.GetValue<string>());
        Assert.Equal("#ff0000", saved["data"]!["color"]!.GetValue<string>());
        Assert.DoesNotContain(after["types"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "uses|folder|version");
        Assert.Contains(after["types"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "reference|version|version");
    }

    [Fact]
    public async Task only_managers_change_link_types()
    {
        var artist = await app.ArtistAsync();
        var project = await TestProjects.CreateAsync(app);

        await artist.PutAsync($"/api/projects/{project}/links/types/uses|folder|folder", new { data = new { } }, expect: 403);
    }

    [Fact]
    public async Task a_bulk_request_names_the_bad_field_of_the_bad_link()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var a = await build.FolderAsync();

        var error = await api.PostAsync($"/api/projects/{build.Project}/links/bulk", new
        {
            links = new object[] { new { input = a, output = a, linkType = "breakdown|folder|folder" }, new { input = a, linkType = "breakdown|folder|folder" } },
        }, expect: 400);

        Assert.StartsWith("links.1.output:", error["detail"]!.GetValue<string>());
    }
}
