using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary>Beyond AYON: an access group's <c>addon_settings</c> block grants or denies reading and writing one addon's project settings.</summary>
public sealed class settings_access_groups(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task a_group_grants_writing_one_addons_project_settings_and_hides_the_others()
    {
        var granted = await ExampleAsync(app);
        var hidden = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var group = Unique.Name("lookdev");
        await app.Service().PutAsync($"/api/accessGroups/{group}/_", new JsonObject
        {
            ["read"] = new JsonObject { ["enabled"] = false },
            ["addon_settings"] = new JsonObject { ["enabled"] = true, ["read"] = new JsonArray(), ["write"] = new JsonArray(granted) },
        }, expect: 204);
        var member = await app.ArtistAsync(new JsonObject { ["accessGroups"] = new JsonObject { [project] = new JsonArray(group) } });
        var plain = await app.ArtistAsync(new JsonObject { ["accessGroups"] = new JsonObject { [project] = new JsonArray("artist") } });

        await member.PostAsync(Path(granted, "settings", project), new { render_target = "local" }, expect: 204);
        Assert.Equal("local", (await member.GetAsync(Path(granted, "settings", project)))["render_target"]!.GetValue<string>());
        await member.GetAsync(Path(hidden, "settings", project), expect: 403);
        await member.GetAsync(Path(hidden, "schema", project), expect: 403);
        await member.PostAsync(Path(granted, "settings"), new { render_target = "local" }, expect: 403);

        Assert.Equal("farm", (await plain.GetAsync(Path(hidden, "settings", project)))["render_target"]!.GetValue<string>());
        await plain.PostAsync(Path(granted, "settings", project), new { render_target = "farm" }, expect: 403);
    }
}
