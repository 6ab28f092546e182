using System.Net;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Folders;

/// <summary>
/// <c>GET /api/projects/{p}/hierarchy</c> is prepared once per state of the project's folders and
/// tasks: an ETag, 304 to a client that has it, and a fresh answer after any folder or task write.
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
}
