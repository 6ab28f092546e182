using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary><c>POST /api/migrateSettingsByBundle</c>: copies between variants, converts between versions with the addon's own converter.</summary>
public sealed class settings_migration(AddonsApp app) : IClassFixture<AddonsApp>
{
    static string Server(string field, bool converter) => $$"""
        from ayon_server.addons import BaseServerAddon
        from ayon_server.settings import BaseSettingsModel, SettingsField


        class Settings(BaseSettingsModel):
            {{field}}: str = SettingsField("default", title="Value")
            other: int = SettingsField(1, title="Other")


        class Addon(BaseServerAddon):
            settings_model = Settings
        {{(converter ? """

            async def convert_settings_overrides(self, source_version, overrides):
                if "old_name" in overrides:
                    overrides["new_name"] = overrides.pop("old_name").upper()
                return overrides
        """ : "")}}
        """;

    static byte[] Package(string name, string version, string field, bool converter) =>
        Zip(("package.py", PackagePy(name, version)), ("server/__init__.py", Server(field, converter)));

    [Fact]
    public async Task a_version_change_converts_studio_and_project_overrides_with_the_addons_converter()
    {
        var name = Unique.Name("conv");
        var api = app.Service();
        await InstallAsync(api, Package(name, "1.0.0", "old_name", false));
        await InstallAsync(api, Package(name, "2.0.0", "new_name", true));
        var project = await TestProjects.CreateAsync(app);
        var source = await BundleAsync(app, new JsonObject { [name] = "1.0.0" });
        var target = await BundleAsync(app, new JsonObject { [name] = "2.0.0" });
        await api.PostAsync($"/api/addons/{name}/1.0.0/settings?variant=staging", new { old_name = "studio", other = 5 }, expect: 204);
        await api.PostAsync($"/api/addons/{name}/1.0.0/settings/{project}?variant=staging", new { old_name = "project" }, expect: 204);

        await api.PostAsync("/api/migrateSettingsByBundle", new
        {
            sourceBundle = source,
            targetBundle = target,
            sourceVariant = "staging",
            targetVariant = "production",
            withProjects = true,
        }, expect: 204);

        var studio = await api.GetAsync($"/api/addons/{name}/2.0.0/settings");
        Assert.Equal("STUDIO", studio["new_name"]!.GetValue<string>());
        Assert.Equal(5, studio["other"]!.GetValue<int>());
        Assert.Equal("PROJECT", (await api.GetAsync($"/api/addons/{name}/2.0.0/settings/{project}"))["new_name"]!.GetValue<string>());
        Assert.Equal("studio", (await api.GetAsync($"/api/addons/{name}/1.0.0/settings?variant=staging"))["old_name"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_migration_without_its_bundles_is_a_400_naming_the_missing_one()
    {
        var api = app.Service();
        var missing = await api.PostAsync("/api/migrateSettingsByBundle", new { sourceVariant = "staging" }, expect: 400);
        Assert.Contains("sourceBundle", missing["detail"]!.GetValue<string>());
        var nullTarget = await api.PostAsync("/api/migrateSettingsByBundle", new { sourceBundle = "any", targetBundle = (string?)null }, expect: 400);
        Assert.Contains("targetBundle", nullTarget["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_same_version_is_copied_between_variants_and_only_admins_migrate()
    {
        var addon = await ExampleAsync(app);
        var bundle = await BundleAsync(app, new JsonObject { [addon] = AddonVersion });
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings", query: "?variant=staging"), new { render_target = "local" }, expect: 204);
        var body = new { sourceBundle = bundle, targetBundle = bundle, sourceVariant = "staging", targetVariant = "production" };

        await (await app.ArtistAsync()).PostAsync("/api/migrateSettingsByBundle", body, expect: 403);
        await api.PostAsync("/api/migrateSettingsByBundle", body, expect: 204);

        Assert.Equal("local", (await api.GetAsync(Path(addon, "settings")))["render_target"]!.GetValue<string>());
    }

    [Fact]
    public async Task moving_a_dev_bundle_to_another_version_migrates_its_overrides_with_the_converter()
    {
        var name = Unique.Name("conv");
        var api = app.Service();
        await InstallAsync(api, Package(name, "1.0.0", "old_name", false));
        await InstallAsync(api, Package(name, "2.0.0", "new_name", true));
        var dev = await BundleAsync(app, new JsonObject { [name] = "1.0.0" }, dev: true);
        await api.PostAsync($"/api/addons/{name}/1.0.0/settings?variant={dev}", new { old_name = "mine" }, expect: 204);

        await api.PatchAsync($"/api/bundles/{dev}?force=true", new JsonObject { ["addons"] = new JsonObject { [name] = "2.0.0" } }, expect: 204);

        Assert.Equal("MINE", (await api.GetAsync($"/api/addons/{name}/2.0.0/settings?variant={dev}"))["new_name"]!.GetValue<string>());
        var answer = await api.GetAsync($"/api/settings?variant={dev}");
        Assert.Equal("MINE", answer["addons"]![0]!["settings"]!["new_name"]!.GetValue<string>());
    }
}
