using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary>
/// The launcher's bundle pick replayed (pipeline-clients §1.4): production, staging, the dev bundle
/// whose activeUser is me, and a project bundle from the project's data — with at most one production
/// and one staging bundle, and a user active in at most one dev bundle.
/// </summary>
[Collection(BundlesCollection.Name)]
public sealed class launcher_bundle_pick(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task the_launcher_finds_the_production_and_the_staging_bundle()
    {
        var api = app.Service();
        var production = Unique.Name("prod");
        var staging = Unique.Name("stag");
        var body = CreateBody(production, []);
        body["isProduction"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);
        await api.PostAsync("/api/bundles", CreateBody(staging, []), expect: 201);
        await api.PatchAsync($"/api/bundles/{staging}", new { isStaging = true }, expect: 204);

        var list = await ListAsync(await app.ArtistAsync());

        Assert.Equal(production, StudioBundle(list, "anyone")!["name"]!.GetValue<string>());
        Assert.Equal(staging, StudioBundle(list, "anyone", staging: true)!["name"]!.GetValue<string>());
        Assert.Equal(production, list["productionBundle"]!.GetValue<string>());
        Assert.Equal(staging, list["stagingBundle"]!.GetValue<string>());
    }

    [Fact]
    public async Task setting_production_or_staging_takes_the_flag_off_the_previous_holder()
    {
        var api = app.Service();
        var first = Unique.Name("first");
        var second = Unique.Name("second");
        var body = CreateBody(first, []);
        body["isProduction"] = true;
        body["isStaging"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);

        body = CreateBody(second, []);
        body["isProduction"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);
        await api.PatchAsync($"/api/bundles/{second}", new { isStaging = true }, expect: 204);

        var list = await ListAsync(api);
        var bundles = list["bundles"]!.AsArray();
        Assert.Single(bundles, b => b!["isProduction"]!.GetValue<bool>());
        Assert.Single(bundles, b => b!["isStaging"]!.GetValue<bool>());
        Assert.Equal(second, list["productionBundle"]!.GetValue<string>());
        Assert.False((await BundleAsync(api, first))["isProduction"]!.GetValue<bool>());
        Assert.False((await BundleAsync(api, first))["isStaging"]!.GetValue<bool>());
    }

    [Fact]
    public async Task a_dev_bundle_is_picked_by_its_active_user_with_its_development_paths()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core");
        var (me, mine) = await TestUsers.CreateAsync(app);
        var name = Unique.Name("dev");
        var body = CreateBody(name, new JsonObject { [addon] = "1.0.0" });
        body["isDev"] = true;
        body["activeUser"] = me;
        body["addonDevelopment"] = new JsonObject { [addon] = new JsonObject { ["enabled"] = true, ["path"] = "$HOME/dev/core/client" } };
        await api.PostAsync("/api/bundles", body, expect: 201);

        var list = await ListAsync(mine);
        var myName = (await mine.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        var dev = StudioBundle(list, myName, dev: true)!;

        Assert.Equal(name, dev["name"]!.GetValue<string>());
        Assert.Contains(name, list["devBundles"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.True(dev["addonDevelopment"]![addon]!["enabled"]!.GetValue<bool>());
        Assert.Equal("$HOME/dev/core/client", dev["addonDevelopment"]![addon]!["path"]!.GetValue<string>());
        Assert.Null(StudioBundle(list, "someone_else", dev: true));
    }

    [Fact]
    public async Task a_user_is_active_in_at_most_one_dev_bundle()
    {
        var api = app.Service();
        var (me, _) = await TestUsers.CreateAsync(app);
        var first = Unique.Name("dev");
        var second = Unique.Name("dev");
        foreach (var name in new[] { first, second })
        {
            var body = CreateBody(name, []);
            body["isDev"] = true;
            await api.PostAsync("/api/bundles", body, expect: 201);
        }

        await api.PatchAsync($"/api/bundles/{first}", new { activeUser = me }, expect: 204);
        await api.PatchAsync($"/api/bundles/{second}", new { activeUser = me }, expect: 204);

        Assert.Null((await BundleAsync(api, first))["activeUser"]);
        Assert.Equal(me, (await BundleAsync(api, second))["activeUser"]!.GetValue<string>());
        // The official client's update_bundle(dev_active_user=None) sends activeUser: null.
        await api.PatchAsync($"/api/bundles/{second}", new JsonObject { ["activeUser"] = null }, expect: 204);
        Assert.Null((await BundleAsync(api, second))["activeUser"]);
    }

    [Fact]
    public async Task a_dev_bundle_follows_its_active_user_when_renamed_or_deleted()
    {
        var api = app.Service();
        var (me, _) = await TestUsers.CreateAsync(app);
        var name = Unique.Name("dev");
        var body = CreateBody(name, []);
        body["isDev"] = true;
        body["activeUser"] = me;
        await api.PostAsync("/api/bundles", body, expect: 201);
        Assert.Equal(me, (await BundleAsync(api, name))["activeUser"]!.GetValue<string>());

        var renamed = TestUsers.Unique("renamed");
        await api.PatchAsync($"/api/users/{me}/rename", new { newName = renamed }, expect: 204);
        Assert.Equal(renamed, (await BundleAsync(api, name))["activeUser"]!.GetValue<string>());

        await api.DeleteAsync($"/api/users/{renamed}");
        Assert.Null((await BundleAsync(api, name))["activeUser"]);
    }

    [Fact]
    public async Task a_project_bundle_is_never_the_studio_bundle_but_is_found_through_the_projects_data()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "pinned", "1.1.0", "project_can_override_addon_version = True");
        var project = await TestProjects.CreateAsync(app);
        var name = Unique.Name("projbundle");
        var body = CreateBody(name, new JsonObject { [addon] = "1.1.0" });
        body["isProject"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);

        await api.PostAsync($"/api/projects/{project}/bundle", new { production = name, staging = (string?)null }, expect: 204);

        var list = await ListAsync(api);
        Assert.NotEqual(name, StudioBundle(list, "anyone")?["name"]?.GetValue<string>());
        var data = (await api.GetAsync($"/api/projects/{project}"))["data"]!;
        var picked = data["bundle"]!["production"]!.GetValue<string>();
        var projectBundle = list["bundles"]!.AsArray().Single(b => b!["name"]!.GetValue<string>() == picked)!;
        Assert.True(projectBundle["isProject"]!.GetValue<bool>());
        Assert.Equal("1.1.0", projectBundle["addons"]![addon]!.GetValue<string>());
        Assert.Null(data["bundle"]!["staging"]);
    }
}
