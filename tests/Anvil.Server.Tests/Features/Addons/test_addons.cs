using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>The test addons of <c>tests/addons/</c>, zipped at test time under unique names, installed end to end.</summary>
public sealed class test_addons(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task the_example_addon_installs_with_its_settings_client_files_and_services()
    {
        var name = Unique.Name("example");
        var api = app.Service();

        await InstallAsync(api, FromSourceTree("example", name, "1.2.0"));

        var addon = (await ListedAsync(api, name, details: true))!;
        var version = addon["versions"]!["1.2.0"]!;
        Assert.False(version["isBroken"]!.GetValue<bool>(), version.ToJsonString());
        Assert.True(version["hasSettings"]!.GetValue<bool>());
        Assert.NotNull(version["clientPyproject"]);
        Assert.Equal("studio/example-worker:1.2.0", version["services"]!["worker"]!["image"]!.GetValue<string>());
        Assert.Contains("<svg", await app.Anonymous().Http.GetStringAsync($"/addons/{name}/1.2.0/public/icon.svg"), StringComparison.Ordinal);
        Assert.Contains("<html", await api.Http.GetStringAsync($"/addons/{name}/1.2.0/frontend/"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task the_minimal_addon_installs_and_serves_its_private_file()
    {
        var name = Unique.Name("minimal");
        var api = app.Service();

        await InstallAsync(api, FromSourceTree("minimal", name));

        Assert.False((await ListedAsync(api, name))!["versions"]!["1.0.0"]!["isBroken"]!.GetValue<bool>());
        Assert.NotEmpty(await api.Http.GetStringAsync($"/addons/{name}/1.0.0/private/notes.txt"));
    }

    [Theory]
    [InlineData("broken_import", "importing the server code failed: ImportError")]
    [InlineData("broken_defaults", "get_default_settings() failed: ValueError: the studio defaults file is missing (at server/__init__.py:")]
    [InlineData("broken_hang", "did not finish within 6 s")]
    [InlineData("greedy", "memory")]
    public async Task a_broken_test_addon_is_installed_listed_broken_with_a_reason_and_the_api_keeps_answering(string tree, string reasonPart)
    {
        var name = Unique.Name(tree);
        var api = app.Service();

        var eventId = await UploadAsync(api, FromSourceTree(tree, name));
        await api.GetAsync("/api/info");
        var done = await WaitAsync(api, eventId);

        Assert.Equal("finished", done["status"]!.GetValue<string>());
        Assert.Contains("but it is broken", done["description"]!.GetValue<string>(), StringComparison.Ordinal);
        var version = (await ListedAsync(api, name))!["versions"]!["1.0.0"]!;
        Assert.True(version["isBroken"]!.GetValue<bool>());
        var reason = version["reason"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Contains(reasonPart, reason, StringComparison.OrdinalIgnoreCase);
    }
}
