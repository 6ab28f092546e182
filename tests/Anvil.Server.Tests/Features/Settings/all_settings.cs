using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Features.Sites;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary><c>GET /api/settings</c> as ayon-core and the launcher read it.</summary>
public sealed class all_settings(AddonsApp app) : IClassFixture<AddonsApp>
{
    static JsonNode Item(JsonNode answer, string addon) => answer["addons"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == addon)!;

    [Fact]
    public async Task ayon_cores_studio_read_gives_every_addon_of_the_bundle_with_its_full_settings()
    {
        var addon = await ExampleAsync(app);
        var bundle = await BundleRowAsync(app, new JsonObject { [addon] = AddonVersion, ["absent"] = null, ["not_installed"] = "9.9.9" });
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings"), new { render_target = "local" }, expect: 204);

        var answer = await api.GetAsync($"/api/settings?bundle_name={bundle}&variant=production");

        Assert.Equal(bundle, answer["bundleName"]!.GetValue<string>());
        Assert.Null(answer["projectName"]);
        Assert.Equal(2, answer["addons"]!.AsArray().Count);
        var item = Item(answer, addon);
        Assert.Equal(AddonVersion, item["version"]!.GetValue<string>());
        Assert.Equal("local", item["settings"]!["render_target"]!.GetValue<string>());
        Assert.Equal("{}", item["settings"]!["environment"]!.GetValue<string>());
        Assert.Equal("file", item["settings"]!["output"]!["output_type"]!.GetValue<string>());
        Assert.True(item["hasSettings"]!.GetValue<bool>());
        Assert.True(item["hasSiteSettings"]!.GetValue<bool>());
        Assert.True(item["hasProjectSettings"]!.GetValue<bool>());
        Assert.True(item["hasStudioOverrides"]!.GetValue<bool>());
        Assert.False(item["hasProjectOverrides"]!.GetValue<bool>());
        Assert.False(item["isBroken"]!.GetValue<bool>());
        Assert.False(item["isProjectBundle"]!.GetValue<bool>());
        Assert.Null(item["siteSettings"]);
        Assert.True(Item(answer, "not_installed")["isBroken"]!.GetValue<bool>());
    }

    [Fact]
    public async Task a_project_read_with_a_site_id_gives_project_site_settings_and_site_settings()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var bundle = await BundleAsync(app, new JsonObject { [addon] = AddonVersion });
        var admin = await app.LoginAsync();
        await admin.PostAsync(Path(addon, "settings", project), new { render_target = "local" }, expect: 204);
        await SiteHeaders.RegisterAsync(await app.LoginAsync(), "ws1", "linux");
        await admin.PostAsync(Path(addon, "settings", project, "?site=ws1"), new { enabled = false }, expect: 204);
        await admin.PutAsync(Path(addon, "siteSettings", query: "?site=ws1"), new { cache_dir = "/c" }, expect: 204);

        var plain = Item(await admin.GetAsync($"/api/settings?bundle_name={bundle}&project_name={project}"), addon);
        var onSite = Item(await admin.GetAsync($"/api/settings?bundle_name={bundle}&project_name={project}&site_id=ws1"), addon);

        Assert.Equal("local", plain["settings"]!["render_target"]!.GetValue<string>());
        Assert.True(plain["settings"]!["enabled"]!.GetValue<bool>());
        Assert.True(plain["hasProjectOverrides"]!.GetValue<bool>());
        Assert.False(onSite["settings"]!["enabled"]!.GetValue<bool>());
        Assert.True(onSite["hasProjectSiteOverrides"]!.GetValue<bool>());
        Assert.Equal("/c", onSite["siteSettings"]!["cache_dir"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_summary_lists_versions_without_settings()
    {
        var addon = await ExampleAsync(app);
        var bundle = await BundleAsync(app, new JsonObject { [addon] = AddonVersion });

        var item = Item(await app.Service().GetAsync($"/api/settings?bundle_name={bundle}&summary=true"), addon);

        Assert.Equal(AddonVersion, item["version"]!.GetValue<string>());
        Assert.Empty(item["settings"]!.AsObject());
    }

    [Fact]
    public async Task without_a_bundle_name_the_variant_names_the_dev_bundle_and_its_own_overrides_apply()
    {
        var addon = await ExampleAsync(app);
        var dev = await BundleAsync(app, new JsonObject { [addon] = AddonVersion }, dev: true);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings", query: $"?variant={dev}"), new { render_target = "local" }, expect: 204);

        var answer = await api.GetAsync($"/api/settings?variant={dev}");

        Assert.Equal(dev, answer["bundleName"]!.GetValue<string>());
        Assert.Equal("local", Item(answer, addon)["settings"]!["render_target"]!.GetValue<string>());
        await api.GetAsync("/api/settings?variant=no_such_dev_bundle", expect: 404);
        await api.GetAsync("/api/settings?bundle_name=no_such_bundle", expect: 404);
    }

    [Fact]
    public async Task a_project_bundle_replaces_only_addons_that_allow_per_project_versions()
    {
        var pinnable = Unique.Name("pin");
        await AddonPackages.InstallAsync(app.Service(), AddonPackages.Simple(pinnable, "1.0.0"));
        await AddonPackages.InstallAsync(app.Service(), AddonPackages.Simple(pinnable, "2.0.0"));
        await Sql.ExecuteAsync(app, "UPDATE addon_versions SET metadata = metadata || '{\"project_can_override_addon_version\": true}' WHERE name = @pinnable", new { pinnable });
        var addon = await ExampleAsync(app);
        await ExampleAsync(app); // the cache drop of an install covers the metadata change above
        var studio = await BundleAsync(app, new JsonObject { [addon] = AddonVersion, [pinnable] = "1.0.0" });
        var projectBundle = await BundleRowAsync(app, new JsonObject { [addon] = "7.0.0", [pinnable] = "2.0.0" }, project: true);

        var answer = await app.Service().GetAsync($"/api/settings?bundle_name={studio}&project_bundle_name={projectBundle}&summary=true");

        Assert.Equal("2.0.0", Item(answer, pinnable)["version"]!.GetValue<string>());
        Assert.True(Item(answer, pinnable)["isProjectBundle"]!.GetValue<bool>());
        Assert.Equal(AddonVersion, Item(answer, addon)["version"]!.GetValue<string>());
        Assert.Contains(addon, answer["inheritedAddons"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task a_write_shows_at_once_in_a_read_served_from_cache()
    {
        var addon = await ExampleAsync(app);
        var bundle = await BundleAsync(app, new JsonObject { [addon] = AddonVersion });
        var api = app.Service();
        Assert.Equal("farm", Item(await api.GetAsync($"/api/settings?bundle_name={bundle}"), addon)["settings"]!["render_target"]!.GetValue<string>());

        await api.PostAsync(Path(addon, "settings"), new { render_target = "local" }, expect: 204);

        Assert.Equal("local", Item(await api.GetAsync($"/api/settings?bundle_name={bundle}"), addon)["settings"]!["render_target"]!.GetValue<string>());
    }
}
