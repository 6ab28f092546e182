using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary><c>/api/bundles</c>: the shape the launcher and the official client read, every write and its bad inputs.</summary>
[Collection(BundlesCollection.Name)]
public sealed class bundle_routes(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task a_bundle_made_as_the_official_client_does_is_listed_with_every_field_the_launcher_reads()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core");
        var name = Unique.Name("bundle");

        await api.PostAsync("/api/bundles", CreateBody(name, new JsonObject { [addon] = "1.0.0" }), expect: 201);

        var list = await ListAsync(api);
        Assert.True(list.ContainsKey("productionBundle") && list.ContainsKey("stagingBundle"));
        Assert.IsType<JsonArray>(list["devBundles"]);
        var bundle = await BundleAsync(api, name);
        foreach (var field in new[] { "name", "createdAt", "updatedAt", "installerVersion", "addons", "dependencyPackages", "addonDevelopment",
                     "isProduction", "isStaging", "isArchived", "isDev", "isProject", "activeUser" })
            Assert.True(bundle.ContainsKey(field), $"{field} is missing: {bundle.ToJsonString()}");
        Assert.Equal("1.0.0", bundle["installerVersion"]!.GetValue<string>());
        Assert.Equal("1.0.0", bundle["addons"]![addon]!.GetValue<string>());
        Assert.Equal("""{"windows":null,"linux":null,"darwin":null}""", bundle["dependencyPackages"]!.ToJsonString());
        Assert.Equal("{}", bundle["addonDevelopment"]!.ToJsonString());
        Assert.False(bundle["isProduction"]!.GetValue<bool>());
        Assert.False(bundle["isStaging"]!.GetValue<bool>());
        Assert.False(bundle["isDev"]!.GetValue<bool>());
        Assert.False(bundle["isProject"]!.GetValue<bool>());
        Assert.Null(bundle["activeUser"]);
        Assert.True(DateTimeOffset.TryParse(bundle["createdAt"]!.GetValue<string>(), out _));
    }

    [Fact]
    public async Task an_addon_may_be_listed_without_a_version()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core");
        var name = Unique.Name("bundle");

        await api.PostAsync("/api/bundles", CreateBody(name, new JsonObject { [addon] = null }, installerVersion: null), expect: 201);

        var bundle = await BundleAsync(api, name);
        Assert.True(bundle["addons"]!.AsObject().ContainsKey(addon));
        Assert.Null(bundle["addons"]![addon]);
        Assert.Null(bundle["installerVersion"]);
    }

    [Theory]
    [InlineData("""{"installerVersion": "1.0.0", "addons": {}}""", "name")]
    [InlineData("""{"name": "bad name!", "addons": {}}""", "name")]
    [InlineData("""{"name": "NAME", "addons": []}""", "addons")]
    [InlineData("""{"name": "NAME", "addons": {"ADDON": 3}}""", "addons.ADDON")]
    [InlineData("""{"name": "NAME", "addons": {"not_installed_addon": "1.0.0"}}""", "addons.not_installed_addon")]
    [InlineData("""{"name": "NAME", "addons": {"ADDON": "9.9.9"}}""", "addons.ADDON")]
    [InlineData("""{"name": "NAME", "addons": {}, "dependencyPackages": {"amiga": "x.zip"}}""", "dependencyPackages.amiga")]
    [InlineData("""{"name": "NAME", "addons": {}, "dependencyPackages": {"linux": 5}}""", "dependencyPackages.linux")]
    [InlineData("""{"name": "NAME", "addons": {}, "installerVersion": "latest"}""", "installerVersion")]
    [InlineData("""{"name": "NAME", "addons": {}, "isProduction": "yes"}""", "isProduction")]
    [InlineData("""{"name": "NAME", "addons": {}, "isDev": true, "isProduction": true}""", "isDev")]
    [InlineData("""{"name": "NAME", "addons": {}, "isProject": true, "isStaging": true}""", "isProject")]
    [InlineData("""{"name": "NAME", "addons": {}, "activeUser": "admin"}""", "activeUser")]
    [InlineData("""{"name": "NAME", "addons": {}, "isDev": true, "activeUser": "nobody_at_all"}""", "activeUser")]
    [InlineData("""{"name": "NAME", "addons": {}, "isDev": true, "addonDevelopment": {"ADDON": {"enabled": "on"}}}""", "addonDevelopment.ADDON.enabled")]
    public async Task a_bad_bundle_is_refused_naming_the_field_and_nothing_is_stored(string template, string field)
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core");
        var name = Unique.Name("bundle");
        var body = template.Replace("NAME", name).Replace("ADDON", addon);

        var error = await api.PostRawAsync("/api/bundles", body, expect: 400);

        Assert.StartsWith(field.Replace("NAME", name).Replace("ADDON", addon), error["detail"]!.GetValue<string>());
        Assert.DoesNotContain((await ListAsync(api, archived: true))["bundles"]!.AsArray(), b => b!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task a_taken_name_is_a_conflict()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");
        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);

        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 409);
    }

    [Fact]
    public async Task only_admins_write_bundles_but_everyone_reads_them()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");
        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);
        var artist = await app.ArtistAsync();

        Assert.NotNull(await BundleAsync(artist, name));
        await artist.PostAsync("/api/bundles", CreateBody(Unique.Name("bundle"), []), expect: 403);
        await artist.PatchAsync($"/api/bundles/{name}", new { isStaging = true }, expect: 403);
        await artist.DeleteAsync($"/api/bundles/{name}", expect: 403);
        await artist.PostAsync($"/api/bundles/{name}", new { action = "promote" }, expect: 403);
        await artist.PostAsync("/api/bundles/check", CreateBody(name, []), expect: 403);
    }

    [Fact]
    public async Task the_compatibility_check_refuses_unmet_requirements_unless_forced()
    {
        var api = app.Service();
        var core = await AddonAsync(api, "core", "1.2.0");
        var tool = await AddonAsync(api, "tool", "2.0.0", $"ayon_required_addons = {{\"{core}\": \">=1.5.0\"}}\nayon_server_version = \">=1.0.0,<2.0.0\"\nayon_launcher_version = \">=1.3.0\"");
        var name = Unique.Name("bundle");
        var body = CreateBody(name, new JsonObject { [core] = "1.2.0", [tool] = "2.0.0" }, installerVersion: "1.1.0");

        var error = await api.PostAsync("/api/bundles", body, expect: 400);
        var check = await api.PostAsync("/api/bundles/check", body);
        await api.PostAsync("/api/bundles?force=true", body, expect: 201);

        Assert.Equal("bundle-incompatible", error["errorCode"]?.GetValue<string>() ?? error["code"]?.ToString());
        var messages = error["issues"]!.AsArray().Select(i => i!["message"]!.GetValue<string>()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Contains(messages, m => m.Contains($"requires {core} >=1.5.0"));
        Assert.Contains(messages, m => m.Contains("requires launcher >=1.3.0"));
        Assert.False(check["success"]!.GetValue<bool>());
        Assert.Equal(2, check["issues"]!.AsArray().Count);
        Assert.Equal(tool, check["issues"]![0]!["addon"]!.GetValue<string>());
        Assert.NotNull(await BundleAsync(api, name));
    }

    [Fact]
    public async Task a_required_addon_missing_from_the_bundle_and_a_server_too_old_are_issues()
    {
        var api = app.Service();
        var core = await AddonAsync(api, "core");
        var tool = await AddonAsync(api, "tool", "1.0.0", $"ayon_required_addons = {{\"{core}\": \"*\"}}\nayon_server_version = \">=99.0.0\"\nayon_compatible_addons = {{\"absent_addon\": \"<1\"}}");

        var check = await api.PostAsync("/api/bundles/check", CreateBody(Unique.Name("bundle"), new JsonObject { [tool] = "1.0.0" }));

        var messages = check["issues"]!.AsArray().Select(i => i!["message"]!.GetValue<string>()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Contains(messages, m => m.Contains("not in the bundle"));
        Assert.Contains(messages, m => m.Contains("requires server >=99.0.0"));
    }

    [Fact]
    public async Task a_compatible_bundle_checks_clean()
    {
        var api = app.Service();
        var core = await AddonAsync(api, "core", "1.6.0");
        var tool = await AddonAsync(api, "tool", "1.0.0", $"ayon_required_addons = {{\"{core}\": \">=1.5.0,<2\"}}\nayon_compatible_addons = {{\"{core}\": \"~=1.6\"}}");

        var check = await api.PostAsync("/api/bundles/check", CreateBody(Unique.Name("bundle"), new JsonObject { [core] = "1.6.0", [tool] = "1.0.0" }));

        Assert.True(check["success"]!.GetValue<bool>(), check.ToJsonString());
        Assert.Empty(check["issues"]!.AsArray());
    }

    [Fact]
    public async Task update_bundle_changes_one_dependency_package_and_leaves_the_others()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");
        var body = CreateBody(name, []);
        body["dependencyPackages"] = new JsonObject { ["windows"] = "win.zip", ["linux"] = "linux.zip" };
        await api.PostAsync("/api/bundles", body, expect: 201);

        await api.PatchAsync($"/api/bundles/{name}", new JsonObject { ["dependencyPackages"] = new JsonObject { ["linux"] = "linux2.zip", ["windows"] = null } }, expect: 204);

        Assert.Equal("""{"windows":null,"linux":"linux2.zip","darwin":null}""", (await BundleAsync(api, name))["dependencyPackages"]!.ToJsonString());
    }

    [Fact]
    public async Task update_bundle_changes_addons_and_the_installer_version_with_the_check()
    {
        var api = app.Service();
        var core = await AddonAsync(api, "core", "1.0.0");
        await AddonAsync(api, "core", "2.0.0", name: core);
        var tool = await AddonAsync(api, "tool", "1.0.0", $"ayon_required_addons = {{\"{core}\": \"<2\"}}");
        var name = Unique.Name("bundle");
        await api.PostAsync("/api/bundles", CreateBody(name, new JsonObject { [core] = "1.0.0", [tool] = "1.0.0" }), expect: 201);

        await api.PatchAsync($"/api/bundles/{name}", new JsonObject { ["addons"] = new JsonObject { [core] = "2.0.0" } }, expect: 400);
        await api.PatchAsync($"/api/bundles/{name}", new JsonObject { ["addons"] = new JsonObject { [core] = "3.0.0" } }, expect: 400);
        await api.PatchAsync($"/api/bundles/{name}", new JsonObject { ["installerVersion"] = "1.2.0" }, expect: 204);
        await api.PatchAsync($"/api/bundles/{name}?force=true", new JsonObject { ["addons"] = new JsonObject { [core] = "2.0.0" } }, expect: 204);

        var bundle = await BundleAsync(api, name);
        Assert.Equal("2.0.0", bundle["addons"]![core]!.GetValue<string>());
        Assert.Equal("1.0.0", bundle["addons"]![tool]!.GetValue<string>());
        Assert.Equal("1.2.0", bundle["installerVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task patching_or_deleting_an_unknown_bundle_is_not_found_naming_it()
    {
        var api = app.Service();
        var name = Unique.Name("nobundle");

        var patch = await api.PatchAsync($"/api/bundles/{name}", new { isStaging = true }, expect: 404);
        var delete = await api.DeleteAsync($"/api/bundles/{name}", expect: 404);
        await api.PostAsync($"/api/bundles/{name}", new { action = "promote" }, expect: 404);

        Assert.Contains(name, patch["detail"]!.GetValue<string>());
        Assert.Contains(name, delete["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_bundle_is_deleted_but_not_the_production_one()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");
        var production = Unique.Name("bundle");
        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);
        var body = CreateBody(production, []);
        body["isProduction"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);

        await api.DeleteAsync($"/api/bundles/{name}");
        await api.DeleteAsync($"/api/bundles/{production}", expect: 409);

        var names = (await ListAsync(api, archived: true))["bundles"]!.AsArray().Select(b => b!["name"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain(name, names);
        Assert.Contains(production, names);
    }

    [Fact]
    public async Task an_archived_bundle_is_listed_only_when_asked_for()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");
        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);

        await api.PatchAsync($"/api/bundles/{name}", new { isArchived = true }, expect: 204);

        Assert.DoesNotContain((await ListAsync(api))["bundles"]!.AsArray(), b => b!["name"]!.GetValue<string>() == name);
        Assert.True((await BundleAsync(api, name, archived: true))["isArchived"]!.GetValue<bool>());
        await api.PatchAsync($"/api/bundles/{name}", new { isProduction = true }, expect: 400);
    }

    [Fact]
    public async Task an_unknown_action_is_refused_and_only_the_staging_bundle_is_promoted()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");
        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);

        var unknown = await api.PostAsync($"/api/bundles/{name}", new { action = "explode" }, expect: 400);
        await api.PostAsync($"/api/bundles/{name}", new { action = "promote" }, expect: 400);

        Assert.StartsWith("action", unknown["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task every_write_is_an_event_naming_the_bundle()
    {
        var api = app.Service();
        var name = Unique.Name("bundle");

        await api.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);
        await api.PatchAsync($"/api/bundles/{name}", new { isArchived = true }, expect: 204);
        await api.DeleteAsync($"/api/bundles/{name}");

        var topics = await Sql.QueryAsync<string>(app,
            "SELECT topic FROM events WHERE summary->>'name' = @name ORDER BY created_at", new { name });
        Assert.Equal(["bundle.created", "bundle.updated", "bundle.deleted"], topics);
    }
}
