using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Services;

/// <summary>Services and the hosts (ASH) that run them: declared by admins, reported and fetched by heartbeats.</summary>
public sealed class service_hosts(Addons.AddonsApp app) : IClassFixture<Addons.AddonsApp>
{
    const string Services = """
        services = {
            "leecher": {"image": "ynput/ayon-test-leecher:1.0.0"},
            "processor": {"image": "ynput/ayon-test-processor:1.0.0"},
        }
        """;

    async Task<string> AddonAsync()
    {
        var name = TestUsers.Unique("svcaddon");
        await InstallAsync(app.Service(), Zip(("package.py", PackagePy(name, "1.0.0", Services)), ("server/__init__.py", PlainServer)));
        return name;
    }

    static object Spawn(string addon, string service, string hostname, object? config = null) =>
        new { addonName = addon, addonVersion = "1.0.0", service, hostname, config };

    static JsonObject Named(JsonNode list, string name) =>
        list.AsArray().Single(s => s!["name"]!.GetValue<string>() == name)!.AsObject();

    [Fact]
    public async Task an_ash_heartbeat_answers_the_services_that_should_run_on_its_host()
    {
        var addon = await AddonAsync();
        var host = TestUsers.Unique("host-");
        var (leecher, processor, stopped, elsewhere) = (TestUsers.Unique("leech"), TestUsers.Unique("proc"), TestUsers.Unique("stop"), TestUsers.Unique("other"));
        var admin = await app.LoginAsync();
        await admin.PutAsync($"/api/services/{leecher}", Spawn(addon, "leecher", host, new JsonObject { ["env"] = new JsonObject { ["FTRACK_SERVER"] = "https://ftrack.example" }, ["memLimit"] = "1g" }), expect: 204);
        await admin.PutAsync($"/api/services/{processor}", Spawn(addon, "processor", host), expect: 204);
        await admin.PutAsync($"/api/services/{stopped}", Spawn(addon, "processor", host), expect: 204);
        await admin.PatchAsync($"/api/services/{stopped}", new { shouldRun = false }, expect: 204);
        await admin.PutAsync($"/api/services/{elsewhere}", Spawn(addon, "leecher", TestUsers.Unique("host-")), expect: 204);

        // As ASH sends it: its own service user's key, the running containers' names.
        var answer = await app.Service().PostAsync("/api/hosts/heartbeat",
            new { hostname = host, health = new { cpu = 12.5, mem = 40 }, services = new[] { leecher, "orphan-container" } });

        var services = answer["services"]!.AsArray();
        Assert.Equal(new[] { leecher, processor }.Order(), services.Select(s => s!["name"]!.GetValue<string>()).Order());
        var first = Named(services, leecher);
        foreach (var field in new[] { "name", "hostname", "addonName", "addonVersion", "service", "shouldRun", "isRunning", "data" })
            Assert.True(first.ContainsKey(field), $"the heartbeat's service lacks {field}: {first.ToJsonString()}");
        Assert.Equal("ynput/ayon-test-leecher:1.0.0", first["data"]!["image"]!.GetValue<string>());
        Assert.Equal("https://ftrack.example", first["data"]!["env"]!["FTRACK_SERVER"]!.GetValue<string>());
        Assert.Equal("1g", first["data"]!["memLimit"]!.GetValue<string>());
        Assert.Equal(addon, first["addonName"]!.GetValue<string>());
        Assert.Equal("leecher", first["service"]!.GetValue<string>());

        var listed = (await admin.GetAsync("/api/services"))["services"]!;
        Assert.True(Named(listed, leecher)["isRunning"]!.GetValue<bool>());
        Assert.NotNull(Named(listed, leecher)["lastSeen"]);
        Assert.False(Named(listed, processor)["isRunning"]!.GetValue<bool>());
        Assert.Null(Named(listed, processor)["lastSeen"]);
        Assert.False(Named(listed, stopped)["shouldRun"]!.GetValue<bool>());
        var hosts = (await admin.GetAsync("/api/hosts"))["hosts"]!;
        var reported = Named(hosts, host);
        Assert.Equal(12.5, reported["health"]!["cpu"]!.GetValue<double>());
        Assert.NotNull(reported["lastSeen"]);
    }

