using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary><c>GET|POST /api/projects/{p}/bundle</c>: a project's production and staging bundles, kept in its data.</summary>
[Collection(BundlesCollection.Name)]
public sealed class project_bundles(AddonsApp app) : IClassFixture<AddonsApp>
{
    async Task<(string Addon, string Bundle)> ProjectBundleAsync(Api api, bool overridable = true)
    {
        var addon = await AddonAsync(api, "pinned", "1.0.0", overridable ? "project_can_override_addon_version = True" : "");
        var name = Unique.Name("projbundle");
        var body = CreateBody(name, new JsonObject { [addon] = "1.0.0" });
        body["isProject"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);
        return (addon, name);
    }

    [Fact]
    public async Task a_project_has_no_bundles_until_a_manager_sets_them()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var (_, bundle) = await ProjectBundleAsync(api);

        Assert.Equal("""{"production":null,"staging":null}""", (await api.GetAsync($"/api/projects/{project}/bundle")).ToJsonString());
        await api.PostAsync($"/api/projects/{project}/bundle", new { production = bundle, staging = bundle }, expect: 204);

        Assert.Equal($$"""{"production":"{{bundle}}","staging":"{{bundle}}"}""", (await api.GetAsync($"/api/projects/{project}/bundle")).ToJsonString());
        var data = (await api.GetAsync($"/api/projects/{project}"))["data"]!;
        Assert.Equal(bundle, data["bundle"]!["staging"]!.GetValue<string>());

        await api.PostAsync($"/api/projects/{project}/bundle", new JsonObject { ["staging"] = null }, expect: 204);
        Assert.Equal($$"""{"production":"{{bundle}}","staging":null}""", (await api.GetAsync($"/api/projects/{project}/bundle")).ToJsonString());
    }

    [Fact]
    public async Task the_bundles_must_exist_be_project_bundles_and_only_pin_overridable_addons()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var studio = Unique.Name("studio");
        await api.PostAsync("/api/bundles", CreateBody(studio, []), expect: 201);
        var (_, fixedBundle) = await ProjectBundleAsync(api, overridable: false);

        var missing = await api.PostAsync($"/api/projects/{project}/bundle", new { production = "no_such_bundle" }, expect: 400);
        var notProject = await api.PostAsync($"/api/projects/{project}/bundle", new { staging = studio }, expect: 400);
        var notOverridable = await api.PostAsync($"/api/projects/{project}/bundle", new { production = fixedBundle }, expect: 400);
        await api.PostAsync($"/api/projects/{project}/bundle", new { production = 5 }, expect: 400);

        Assert.StartsWith("production", missing["detail"]!.GetValue<string>());
        Assert.StartsWith("staging", notProject["detail"]!.GetValue<string>());
        Assert.Contains("may not override", notOverridable["detail"]!.GetValue<string>());
        Assert.Equal("""{"production":null,"staging":null}""", (await api.GetAsync($"/api/projects/{project}/bundle")).ToJsonString());
    }

    [Fact]
    public async Task only_managers_set_a_projects_bundles_and_an_unknown_project_is_not_found()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var (_, bundle) = await ProjectBundleAsync(api);
        var artist = await app.ArtistAsync();

        await artist.PostAsync($"/api/projects/{project}/bundle", new { production = bundle }, expect: 403);
        await api.GetAsync("/api/projects/no_such_project/bundle", expect: 404);
        await api.PostAsync("/api/projects/no_such_project/bundle", new { production = bundle }, expect: 404);
    }

    [Fact]
    public async Task a_project_bundle_cannot_also_be_a_studio_bundle()
    {
        var api = app.Service();
        var (_, bundle) = await ProjectBundleAsync(api);

        await api.PatchAsync($"/api/bundles/{bundle}", new { isProduction = true }, expect: 400);
        await api.PatchAsync($"/api/bundles/{bundle}", new { isProject = false }, expect: 400);
    }
}
