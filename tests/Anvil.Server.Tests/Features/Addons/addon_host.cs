using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// The addon host runs each version's server code in its own process at install: a broken addon is
/// installed and listed with <c>isBroken</c> and a reason, and the API keeps answering meanwhile.
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

    async Task<(string Description, Nodes Version)> InstallBrokenAsync(string server)
    {
        var name = Unique.Name("host");
        var api = app.Service();
        var done = await InstallAsync(api, Zip(("package.py", PackagePy(name, "1.0.0")), ("server/__init__.py", server)));
        var version = (await ListedAsync(api, name))!["versions"]!["1.0.0"]!;
        Assert.True(version["isBroken"]!.GetValue<bool>(), version.ToJsonString());
        var description = done["description"]!.GetValue<string>();
        Assert.StartsWith($"Installed addon {name} 1.0.0, but it is broken: ", description, StringComparison.Ordinal);
        return (description, new Nodes(version["reason"]!.GetValue<string>()));
    }

    public sealed record Nodes(string Reason);

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
    public async Task an_addon_whose_server_code_cannot_be_imported_is_listed_broken_with_the_error()
    {
        var (_, version) = await InstallBrokenAsync("import module_that_does_not_exist_anywhere\n");

        Assert.Contains("module_that_does_not_exist_anywhere", version.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_addon_whose_defaults_raise_is_listed_broken_with_the_exception()
    {
        var (_, version) = await InstallBrokenAsync("""
            from ayon_server.addons import BaseServerAddon
            from ayon_server.settings import BaseSettingsModel, SettingsField


            class Settings(BaseSettingsModel):
                threshold: int = SettingsField(3, title="Threshold")


            class FailingAddon(BaseServerAddon):
                settings_model = Settings

                async def get_default_settings(self):
                    raise ValueError("no defaults today")
            """);

        Assert.Contains("no defaults today", version.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_addon_that_hangs_is_killed_at_the_timeout_and_the_api_keeps_answering()
    {
        var name = Unique.Name("host");
        var api = app.Service();
        var eventId = await UploadAsync(api, Zip(("package.py", PackagePy(name, "1.0.0")), ("server/__init__.py", "import time\ntime.sleep(3600)\n")));

        await api.GetAsync("/api/info");
        await api.GetAsync("/api/addons");
        var done = await WaitAsync(api, eventId);

        Assert.Equal("finished", done["status"]!.GetValue<string>());
        var reason = (await ListedAsync(api, name))!["versions"]!["1.0.0"]!["reason"]!.GetValue<string>();
        Assert.Contains("did not finish within 6 s", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_addon_that_allocates_past_the_memory_limit_is_listed_broken()
    {
        var (_, version) = await InstallBrokenAsync("hog = bytearray(2 * 1024 * 1024 * 1024)\n");

        Assert.Contains("memory", version.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task the_host_sees_no_database_or_redis_settings()
    {
        var (_, version) = await InstallBrokenAsync("""
            import os
            leaked = sorted(k for k in os.environ if k.startswith("AYON_") or "POSTGRES" in k or "REDIS" in k)
            raise RuntimeError("environment: " + (",".join(leaked) or "clean") + " memory=" + os.environ.get("ANVIL_HOST_MEMORY_LIMIT_MB", "?"))
            """);

        Assert.Contains("environment: clean memory=400", version.Reason, StringComparison.Ordinal);
    }
}
