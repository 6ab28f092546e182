using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Actions;

/// <summary>
/// Web actions from the addons' own code: listed per context, executed (a launcher answer becomes a
/// pending <c>action.launcher</c> event and an <c>ayon-launcher://</c> URI), taken once without
/// credentials and finished by the launcher; forms, redirects, per-user options and the actions' ACL.
/// </summary>
public sealed class web_actions(EndpointsApp app) : IClassFixture<EndpointsApp>
{
    sealed record Setup(Api Admin, string Addon, string Bundle, string Project, string TaskId);

    async Task<Setup> SetupAsync()
    {
        var admin = await app.LoginAsync();
        var addon = await app.AddonAsync();
        var bundle = Unique.Name("bundle");
        await app.Service().PostAsync("/api/bundles?force=true", new JsonObject
        {
            ["name"] = bundle,
            ["installerVersion"] = "1.0.0",
            ["isDev"] = true,
            ["addons"] = new JsonObject { [addon] = "1.0.0" },
        }, expect: 201);
        var project = await TestProjects.CreateAsync(app);
        var entities = new EntityBuilder(admin, project);
        var taskId = await entities.CreateAsync("tasks", new { name = "comp", taskType = "Compositing", folderId = await entities.FolderAsync() });
        return new Setup(admin, addon, bundle, project, taskId);
    }

    static object TaskContext(Setup s, bool subtypes = true) => subtypes
        ? new { projectName = s.Project, entityType = "task", entityIds = new[] { s.TaskId }, entitySubtypes = new[] { "Compositing" } }
        : new { projectName = s.Project, entityType = "task", entityIds = new[] { s.TaskId } };

    static string Execute(Setup s, string identifier) =>
        $"/api/actions/execute?addonName={s.Addon}&addonVersion=1.0.0&identifier={identifier}&variant={s.Bundle}";

