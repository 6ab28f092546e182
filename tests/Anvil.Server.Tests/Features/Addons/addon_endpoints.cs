using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// An instance on a real loopback port (the addon host calls Anvil's API back there) whose addon
/// endpoints may take 3 s, three at a time per user, with bodies of at most 4 MB.
/// </summary>
public class EndpointsApp : AddonsApp
{
    protected override IEnumerable<(string Variable, string Value)> ExtraSettings =>
        [("AYON_ADDON_ENDPOINT_TIMEOUT", "3"), ("AYON_ADDON_ENDPOINT_CONCURRENCY", "3"), ("AYON_ADDON_ENDPOINT_MAX_BODY_SIZE", "4000000")];

    public override async Task InitializeAsync()
    {
        UseKestrel(0);
        await base.InitializeAsync();
    }

    string? _addon;

    /// <summary>The test addon <c>tests/addons/endpoints</c>, installed once under a unique name.</summary>
    public async Task<string> AddonAsync()
    {
        if (_addon is null)
        {
            var name = Unique.Name("endpoints");
            await InstallAsync(Service(), FromSourceTree("endpoints", name));
            _addon = name;
        }
        return _addon;
    }
}

/// <summary>
/// Addon endpoints: every route an addon registers, served under <c>/api/addons/{name}/{version}/</c>
/// by the addon HTTP host behind Anvil's authentication, with the user forwarded and the answer
/// streamed back; a hung or failing endpoint answers 504/502 and takes nothing else down.
/// </summary>
public sealed class addon_endpoints(EndpointsApp app) : IClassFixture<EndpointsApp>
{
    async Task<string> BaseAsync() => $"/api/addons/{await app.AddonAsync()}/1.0.0";

    Task<int> HostPidAsync() => app.Services.GetRequiredService<AddonEndpointHost>().PidAsync(CancellationToken.None);

    [Fact]
    public async Task a_get_reaches_the_addon_with_the_user_forwarded_and_no_credentials()
    {
        var artist = await app.ArtistAsync();
        var me = (await artist.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        var url = await BaseAsync();

        var answer = await artist.SendAsync(HttpMethod.Get, $"{url}/hello?name=you", null, 200,
            request => request.Headers.Add("X-Probe", "probe-1"));

        Assert.Equal("you", answer["hello"]!.GetValue<string>());
        Assert.Equal(me, answer["user"]!.GetValue<string>());
        Assert.False(answer["isAdmin"]!.GetValue<bool>());
        Assert.Equal("probe-1", answer["probe"]!.GetValue<string>());
        Assert.Null(answer["authorization"]);
        Assert.Null(answer["cookie"]);
    }

    [Fact]
    public async Task without_credentials_an_addon_endpoint_answers_401()
    {
        await app.Anonymous().GetAsync($"{await BaseAsync()}/hello", expect: 401);
    }

    [Fact]
    public async Task a_post_body_and_a_path_parameter_reach_the_handler_as_its_model()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        var echo = await admin.PostAsync($"{url}/notes/n-7", new { title = "Shot notes", bodyText = "more light", tags = new[] { "a" } });
        var refused = await admin.PostAsync($"{url}/notes/n-7", new { title = "" }, expect: 422);

        Assert.Equal("""{"userName":"admin","isAdmin":true,"note":{"title":"Shot notes","bodyText":"more light","tags":["a"]},"noteId":"n-7"}""", echo.ToJsonString());
        Assert.Equal("""["body","title"]""", refused["detail"]![0]!["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task path_and_query_parameters_are_converted_to_the_handlers_types()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        var item = await admin.GetAsync($"{url}/items/12?verbose=true");
        var refused = await admin.GetAsync($"{url}/items/twelve", expect: 422);

        Assert.Equal("""{"itemId":12,"verbose":true}""", item.ToJsonString());
        Assert.Equal("""["path","item_id"]""", refused["detail"]![0]!["loc"]!.ToJsonString());
    }

    [Fact]
    public async Task a_file_and_a_generated_stream_are_streamed_back()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        using var file = await admin.Http.GetAsync($"{url}/files/icon.svg");
        using var stream = await admin.Http.GetAsync($"{url}/stream?chunks=4");

        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/svg+xml", file.Content.Headers.ContentType!.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Repository.Root, "tests", "addons", "endpoints", "public", "icon.svg")),
            await file.Content.ReadAsByteArrayAsync());
        Assert.Equal("line 0\nline 1\nline 2\nline 3\n", await stream.Content.ReadAsStringAsync());
        Assert.True(stream.Headers.TransferEncodingChunked == true || stream.Content.Headers.ContentLength is null);
    }

    [Fact]
    public async Task anvils_own_routes_under_the_addon_keep_priority()
    {
        var admin = await app.LoginAsync();

        var settings = await admin.GetAsync($"{await BaseAsync()}/settings");

        Assert.Equal("""{"greeting":"hello"}""", settings.ToJsonString());
    }

    [Fact]
    public async Task an_endpoint_registered_through_a_router_is_served()
    {
        var admin = await app.LoginAsync();

        Assert.Equal("""{"pong":"admin"}""", (await admin.GetAsync($"{await BaseAsync()}/router/ping")).ToJsonString());
    }

