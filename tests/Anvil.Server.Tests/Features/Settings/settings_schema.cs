using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary>The editor's schema, with server enums from Anvil's data and context enums from the addon's own resolver.</summary>
public sealed class settings_schema(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task server_enums_come_from_the_anatomy_and_context_enums_from_the_addon()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var secretName = TestUsers.Unique("secret_");
        await api.PutAsync($"/api/secrets/{secretName}", new { value = "not listed, only named" }, expect: 204);

        var schema = await api.GetAsync(Path(addon, "schema", project));

        var profile = schema["definitions"]!["ProfileModel"]!["properties"]!;
        Assert.Contains("Compositing", profile["task_types"]!["items"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.True(profile["task_types"]!["uniqueItems"]!.GetValue<bool>());
        Assert.Contains("default", profile["template_name"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains(secretName, schema["properties"]!["api_key_secret"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.DoesNotContain("not listed, only named", schema.ToJsonString());
        Assert.Equal(["default", "review"], schema["properties"]!["default_profile"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task a_context_enum_follows_the_studio_settings_it_reads()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings"), new
        {
            profiles = new[] { new { name = "alpha", task_types = Array.Empty<string>(), template_name = "" } },
        }, expect: 204);

        var schema = await api.GetAsync(Path(addon, "schema"));

        Assert.Equal(["alpha"], schema["properties"]!["default_profile"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }
}
