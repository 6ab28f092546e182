using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Features.Sites;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Settings.SettingsFixture;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary>One addon version's settings: the four override levels, variants, pin, unpin, delete of a path, raw overrides.</summary>
public sealed class addon_settings(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task studio_settings_without_overrides_are_the_addons_defaults()
    {
        var addon = await ExampleAsync(app);
        var settings = await app.Service().GetAsync(Path(addon, "settings"));

        Assert.Equal("farm", settings["render_target"]!.GetValue<string>());
        Assert.Equal(2, settings["profiles"]!.AsArray().Count);
        Assert.Equal("file", settings["output"]!["output_type"]!.GetValue<string>());
        Assert.Equal("{}", settings["environment"]!.GetValue<string>());
        Assert.Empty((await app.Service().GetAsync(Path(addon, "rawOverrides"))).AsObject());
    }

    [Fact]
    public async Task a_studio_save_stores_only_what_differs_and_a_list_is_replaced_whole()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        var settings = (await api.GetAsync(Path(addon, "settings"))).AsObject();
        settings["render_target"] = "local";
        settings["profiles"] = new JsonArray(new JsonObject { ["name"] = "only", ["task_types"] = new JsonArray(), ["template_name"] = "" });
        settings["colors"]!["fill"] = new JsonArray(0.5, 0.5, 0.5, 1.0);

        await api.PostAsync(Path(addon, "settings"), settings, expect: 204);

        var raw = (await api.GetAsync(Path(addon, "rawOverrides"))).AsObject();
        Assert.Equal(["colors", "profiles", "render_target"], raw.Select(p => p.Key).Order());
        Assert.Equal(["fill"], raw["colors"]!.AsObject().Select(p => p.Key));
        var read = await api.GetAsync(Path(addon, "settings"));
        Assert.Equal("only", read["profiles"]![0]!["name"]!.GetValue<string>());
        Assert.Single(read["profiles"]!.AsArray());
        Assert.Equal(255, read["colors"]!["outline"]![0]!.GetValue<int>());
    }

    [Fact]
    public async Task project_and_project_site_overrides_layer_over_studio_and_keep_their_own_fields()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var admin = await app.LoginAsync();
        await admin.PostAsync(Path(addon, "settings"), new { render_target = "local", environment = "{\"A\": \"1\"}" }, expect: 204);
        await admin.PostAsync(Path(addon, "settings", project), new { output = new { output_type = "stream", file = new { directory = "" }, stream = new { url = "rtmp://x" } } }, expect: 204);
        await SiteHeaders.RegisterAsync(await app.LoginAsync(), "ws1", "linux");
        await admin.PostAsync(Path(addon, "settings", project, "?site=ws1"), new { enabled = false }, expect: 204);

        var studio = await admin.GetAsync(Path(addon, "settings"));
        var inProject = await admin.GetAsync(Path(addon, "settings", project));
        var onSite = await admin.GetAsync(Path(addon, "settings", project, "?site=ws1"));
        var otherSite = await admin.GetAsync(Path(addon, "settings", project, "?site=ws2"));

        Assert.Equal("file", studio["output"]!["output_type"]!.GetValue<string>());
        Assert.Equal("local", inProject["render_target"]!.GetValue<string>());
        Assert.Equal("stream", inProject["output"]!["output_type"]!.GetValue<string>());
        Assert.True(inProject["enabled"]!.GetValue<bool>());
        Assert.False(onSite["enabled"]!.GetValue<bool>());
        Assert.Equal("stream", onSite["output"]!["output_type"]!.GetValue<string>());
        Assert.True(otherSite["enabled"]!.GetValue<bool>());
        Assert.Equal("{\"A\": \"1\"}", onSite["environment"]!.GetValue<string>());
        // the group is stored whole
        var raw = await admin.GetAsync(Path(addon, "rawOverrides", project));
        Assert.Equal("rtmp://x", raw["output"]!["stream"]!["url"]!.GetValue<string>());
        Assert.Equal("", raw["output"]!["file"]!["directory"]!.GetValue<string>());
    }

    [Fact]
    public async Task each_variant_has_its_own_studio_overrides()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings", query: "?variant=staging"), new { render_target = "local" }, expect: 204);

        Assert.Equal("local", (await api.GetAsync(Path(addon, "settings", query: "?variant=staging")))["render_target"]!.GetValue<string>());
        Assert.Equal("farm", (await api.GetAsync(Path(addon, "settings")))["render_target"]!.GetValue<string>());
        Assert.Equal("farm", (await api.GetAsync(Path(addon, "settings", query: "?variant=my_dev")))["render_target"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_pinned_field_stays_overridden_when_saved_equal_to_the_level_below_until_unpinned()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "overrides"), new { action = "pin", path = new[] { "render_target" } }, expect: 204);
        Assert.Equal("farm", (await api.GetAsync(Path(addon, "rawOverrides")))["render_target"]!.GetValue<string>());

        await api.PostAsync(Path(addon, "settings"), new { render_target = "farm" }, expect: 204);
        Assert.Equal("farm", (await api.GetAsync(Path(addon, "rawOverrides")))["render_target"]!.GetValue<string>());

        await api.PostAsync(Path(addon, "settings"), new JsonObject { ["render_target"] = "farm", ["__unpinned_fields__"] = new JsonArray("render_target") }, expect: 204);
        Assert.Null((await api.GetAsync(Path(addon, "rawOverrides")))["render_target"]);
    }

    [Fact]
    public async Task pinning_a_model_pins_its_leaves_and_pinned_fields_in_a_payload_are_stored()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "overrides"), new { action = "pin", path = new[] { "colors" } }, expect: 204);
        await api.PostAsync(Path(addon, "settings"), new JsonObject { ["enabled"] = true, ["__pinned_fields__"] = new JsonArray("enabled") }, expect: 204);

        var raw = await api.GetAsync(Path(addon, "rawOverrides"));
        Assert.Equal(255, raw["colors"]!["outline"]![0]!.GetValue<int>());
        Assert.NotNull(raw["colors"]!["fill"]);
        Assert.True(raw["enabled"]!.GetValue<bool>());
        await api.PostAsync(Path(addon, "overrides"), new { action = "pin", path = new[] { "nope" } }, expect: 400);
    }

    [Fact]
    public async Task deleting_a_path_reverts_it_to_the_level_below_and_keeps_the_rest()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings"), new { render_target = "local" }, expect: 204);
        await api.PostAsync(Path(addon, "settings", project), new { render_target = "farm", colors = new { outline = new[] { 1, 2, 3, 1.0 } } }, expect: 204);

        await api.PostAsync(Path(addon, "overrides", project), new { action = "delete", path = new[] { "render_target" } }, expect: 204);
        var read = await api.GetAsync(Path(addon, "settings", project));
        Assert.Equal("local", read["render_target"]!.GetValue<string>());
        Assert.Equal(1, read["colors"]!["outline"]![0]!.GetValue<int>());

        await api.PostAsync(Path(addon, "overrides", project), new { action = "delete", path = new[] { "colors", "outline" } }, expect: 204);
        Assert.Empty((await api.GetAsync(Path(addon, "rawOverrides", project))).AsObject());

        await api.DeleteAsync(Path(addon, "overrides"));
        Assert.Equal("farm", (await api.GetAsync(Path(addon, "settings", project)))["render_target"]!.GetValue<string>());
    }

    [Fact]
    public async Task override_metadata_names_the_level_of_each_field()
    {
        var addon = await ExampleAsync(app);
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings"), new { render_target = "local" }, expect: 204);
        await api.PostAsync(Path(addon, "settings", project), new { enabled = false }, expect: 204);

        var meta = await api.GetAsync(Path(addon, "overrides", project));

        Assert.Equal("studio", meta["root_render_target"]!["type"]!.GetValue<string>());
        Assert.Equal("project", meta["root_enabled"]!["type"]!.GetValue<string>());
        Assert.Equal("default", meta["root_colors_fill"]!["type"]!.GetValue<string>());
        Assert.True(meta["root_output_file_directory"]!["inGroup"]!.GetValue<bool>());
        Assert.Equal(["colors", "fill"], meta["root_colors_fill"]!["path"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task raw_overrides_are_written_as_given_after_validation()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PutAsync(Path(addon, "rawOverrides"), new { render_target = "farm", enabled = false }, expect: 204);

        var raw = await api.GetAsync(Path(addon, "rawOverrides"));
        Assert.Equal("farm", raw["render_target"]!.GetValue<string>());
        Assert.False((await api.GetAsync(Path(addon, "settings")))["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task site_settings_are_the_site_models_defaults_with_the_users_own_overrides()
    {
        var addon = await ExampleAsync(app);
        var admin = await app.LoginAsync();
        await SiteHeaders.RegisterAsync(await app.LoginAsync(), "ws1", "linux");
        Assert.Equal("", (await admin.GetAsync(Path(addon, "siteSettings", query: "?site=ws1")))["cache_dir"]!.GetValue<string>());

        await admin.PutAsync(Path(addon, "siteSettings", query: "?site=ws1"), new { cache_dir = "/tmp/c" }, expect: 204);

        Assert.Equal("/tmp/c", (await admin.GetAsync(Path(addon, "siteSettings", query: "?site=ws1")))["cache_dir"]!.GetValue<string>());
        Assert.Equal("", (await admin.GetAsync(Path(addon, "siteSettings", query: "?site=ws2")))["cache_dir"]!.GetValue<string>());
        Assert.Equal("", (await app.Service().GetAsync(Path(addon, "siteSettings", query: "?site=ws1")))["cache_dir"]!.GetValue<string>());
        var schema = await admin.GetAsync(Path(addon, "siteSettings/schema"));
        Assert.NotNull(schema["properties"]!["local_paths"]);
    }

    [Fact]
    public async Task a_change_is_announced_as_a_settings_changed_event()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.PostAsync(Path(addon, "settings"), new { render_target = "local" }, expect: 204);

        var count = await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM events WHERE topic = 'settings.changed' AND summary->>'addonName' = @addon", new { addon });
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task unknown_addons_and_projects_answer_404()
    {
        var addon = await ExampleAsync(app);
        var api = app.Service();
        await api.GetAsync("/api/addons/nope/1.0.0/settings", expect: 404);
        await api.GetAsync(Path(addon, "settings", "no_such_project"), expect: 404);
    }
}