    [Fact]
    public async Task unknown_paths_other_methods_failures_and_raw_sql_answer_clear_errors()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        var missing = await admin.GetAsync($"{url}/no/such/route", expect: 404);
        var method = await admin.DeleteAsync($"{url}/hello", expect: 405);
        var failed = await admin.GetAsync($"{url}/fail", expect: 502);
        var sql = await admin.GetAsync($"{url}/sql", expect: 501);
        var notInstalled = await admin.GetAsync($"/api/addons/{Unique.Name("nothing")}/1.0.0/hello", expect: 404);

        Assert.Contains("has no endpoint /no/such/route", missing["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("does not answer DELETE", method["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("ValueError: the endpoint fails on purpose (at server/__init__.py:", failed["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Postgres.fetch is not available in Anvil's addon host", sql["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("is not installed", notInstalled["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_addons_own_access_check_sees_the_forwarded_user()
    {
        var artist = await app.ArtistAsync();
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        var refused = await artist.GetAsync($"{url}/admin", expect: 403);
        var allowed = await admin.GetAsync($"{url}/admin");

        Assert.Equal("Only admins may call this", refused["detail"]!.GetValue<string>());
        Assert.Equal("admin", allowed["admin"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_hung_endpoint_answers_504_and_the_host_keeps_serving_the_others()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();
        var pid = await HostPidAsync();

        var hung = admin.GetAsync($"{url}/hang", expect: 504);
        var watch = Stopwatch.StartNew();
        var meanwhile = await admin.GetAsync($"{url}/hello");
        var elapsed = watch.Elapsed;
        var timedOut = await hung;

        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"another endpoint waited {elapsed} behind the hung one");
        Assert.Equal("world", meanwhile["hello"]!.GetValue<string>());
        Assert.Contains("did not answer within 3 s (AYON_ADDON_ENDPOINT_TIMEOUT)", timedOut["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(pid, await HostPidAsync());
    }

    [Fact]
    public async Task a_user_with_too_many_addon_requests_running_gets_429_and_others_do_not()
    {
        var artist = await app.ArtistAsync();
        var admin = await app.LoginAsync();
        var url = await BaseAsync();

        var hung = Enumerable.Range(0, 3).Select(_ => artist.GetAsync($"{url}/hang", expect: 504)).ToList();
        await Task.Delay(500);
        var refused = await artist.GetAsync($"{url}/hello", expect: 429);
        var other = await admin.GetAsync($"{url}/hello");
        await Task.WhenAll(hung);
        var afterwards = await artist.GetAsync($"{url}/hello");

        Assert.Contains("AYON_ADDON_ENDPOINT_CONCURRENCY", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("world", other["hello"]!.GetValue<string>());
        Assert.Equal("world", afterwards["hello"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_endpoint_that_blocks_the_host_answers_504_and_the_host_is_replaced()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();
        var pid = await HostPidAsync();

        await admin.GetAsync($"{url}/block", expect: 504);
        var after = await admin.GetAsync($"{url}/hello");
        var info = await app.Anonymous().GetAsync("/api/info");

        Assert.Equal("world", after["hello"]!.GetValue<string>());
        Assert.NotEqual(pid, await HostPidAsync());
        Assert.NotNull(info["version"]);
    }

    [Fact]
    public async Task addon_code_reads_settings_and_entities_through_anvil_as_the_forwarded_user()
    {
        var admin = await app.LoginAsync();
        var url = await BaseAsync();
        var project = await TestProjects.CreateAsync(app);
        var entities = new EntityBuilder(admin, project);
        var folderId = await entities.FolderAsync();
        var taskId = await entities.CreateAsync("tasks", new { name = "comp", taskType = "Compositing", folderId });
        var artist = await app.ArtistAsync();

        var greeting = await admin.GetAsync($"{url}/greeting");
        var task = await admin.GetAsync($"{url}/projects/{project}/tasks/{taskId}");
        var refused = await artist.GetAsync($"{url}/projects/{project}/tasks/{taskId}", expect: 403);

        Assert.Equal("hello", greeting["greeting"]!.GetValue<string>());
        Assert.Equal(project, task["project"]!.GetValue<string>());
        Assert.Contains("Compositing", task["taskTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("comp", task["task"]!.GetValue<string>());
        Assert.Equal("Compositing", task["taskType"]!.GetValue<string>());
        Assert.Equal(folderId, task["folderId"]!.GetValue<string>());
        Assert.NotNull(refused["detail"]);
    }

    [Fact]
    public async Task addon_code_dispatches_and_updates_events_through_anvil()
    {
        var admin = await app.LoginAsync();

        var answer = await admin.PostAsync($"{await BaseAsync()}/events", new { description = "from the addon" });

        var id = answer["id"]!.GetValue<string>();
        var stored = await admin.GetAsync($"/api/events/{id}");
        Assert.Equal("finished", answer["status"]!.GetValue<string>());
        Assert.Equal("endpoints.test", stored["topic"]!.GetValue<string>());
        Assert.Equal("done by the addon", stored["description"]!.GetValue<string>());
        Assert.Equal("admin", stored["summary"]!["by"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_host_key_is_required_to_act_as_the_addon_host()
    {
        var forged = app.Anonymous();
        forged.Http.DefaultRequestHeaders.Add("X-Anvil-Host-Key", new string('0', 64));
        forged.Http.DefaultRequestHeaders.Add("X-As-User", "admin");

        var refused = await forged.GetAsync("/api/users/me", expect: 401);

        Assert.Equal("Invalid addon host key", refused["detail"]!.GetValue<string>());
    }
}