    [Fact]
    public async Task a_service_stopped_moved_or_deleted_is_no_longer_answered_to_its_host()
    {
        var addon = await AddonAsync();
        var host = TestUsers.Unique("host-");
        var (stopped, moved, deleted) = (TestUsers.Unique("a"), TestUsers.Unique("b"), TestUsers.Unique("c"));
        var admin = await app.LoginAsync();
        foreach (var name in new[] { stopped, moved, deleted })
            await admin.PutAsync($"/api/services/{name}", Spawn(addon, "leecher", host), expect: 204);
        var ash = app.Service();
        Assert.Equal(3, (await ash.PostAsync("/api/hosts/heartbeat", new { hostname = host, services = new[] { stopped, moved, deleted } }))["services"]!.AsArray().Count);

        await admin.PatchAsync($"/api/services/{stopped}", new { shouldRun = false }, expect: 204);
        await admin.PatchAsync($"/api/services/{moved}", new { hostname = "somewhere-else" }, expect: 204);
        await admin.DeleteAsync($"/api/services/{deleted}");
        var answer = await ash.PostAsync("/api/hosts/heartbeat", new { hostname = host, services = new[] { stopped } });

        Assert.Empty(answer["services"]!.AsArray());
        var listed = (await admin.GetAsync("/api/services"))["services"]!;
        Assert.False(Named(listed, moved)["isRunning"]!.GetValue<bool>());
        Assert.Equal("somewhere-else", Named(listed, moved)["hostname"]!.GetValue<string>());
        Assert.DoesNotContain(listed.AsArray(), s => s!["name"]!.GetValue<string>() == deleted);
        await admin.DeleteAsync($"/api/services/{deleted}", expect: 404);
    }

    [Fact]
    public async Task a_service_must_be_one_the_installed_addon_version_declares()
    {
        var addon = await AddonAsync();
        var admin = await app.LoginAsync();
        var name = TestUsers.Unique("svc");

        var unknownService = await admin.PutAsync($"/api/services/{name}", Spawn(addon, "transmitter", "host"), expect: 400);
        await admin.PutAsync($"/api/services/{name}", new { addonName = addon, addonVersion = "9.9.9", service = "leecher", hostname = "host" }, expect: 404);
        var noHost = await admin.PutAsync($"/api/services/{name}", new { addonName = addon, addonVersion = "1.0.0", service = "leecher" }, expect: 400);
        var badConfig = await admin.PutAsync($"/api/services/{name}", Spawn(addon, "leecher", "host", new { volumes = "/a:/b" }), expect: 400);
        await admin.PutAsync("/api/services/bad%20name", Spawn(addon, "leecher", "host"), expect: 400);

        Assert.Contains("leecher, processor", unknownService["detail"]!.GetValue<string>());
        Assert.Equal(["body", "hostname"], noHost["errors"]![0]!["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(["body", "config", "volumes"], badConfig["errors"]![0]!["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        await admin.PatchAsync($"/api/services/{name}", new { shouldRun = true }, expect: 404);
    }

    [Fact]
    public async Task only_admins_manage_services_and_only_service_users_send_heartbeats()
    {
        var addon = await AddonAsync();
        var artist = await app.ArtistAsync();
        var manager = await app.ArtistAsync(new JsonObject { ["isManager"] = true });
        var admin = await app.LoginAsync();

        await artist.GetAsync("/api/services", expect: 403);
        await manager.PutAsync($"/api/services/{TestUsers.Unique("svc")}", Spawn(addon, "leecher", "host"), expect: 403);
        await manager.GetAsync("/api/hosts", expect: 403);
        await admin.PostAsync("/api/hosts/heartbeat", new { hostname = "host" }, expect: 403);
        await app.Service().PostAsync("/api/hosts/heartbeat", new { health = new { cpu = 1 } }, expect: 400);
        await app.Anonymous().GetAsync("/api/services", expect: 401);
    }
}
