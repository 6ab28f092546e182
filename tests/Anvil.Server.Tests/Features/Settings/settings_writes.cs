using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Features.Sites;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary>Writes are validated by the addon's own model, and only the right people may make them.</summary>
public sealed class settings_writes(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task a_bad_write_answers_400_naming_the_field_and_stores_nothing()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        var profiles = new JsonArray(
            new JsonObject { ["name"] = "same", ["task_types"] = new JsonArray(), ["template_name"] = "" },
            new JsonObject { ["name"] = "same", ["task_types"] = new JsonArray(), ["template_name"] = "" });

        var duplicate = await api.PostAsync(Path(addon, "settings"), new JsonObject { ["profiles"] = profiles }, expect: 400);
        var badJson = await api.PostAsync(Path(addon, "settings"), new { environment = "{not json" }, expect: 400);
        var badType = await api.PutAsync(Path(addon, "rawOverrides"), new { enabled = new[] { 1, 2 } }, expect: 400);

        // ensure_unique_names raises the server's own exception: pydantic gives it no field path, the message names the name
        Assert.Contains("same", duplicate["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("JSON", badJson["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("enabled", badType.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty((await api.GetAsync(Path(addon, "rawOverrides"))).AsObject());
        Assert.Equal(0, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM events WHERE topic = 'settings.changed' AND summary->>'addonName' = @addon", new { addon }));
    }

    [Fact]
    public async Task the_model_normalises_what_is_stored()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings"), new { environment = "  " }, expect: 204);

        Assert.Equal("{}", (await api.GetAsync(Path(addon, "settings")))["environment"]!.GetValue<string>());
        Assert.Empty((await api.GetAsync(Path(addon, "rawOverrides"))).AsObject());
    }

    [Fact]
    public async Task only_admins_write_studio_settings_and_only_managers_project_settings()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var artist = await app.ArtistAsync();
        var manager = await ManagerAsync(app);

        await artist.PostAsync(Path(addon, "settings"), new { enabled = false }, expect: 403);
        await manager.PostAsync(Path(addon, "settings"), new { enabled = false }, expect: 403);
        await manager.PutAsync(Path(addon, "rawOverrides"), new { enabled = false }, expect: 403);
        await manager.DeleteAsync(Path(addon, "overrides"), expect: 403);
        await manager.PostAsync(Path(addon, "settings", project), new { enabled = false }, expect: 204);

        Assert.False((await manager.GetAsync(Path(addon, "settings", project)))["enabled"]!.GetValue<bool>());
        Assert.True((await artist.GetAsync(Path(addon, "settings")))["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task a_user_changes_only_their_own_site_settings()
    {
        var addon = await ExampleAsync(app);
        var artist = await app.ArtistAsync();
        var admin = await app.LoginAsync();
        await SiteHeaders.RegisterAsync(await app.ArtistAsync(), "ws9", "linux");

        await artist.PutAsync(Path(addon, "siteSettings", query: "?site=ws9"), new { cache_dir = "/mine" }, expect: 204);
        await artist.PutAsync(Path(addon, "siteSettings", query: "?site=ws9&as=admin"), new { cache_dir = "/theirs" }, expect: 403);
        await artist.GetAsync(Path(addon, "siteSettings", query: "?site=ws9&as=admin"), expect: 403);

        Assert.Equal("/mine", (await artist.GetAsync(Path(addon, "siteSettings", query: "?site=ws9")))["cache_dir"]!.GetValue<string>());
        Assert.Equal("", (await admin.GetAsync(Path(addon, "siteSettings", query: "?site=ws9")))["cache_dir"]!.GetValue<string>());
    }

    [Fact]
    public async Task site_overrides_are_written_only_for_a_registered_site()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var artist = await app.ArtistAsync();
        var unknown = SiteHeaders.NewSiteId();

        var site = await artist.PutAsync(Path(addon, "siteSettings", query: $"?site={unknown}"), new { cache_dir = "/mine" }, expect: 404);
        var projectSite = await (await app.LoginAsync()).PostAsync(Path(addon, "settings", project, $"?site={unknown}"), new { enabled = false }, expect: 404);
        await SiteHeaders.RegisterAsync(artist, unknown, "windows");
        await artist.PutAsync(Path(addon, "siteSettings", query: $"?site={unknown}"), new { cache_dir = "/mine" }, expect: 204);

        Assert.Contains(unknown, site["detail"]!.GetValue<string>());
        Assert.Contains("not registered", projectSite["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_unavailable_addon_host_fails_the_write_with_503_and_stores_nothing()
    {
        await using var broken = new NoPythonApp();
        await ((IAsyncLifetime)broken).InitializeAsync();
        var addon = await ExampleAsync(app);
        var api = broken.Service();

        await api.PostAsync(Path(addon, "settings"), new { enabled = false }, expect: 503);

        Assert.Empty((await api.GetAsync(Path(addon, "rawOverrides"))).AsObject());
        Assert.True((await api.GetAsync(Path(addon, "settings")))["enabled"]!.GetValue<bool>());
    }

    /// <summary>An instance over the same database whose addon host cannot start.</summary>
    sealed class NoPythonApp : AddonsApp
    {
        protected override IEnumerable<(string Variable, string Value)> ExtraSettings => [("AYON_ADDON_HOST_PYTHON", "/nonexistent/python3")];
    }
}
