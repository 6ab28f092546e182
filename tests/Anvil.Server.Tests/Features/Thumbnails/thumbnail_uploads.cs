using System.Net.Http.Headers;
using Anvil.Server.Tests.Features.Access;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Thumbnails;

/// <summary>Who may store a thumbnail: uploading is a write, checked as one.</summary>
public sealed class thumbnail_uploads(AccessWorld world) : IClassFixture<AccessWorld>
{
    static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==");

    static async Task<int> UploadAsync(Api api, HttpMethod method, string path)
    {
        var content = new ByteArrayContent(Png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var response = await api.Http.SendAsync(new HttpRequestMessage(method, path) { Content = content });
        return (int)response.StatusCode;
    }

    Task<long> StoredAsync() => Sql.ScalarAsync<long>(world, $"SELECT count(*) FROM project_{world.Project.ToLowerInvariant()}.thumbnails");

    [Fact]
    public async Task a_read_only_member_may_not_upload_a_thumbnail()
    {
        var before = await StoredAsync();

        var free = await UploadAsync(world.Viewer, HttpMethod.Post, $"/api/projects/{world.Project}/thumbnails");
        var byId = await UploadAsync(world.Viewer, HttpMethod.Put, $"/api/projects/{world.Project}/thumbnails/{EntityBuilder.NewId()}");
        var onFolder = await UploadAsync(world.Viewer, HttpMethod.Post, $"/api/projects/{world.Project}/folders/{world.Hero.Folder}/thumbnail");

        Assert.Equal(403, free);
        Assert.Equal(403, byId);
        Assert.Equal(403, onFolder);
        Assert.Equal(before, await StoredAsync());
    }

    [Fact]
    public async Task an_image_refused_for_an_entity_is_not_kept()
    {
        var before = await StoredAsync();

        var refused = await UploadAsync(world.CharsArtist, HttpMethod.Post, $"/api/projects/{world.Project}/versions/{world.Shot.Version}/thumbnail");
        var allowed = await UploadAsync(world.CharsArtist, HttpMethod.Post, $"/api/projects/{world.Project}/versions/{world.Hero.Version}/thumbnail");

        Assert.Equal(404, refused);
        Assert.Equal(201, allowed);
        Assert.Equal(before + 1, await StoredAsync());
    }
}
