using System.Net.Http.Headers;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Thumbnails;

public sealed class thumbnails(AnvilApp app) : IClassFixture<AnvilApp>
{
    /// <summary>A real 2×2 PNG, with some bytes after the header that must come back unchanged.</summary>
    static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==");

    static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0xFF, 0xD9];

    static async Task<HttpResponseMessage> UploadAsync(Api api, string path, byte[] bytes, string contentType = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await api.Http.PostAsync(path, content);
    }

    [Fact]
    public async Task the_client_flow_round_trips_the_exact_bytes()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var upload = await UploadAsync(api, $"/api/projects/{project}/thumbnails", Png);
        var thumbnailId = System.Text.Json.Nodes.JsonNode.Parse(await upload.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var folderId = EntityBuilder.NewId();
        await api.PostAsync($"/api/projects/{project}/folders", new { id = folderId, name = "my_test_folder", thumbnailId }, expect: 201);

        var response = await api.Http.GetAsync($"/api/projects/{project}/folders/{folderId}/thumbnail");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(201, (int)upload.StatusCode);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(thumbnailId, response.Headers.GetValues("X-Thumbnail-Id").Single());
        Assert.Equal(Png, bytes);
        Assert.Equal(Png.Length, response.Content.Headers.ContentLength);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task the_image_type_is_read_from_the_bytes_not_the_header()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        var upload = await UploadAsync(api, $"/api/projects/{project}/thumbnails", Jpeg, "application/json");
        var id = System.Text.Json.Nodes.JsonNode.Parse(await upload.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var response = await api.Http.GetAsync($"/api/projects/{project}/thumbnails/{id}");

        Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Jpeg, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task anything_but_png_or_jpeg_answers_415()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        var response = await UploadAsync(api, $"/api/projects/{project}/thumbnails", "GIF89a not really"u8.ToArray(), "image/gif");

        Assert.Equal(415, (int)response.StatusCode);
        Assert.Contains("PNG or JPEG", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task an_entity_without_a_thumbnail_answers_a_placeholder_with_203_or_404_on_request()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync();

        var placeholder = await api.Http.GetAsync($"/api/projects/{build.Project}/folders/{folder}/thumbnail");
        var none = await api.Http.GetAsync($"/api/projects/{build.Project}/folders/{folder}/thumbnail?placeholder=none");

        Assert.Equal(203, (int)placeholder.StatusCode);
        Assert.False(placeholder.Headers.Contains("X-Thumbnail-Id"));
        Assert.NotNull(placeholder.Content.Headers.ContentLength);
        Assert.Equal(404, (int)none.StatusCode);
    }

    [Fact]
    public async Task a_folder_falls_back_to_the_thumbnail_of_its_latest_version()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync();
        var version = await build.VersionAsync(await build.ProductAsync(folder));
        var upload = await UploadAsync(api, $"/api/projects/{build.Project}/versions/{version}/thumbnail", Png);
        var thumbnailId = System.Text.Json.Nodes.JsonNode.Parse(await upload.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var response = await api.Http.GetAsync($"/api/projects/{build.Project}/folders/{folder}/thumbnail");
        var versionEntity = await api.GetAsync($"/api/projects/{build.Project}/versions/{version}");

        Assert.Equal(thumbnailId, response.Headers.GetValues("X-Thumbnail-Id").Single());
        Assert.Equal(thumbnailId, versionEntity["thumbnailId"]!.GetValue<string>());
    }

    [Fact]
    public async Task put_stores_an_image_under_a_chosen_id()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var id = EntityBuilder.NewId();
        var content = new ByteArrayContent(Png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        var put = await api.Http.PutAsync($"/api/projects/{project}/thumbnails/{id}", content);
        var response = await api.Http.GetAsync($"/api/projects/{project}/thumbnails/{id}");

        Assert.Equal(204, (int)put.StatusCode);
        Assert.Equal(Png, await response.Content.ReadAsByteArrayAsync());
    }
}
