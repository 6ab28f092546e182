using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// The addon host runs each version's server code in its own process at install, with a clean
/// environment; what it exports is stored (broken addons of every kind: <see cref="test_addons"/>).
/// (The fixture sets a 6 s export timeout and a 400 MiB memory limit.)
/// </summary>
public sealed class addon_host(AddonsApp app) : IClassFixture<AddonsApp>
{
    const string ExportingServer = """
        from ayon_server.addons import BaseServerAddon
        from ayon_server.settings import BaseSettingsModel, SettingsField


        class Settings(BaseSettingsModel):
            threshold: int = SettingsField(3, title="Threshold")


        class ExportingAddon(BaseServerAddon):
            settings_model = Settings
        """;

    /// <summary>Installs a package with this server code, which must come out broken; answers the reason listed.</summary>
    async Task<string> InstallBrokenAsync(string server)
    {
        var name = Unique.Name("host");
        var api = app.Service();
        var done = await InstallAsync(api, Zip(("package.py", PackagePy(name, "1.0.0")), ("server/__init__.py", server)));
        var version = (await ListedAsync(api, name))!["versions"]!["1.0.0"]!;
        Assert.True(version["isBroken"]!.GetValue<bool>(), version.ToJsonString());
        var description = done["description"]!.GetValue<string>();
        Assert.StartsWith($"Installed addon {name} 1.0.0, but it is broken: ", description, StringComparison.Ordinal);
        return version["reason"]!.GetValue<string>();
    }

    [Fact]
    public async Task an_addon_is_exported_with_its_settings_and_defaults_stored()
    {
        var name = Unique.Name("host");
        await InstallAsync(app.Service(), Zip(("package.py", PackagePy(name, "1.0.0")), ("server/__init__.py", ExportingServer)));

        var export = await Sql.ScalarAsync<string>(app, "SELECT export::text FROM addon_versions WHERE name = @name", new { name });
        var document = System.Text.Json.Nodes.JsonNode.Parse(export!)!;

        Assert.False(document["isBroken"]!.GetValue<bool>());
        Assert.Equal("ExportingAddon", document["addon"]!["className"]!.GetValue<string>());
        Assert.Equal(3, document["settings"]!["defaults"]!["threshold"]!.GetValue<int>());
        Assert.True((await ListedAsync(app.Service(), name))!["versions"]!["1.0.0"]!["hasSettings"]!.GetValue<bool>());
    }

    [Fact]
    public async Task the_host_sees_no_database_or_redis_settings()
    {
        var reason = await InstallBrokenAsync("""
            import os
            leaked = sorted(k for k in os.environ if k.startswith("AYON_") or "POSTGRES" in k or "REDIS" in k)
            raise RuntimeError("environment: " + (",".join(leaked) or "clean") + " memory=" + os.environ.get("ANVIL_HOST_MEMORY_LIMIT_MB", "?"))
            """);

        Assert.Contains("environment: clean memory=400", reason, StringComparison.Ordinal);
    }
}