    [Fact]
    public async Task the_actions_of_a_task_are_listed_with_what_the_launcher_reads()
    {
        var s = await SetupAsync();

        var listed = (await s.Admin.PostAsync($"/api/actions/list?variant={s.Bundle}&mode=all", TaskContext(s)))["actions"]!.AsArray();

        var identifiers = listed.Select(a => a!["identifier"]!.GetValue<string>()).ToList();
        Assert.Equal(["endpoints.launch", "endpoints.form", "endpoints.admin"], identifiers);
        var launch = listed[0]!;
        Assert.Equal(s.Addon, launch["addonName"]!.GetValue<string>());
        Assert.Equal("1.0.0", launch["addonVersion"]!.GetValue<string>());
        Assert.Equal("Launch it", launch["label"]!.GetValue<string>());
        Assert.Equal(1, launch["order"]!.GetValue<int>());
        Assert.Equal("Tests", launch["category"]!.GetValue<string>());
        Assert.Equal($"/api/addons/{s.Addon}/1.0.0/files/icon.svg", launch["icon"]!["url"]!.GetValue<string>());
        Assert.Equal("skip_last_workfile", launch["configFields"]![0]!["name"]!.GetValue<string>());
        using var icon = await s.Admin.Http.GetAsync(launch["icon"]!["url"]!.GetValue<string>());
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task actions_of_another_entity_type_or_subtype_or_variant_are_not_listed()
    {
        var s = await SetupAsync();

        var animation = await s.Admin.PostAsync($"/api/actions/list?variant={s.Bundle}",
            new { projectName = s.Project, entityType = "task", entityIds = new[] { s.TaskId }, entitySubtypes = new[] { "Animation" } });
        var folders = await s.Admin.PostAsync($"/api/actions/list?variant={s.Bundle}",
            new { projectName = s.Project, entityType = "folder", entityIds = new[] { "a", "b" } });
        var otherVariant = await s.Admin.PostAsync($"/api/actions/list?variant={Unique.Name("nobundle")}", TaskContext(s));

        Assert.Equal(["endpoints.form", "endpoints.admin"], animation["actions"]!.AsArray().Select(a => a!["identifier"]!.GetValue<string>()));
        Assert.Equal(["endpoints.redirect"], folders["actions"]!.AsArray().Select(a => a!["identifier"]!.GetValue<string>()));
        Assert.Empty(otherVariant["actions"]!.AsArray());
    }

    [Fact]
    public async Task a_launcher_action_is_executed_taken_once_and_finished_by_its_user()
    {
        var s = await SetupAsync();

        var executed = await s.Admin.SendAsync(HttpMethod.Post, Execute(s, "endpoints.launch"), TaskContext(s, subtypes: false), 200,
            request => request.Headers.Referrer = new Uri("https://ayon.example.com/projects"));
        var uri = executed["payload"]!["uri"]!.GetValue<string>();
        var token = uri[(uri.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        var taken = await app.Anonymous().GetAsync($"/api/actions/take/{token}");
        var again = await app.Anonymous().GetAsync($"/api/actions/take/{token}", expect: 409);
        var eventId = taken["eventId"]!.GetValue<string>();
        var inProgress = await s.Admin.GetAsync($"/api/events/{eventId}");
        await s.Admin.PatchAsync($"/api/events/{eventId}", new { status = "finished" }, expect: 204);
        var finished = await s.Admin.GetAsync($"/api/events/{eventId}");

        Assert.Equal("launcher", executed["type"]!.GetValue<string>());
        Assert.True(executed["success"]!.GetValue<bool>());
        Assert.StartsWith("ayon-launcher://action?server_url=https%3A%2F%2Fayon.example.com&token=", uri, StringComparison.Ordinal);
        Assert.Equal(uri, executed["uri"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{64}$", token);
        Assert.Equal("admin", taken["userName"]!.GetValue<string>());
        Assert.Equal(s.Bundle, taken["variant"]!.GetValue<string>());
        Assert.Equal("endpoints.launch", taken["actionIdentifier"]!.GetValue<string>());
        Assert.Equal(s.Addon, taken["addonName"]!.GetValue<string>());
        Assert.Equal(["addon", "endpoints", "launch", "--project", s.Project, "--task-id", s.TaskId],
            taken["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(s.Project, taken["context"]!["projectName"]!.GetValue<string>());
        Assert.Contains("taken already", again["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("action.launcher", inProgress["topic"]!.GetValue<string>());
        Assert.Equal("in_progress", inProgress["status"]!.GetValue<string>());
        Assert.Equal("finished", finished["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_aborted_action_cannot_be_taken()
    {
        var s = await SetupAsync();
        var executed = await s.Admin.PostAsync(Execute(s, "endpoints.launch"), TaskContext(s, subtypes: false));
        var uri = executed["payload"]!["uri"]!.GetValue<string>();
        var token = uri[(uri.IndexOf("token=", StringComparison.Ordinal) + 6)..];

        await app.Anonymous().PostAsync($"/api/actions/abort/{token}", new { message = "User skipped login in AYON launcher." }, expect: 204);
        await app.Anonymous().GetAsync($"/api/actions/take/{token}", expect: 409);
        await app.Anonymous().GetAsync($"/api/actions/take/{new string('a', 64)}", expect: 404);
        var malformed = await app.Anonymous().GetAsync("/api/actions/take/not-a-token", expect: 400);

        Assert.Contains("token", malformed["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task forms_redirects_and_simple_answers_come_back_in_ayons_shape()
    {
        var s = await SetupAsync();

        var form = await s.Admin.PostAsync(Execute(s, "endpoints.form"), TaskContext(s, subtypes: false));
        var submitted = await s.Admin.PostAsync(Execute(s, "endpoints.form"),
            new { projectName = s.Project, entityType = "task", entityIds = new[] { s.TaskId }, formData = new { answer = "42" } });
        var redirect = await s.Admin.PostAsync(Execute(s, "endpoints.redirect"),
            new { projectName = s.Project, entityType = "folder", entityIds = new[] { "x" } });

        Assert.Equal("form", form["type"]!.GetValue<string>());
        Assert.Equal("A question", form["payload"]!["title"]!.GetValue<string>());
        Assert.Equal("answer", form["payload"]!["fields"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("simple", submitted["type"]!.GetValue<string>());
        Assert.Equal("You said 42", submitted["message"]!.GetValue<string>());
        Assert.Equal("redirect", redirect["type"]!.GetValue<string>());
        Assert.Equal("https://example.com/docs", redirect["payload"]!["uri"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_users_stored_action_options_change_what_the_action_does()
    {
        var s = await SetupAsync();
        var config = $"/api/actions/config?addonName={s.Addon}&addonVersion=1.0.0&identifier=endpoints.launch&variant={s.Bundle}";

        var before = await s.Admin.PostAsync(config, TaskContext(s));
        var set = await s.Admin.PostAsync(config, new
        {
            projectName = s.Project,
            entityType = "task",
            entityIds = new[] { s.TaskId },
            entitySubtypes = new[] { "Compositing" },
            value = new { skip_last_workfile = true },
        });
        var executed = await s.Admin.PostAsync(Execute(s, "endpoints.launch"), TaskContext(s, subtypes: false));
        var uri = executed["payload"]!["uri"]!.GetValue<string>();
        var taken = await app.Anonymous().GetAsync($"/api/actions/take/{uri[(uri.IndexOf("token=", StringComparison.Ordinal) + 6)..]}");

        Assert.Equal("{}", before["value"]!.ToJsonString());
        Assert.Equal(s.Project, set["projectName"]!.GetValue<string>());
        Assert.True(set["value"]!["skip_last_workfile"]!.GetValue<bool>());
        Assert.Equal("--skip-last-workfile", taken["args"]!.AsArray().Last()!.GetValue<string>());
    }

    [Fact]
    public async Task the_actions_acl_and_bad_input_are_refused_naming_the_problem()
    {
        var s = await SetupAsync();
        var artist = await app.ArtistAsync();

        var adminOnly = await artist.PostAsync(Execute(s, "endpoints.admin"), new { }, expect: 403);
        var noProject = await artist.PostAsync($"/api/actions/list?variant={s.Bundle}", TaskContext(s), expect: 403);
        var unknown = await s.Admin.PostAsync(Execute(s, "endpoints.nothing"), TaskContext(s), expect: 404);
        var missing = await s.Admin.PostAsync($"/api/actions/execute?addonVersion=1.0.0&identifier=x", new { }, expect: 400);
        var badMode = await s.Admin.PostAsync($"/api/actions/list?mode=some", new { }, expect: 400);
        var badType = await s.Admin.PostAsync($"/api/actions/list", new { projectName = s.Project, entityType = "shot" }, expect: 400);
        await app.Anonymous().PostAsync("/api/actions/list", new { }, expect: 401);
        var stored = await s.Admin.GetAsync($"/api/actions/storedConfig/{new string('a', 64)}", expect: 403);

        Assert.Equal("Only admins may run endpoints.admin", adminOnly["detail"]!.GetValue<string>());
        Assert.Contains(s.Project, noProject["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("has no action endpoints.nothing", unknown["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("addonName", missing.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("mode", badMode.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("entityType", badType.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("addon host", stored["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
