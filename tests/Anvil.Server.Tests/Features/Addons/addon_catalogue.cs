using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary><c>GET /api/addons[?details=1]</c> in AYON's shape, from what was stored at install.</summary>
public sealed class addon_catalogue(AddonsApp app) : IClassFixture<AddonsApp>
{
    const string SettingsServer = """
        from ayon_server.addons import BaseServerAddon
        from ayon_server.settings import BaseSettingsModel, SettingsField


        class MySettings(BaseSettingsModel):
            enabled: bool = SettingsField(True, title="Enabled")


        class MySiteSettings(BaseSettingsModel):
            root: str = SettingsField("", title="Root")


        class SettingsAddon(BaseServerAddon):
            settings_model = MySettings
            site_settings_model = MySiteSettings
        """;

    const string SystemServer = """
        from ayon_server.addons import BaseServerAddon


        class SystemAddon(BaseServerAddon):
            system = True
        """;

    [Fact]
    public async Task an_addon_is_listed_with_its_versions_in_ayons_shape()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        await InstallAsync(api, Zip(("package.py", PackagePy(name, "1.0.0", "project_can_override_addon_version = True")), ("server/__init__.py", SettingsServer)));
        await InstallAsync(api, Simple(name, "1.10.0"));
        await InstallAsync(api, Simple(name, "1.9.0"));

        var addon = (await ListedAsync(api, name))!;

        Assert.Equal($"Title of {name}", addon["title"]!.GetValue<string>());
        Assert.NotNull(addon["description"]);
        Assert.True(addon.AsObject().ContainsKey("productionVersion") && addon["productionVersion"] is null);
        Assert.True(addon.AsObject().ContainsKey("stagingVersion") && addon["stagingVersion"] is null);
        Assert.Equal("pipeline", addon["addonType"]!.GetValue<string>());
        Assert.False(addon["system"]!.GetValue<bool>());
        Assert.Equal(["1.0.0", "1.9.0", "1.10.0"], addon["versions"]!.AsObject().Select(v => v.Key));
        var first = addon["versions"]!["1.0.0"]!;
        Assert.True(first["hasSettings"]!.GetValue<bool>());
        Assert.True(first["hasSiteSettings"]!.GetValue<bool>());
        Assert.True(first["projectCanOverrideAddonVersion"]!.GetValue<bool>());
        Assert.Equal("{}", first["frontendScopes"]!.ToJsonString());
        Assert.False(first["isBroken"]!.GetValue<bool>());
        Assert.True(first.AsObject().ContainsKey("reason"));
        Assert.False(first.AsObject().ContainsKey("clientSourceInfo"));
        Assert.False(addon["versions"]!["1.10.0"]!["hasSettings"]!.GetValue<bool>());
    }

    [Fact]
    public async Task details_add_the_client_pyproject_client_source_and_services()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        await InstallAsync(api, Zip(
            ("package.py", PackagePy(name, "1.0.0", "services = {\"leecher\": {\"image\": \"ynput/leecher:1.0.0\"}}")),
            ("server/__init__.py", PlainServer),
            ("private/client.zip", "zip bytes"),
            ("private/pyproject.toml", """
                [project]
                name = "my-client"  # a comment
                version = '1.0.0'
                dependencies = [
                    "requests>=2",
                    "pyyaml",
                ]

                [tool.poetry.dependencies]
                python = ">=3.9.1,<3.10"
                opentimelineio = { version = "0.16.0", optional = true }

                [[tool.sources]]
                name = "first"
                [[tool.sources]]
                name = "second"
                """)));
        await InstallAsync(api, Simple(name, "2.0.0"));

        var versions = (await ListedAsync(api, name, details: true))!["versions"]!;

        var v1 = versions["1.0.0"]!;
        Assert.Equal("""[{"type":"server","filename":"client.zip"}]""", v1["clientSourceInfo"]!.ToJsonString());
        Assert.Equal("my-client", v1["clientPyproject"]!["project"]!["name"]!.GetValue<string>());
        Assert.Equal(["requests>=2", "pyyaml"], v1["clientPyproject"]!["project"]!["dependencies"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal("0.16.0", v1["clientPyproject"]!["tool"]!["poetry"]!["dependencies"]!["opentimelineio"]!["version"]!.GetValue<string>());
        Assert.Equal("second", v1["clientPyproject"]!["tool"]!["sources"]![1]!["name"]!.GetValue<string>());
        Assert.Equal("ynput/leecher:1.0.0", v1["services"]!["leecher"]!["image"]!.GetValue<string>());
        var v2 = versions["2.0.0"]!;
        Assert.True(v2.AsObject().ContainsKey("clientSourceInfo") && v2["clientSourceInfo"] is null);
        Assert.True(v2.AsObject().ContainsKey("clientPyproject") && v2["clientPyproject"] is null);
        Assert.Equal("{}", v2["services"]!.ToJsonString());
    }

    [Fact]
    public async Task a_pyproject_that_cannot_be_read_gives_null_not_an_error()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        await InstallAsync(api, Simple(name, "1.0.0", ("private/pyproject.toml", "[project\nname = ")));

        var version = (await ListedAsync(api, name, details: true))!["versions"]!["1.0.0"]!;

        Assert.True(version.AsObject().ContainsKey("clientPyproject") && version["clientPyproject"] is null);
    }

    [Fact]
    public async Task system_addons_are_listed_for_admins_only()
    {
        var name = Unique.Name("addon");
        await InstallAsync(app.Service(), Zip(("package.py", PackagePy(name, "1.0.0")), ("server/__init__.py", SystemServer)));
        var (_, user) = await TestUsers.CreateAsync(app);

        Assert.True((await ListedAsync(app.Service(), name))!["system"]!.GetValue<bool>());
        Assert.True((await ListedAsync(await app.LoginAsync(), name, details: true))!["system"]!.GetValue<bool>());
        Assert.Null(await ListedAsync(user, name));
        Assert.Null(await ListedAsync(user, name, details: true));
    }

    [Fact]
    public async Task any_logged_in_user_may_list_and_anonymous_clients_may_not()
    {
        var (_, user) = await TestUsers.CreateAsync(app);

        await user.GetAsync("/api/addons");
        await app.Anonymous().GetAsync("/api/addons", expect: 401);
    }

    [Fact]
    public async Task a_client_that_accepts_gzip_gets_the_same_catalogue_compressed()
    {
        var api = app.Service();
        for (var i = 0; i < 5; i++)
            await InstallAsync(api, Zip(("package.py", PackagePy(Unique.Name("addon"), "1.0.0")), ("server/__init__.py", SettingsServer)));
        var plain = await api.Http.GetStringAsync("/api/addons?details=1");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/addons?details=1");
        request.Headers.AcceptEncoding.ParseAdd("gzip, deflate");
        using var response = await api.Http.SendAsync(request);
        await using var gzip = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        var unpacked = await new StreamReader(gzip).ReadToEndAsync();

        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.True(response.Content.Headers.ContentLength < plain.Length / 2, $"{response.Content.Headers.ContentLength} bytes compressed, {plain.Length} plain");
        Assert.Equal(plain, unpacked);
    }
}
