using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>Node fields of AYON's schema the client may ask for beyond its defaults.</summary>
public sealed class reference_fields(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task products_list_their_versions_and_thumbnail_hashes_follow_the_thumbnail()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync(name: "withthumb");
        var product = await build.ProductAsync(folder, "modelMain");
        await build.VersionAsync(product, 1);
        await build.VersionAsync(product, 2);
        await build.VersionAsync(product, -2);
        var thumbnail = EntityBuilder.NewId();
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
        var content = new ByteArrayContent(png);
        content.Headers.ContentType = new("image/png");
        await api.Http.PutAsync($"/api/projects/{build.Project}/thumbnails/{thumbnail}", content);
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{folder}", new { thumbnailId = thumbnail }, expect: 204);

        var data = await api.QueryAsync("""
            query($projectName: String!) {
              project(name: $projectName) {
                products { edges { node { name versionList { id version name } } } }
                folders { edges { node { name thumbnailHash } } }
              }
              me { isDeveloper }
            }
            """, new { projectName = build.Project });

        var versions = data["project"]!["products"]!["edges"]![0]!["node"]!["versionList"]!.AsArray();
        Assert.Equal(["HERO", "v001", "v002"], versions.Select(v => v!["name"]!.GetValue<string>()));
        Assert.Equal([-2, 1, 2], versions.Select(v => v!["version"]!.GetValue<int>()));
        Assert.Equal(thumbnail, data["project"]!["folders"]!["edges"]![0]!["node"]!["thumbnailHash"]!.GetValue<string>());
        Assert.False(data["me"]!["isDeveloper"]!.GetValue<bool>());
    }
}
