using System.Net;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Projects;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Folders;

/// <summary>
/// <c>GET /api/projects/{p}/hierarchy</c> is prepared once per state of the project's folders and
/// tasks: an ETag, 304 to a client that has it, and a fresh answer after any folder or task write —
/// told by the project's hierarchy generation, which every transaction writing folders or tasks bumps
/// once as it commits, whatever path it takes.
/// </summary>
public sealed class prepared_hierarchy(AnvilApp app) : IClassFixture<AnvilApp>
{
    static async Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string? etag = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (etag is not null)
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task the_hierarchy_answers_304_to_its_etag_until_a_folder_or_a_task_changes()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync(name: "seq010");
        var path = $"/api/projects/{build.Project}/hierarchy";

        var first = await GetAsync(api.Http, path);
        var etag = first.Headers.ETag?.ToString();
        var unchanged = await GetAsync(api.Http, path, etag);
        await build.TaskAsync(folder, name: "compositing");
        var afterTask = await GetAsync(api.Http, path, etag);
        var body = await afterTask.Content.ReadAsStringAsync();
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{folder}", new { label = "Sequence 10" }, expect: 204);
        var afterFolder = await GetAsync(api.Http, path, afterTask.Headers.ETag?.ToString());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(etag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterTask.StatusCode);
        Assert.Contains("compositing", body);
        Assert.Equal(HttpStatusCode.OK, afterFolder.StatusCode);
        Assert.Contains("Sequence 10", await afterFolder.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task the_types_filter_and_each_readers_access_get_their_own_answer()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        await build.FolderAsync(name: "shot010", folderType: "Shot");
        await build.FolderAsync(name: "chars", folderType: "Asset");
        var path = $"/api/projects/{build.Project}/hierarchy";

        var all = await api.GetAsync(path);
        var shots = await api.GetAsync(path + "?types=Shot");
        var allAgain = await api.GetAsync(path);

        Assert.Equal(2, all["hierarchy"]!.AsArray().Count);
        Assert.Equal("shot010", Assert.Single(shots["hierarchy"]!.AsArray())!["name"]!.GetValue<string>());
        Assert.Equal(2, allAgain["hierarchy"]!.AsArray().Count);
    }

    /// <summary>The answer's ETag now, then whether a request with it after <paramref name="write"/> gets a fresh 200 holding <paramref name="expected"/>.</summary>
    async Task RetiredByAsync(Api api, string path, Func<Task> write, string expected)
    {
        var etag = (await GetAsync(api.Http, path)).Headers.ETag?.ToString();
        Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(api.Http, path, etag)).StatusCode);

        await write();
        var after = await GetAsync(api.Http, path, etag);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Contains(expected, await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_write_through_any_path_retires_the_prepared_hierarchy()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync(name: "seq020", folderType: "Shot");
        var task = await build.TaskAsync(folder, name: "lighting");
        var path = $"/api/projects/{build.Project}/hierarchy";

        await RetiredByAsync(api, path, () => api.PostAsync($"/api/projects/{build.Project}/operations", new
        {
            operations = new[] { new { type = "create", entityType = "folder", data = new { name = "seq030", folderType = "Shot" } } },
        }), "seq030");
        await RetiredByAsync(api, path, () => api.DeleteAsync($"/api/projects/{build.Project}/tasks/{task}"), "\"taskNames\":[]");
        await RetiredByAsync(api, path, async () =>
        {
            var folderTypes = (await api.GetAsync($"/api/projects/{build.Project}"))["folderTypes"]!.AsArray().Select(t => t!.DeepClone().AsObject()).ToList();
            var shot = folderTypes.Single(t => t["name"]!.GetValue<string>() == "Shot");
            shot["original_name"] = "Shot";
            shot["name"] = "Plate";
            await api.PatchAsync($"/api/projects/{build.Project}", new JsonObject { ["folderTypes"] = new JsonArray([.. folderTypes]) }, expect: 204);
        }, "\"folderType\":\"Plate\"");
        await RetiredByAsync(api, path, () => app.InProjectAsync(build.Project, "UPDATE folders SET label = 'Behind the server''s back'"), "Behind the server");
        await RetiredByAsync(api, path, () => api.DeleteAsync($"/api/projects/{build.Project}/folders/{folder}"), "seq030");
    }

    [Fact]
    public async Task a_transaction_bumps_the_generation_once_however_many_rows_it_writes()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var before = long.Parse((await app.ProjectScalarAsync(project, "SELECT generation FROM hierarchy_generation"))!);

        await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = Enumerable.Range(0, 5).Select(i => new { type = "create", entityType = "folder", data = new { name = $"shot{i:000}", folderType = "Shot" } }).ToArray(),
        });
        var after = long.Parse((await app.ProjectScalarAsync(project, "SELECT generation FROM hierarchy_generation"))!);

        Assert.Equal(before + 1, after);
    }

    [Fact]
    public async Task a_project_made_again_under_the_same_name_does_not_get_the_old_answer()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        await new EntityBuilder(api, project).FolderAsync(name: "old_world");
        var path = $"/api/projects/{project}/hierarchy";
        var etag = (await GetAsync(api.Http, path)).Headers.ETag?.ToString();

        await api.DeleteAsync($"/api/projects/{project}", expect: 204);
        await api.PostAsync("/api/projects", new { name = project, code = project }, expect: 201);
        await new EntityBuilder(api, project).FolderAsync(name: "new_world");
        var again = await GetAsync(api.Http, path, etag);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("new_world", await again.Content.ReadAsStringAsync());
    }
}
