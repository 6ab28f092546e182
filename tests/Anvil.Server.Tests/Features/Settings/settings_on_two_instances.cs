using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary>Two instances over one database and Redis: a settings change through one is read by the other at once.</summary>
public sealed class settings_on_two_instances(AddonsApp a, SecondAddonsApp b) : IClassFixture<AddonsApp>, IClassFixture<SecondAddonsApp>
{
    [Fact]
    public async Task a_change_through_one_instance_is_read_by_the_other_at_once()
    {
        var addon = await ExampleAsync(a);
        var bundle = await BundleAsync(a, new JsonObject { [addon] = AddonVersion });
        var onB = b.Service();
        Assert.Equal("farm", (await onB.GetAsync(Path(addon, "settings")))["render_target"]!.GetValue<string>());
        var first = await onB.GetAsync($"/api/settings?bundle_name={bundle}");
        Assert.Equal("farm", first["addons"]![0]!["settings"]!["render_target"]!.GetValue<string>());

        await a.Service().PostAsync(Path(addon, "settings"), new { render_target = "local" }, expect: 204);

        Assert.Equal("local", (await onB.GetAsync(Path(addon, "settings")))["render_target"]!.GetValue<string>());
        var second = await onB.GetAsync($"/api/settings?bundle_name={bundle}");
        Assert.Equal("local", second["addons"]![0]!["settings"]!["render_target"]!.GetValue<string>());

        await a.Service().DeleteAsync(Path(addon, "overrides"));
        Assert.Equal("farm", (await onB.GetAsync(Path(addon, "settings")))["render_target"]!.GetValue<string>());
    }
}
