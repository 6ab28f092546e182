using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Versions;

/// <summary>Version numbers: integers, unique per product, negative for the one hero.</summary>
public sealed class hero_versions(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_product_has_at_most_one_hero_version()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var product = await build.ProductAsync(name: "modelMain");
        await build.VersionAsync(product, 3);
        var hero = await build.VersionAsync(product, -3);

        var error = await api.PostAsync($"/api/projects/{build.Project}/versions", new { version = -2, productId = product }, expect: 409);
        var heroEntity = await api.GetAsync($"/api/projects/{build.Project}/versions/{hero}");

        Assert.Contains("hero", error["detail"]!.GetValue<string>());
        Assert.Equal("HERO", heroEntity["name"]!.GetValue<string>());
        Assert.EndsWith("/modelMain/HERO", heroEntity["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task version_numbers_are_unique_per_product_and_named_with_three_digits()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var product = await build.ProductAsync();
        var first = await build.VersionAsync(product, 7);

        await api.PostAsync($"/api/projects/{build.Project}/versions", new { version = 7, productId = product }, expect: 409);
        await build.VersionAsync(await build.ProductAsync(), 7);

        Assert.Equal("v007", (await api.GetAsync($"/api/projects/{build.Project}/versions/{first}"))["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("\"a\"")]
    [InlineData("null")]
    [InlineData("1.5")]
    public async Task a_version_must_be_an_integer(string version)
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var product = await build.ProductAsync();

        var error = await api.PostRawAsync($"/api/projects/{build.Project}/versions", $$"""{"version": {{version}}, "productId": "{{product}}"}""", expect: 400);

        Assert.StartsWith("version:", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_author_defaults_to_the_publisher()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));

        var version = await api.GetAsync($"/api/projects/{build.Project}/versions/{await build.VersionAsync()}");

        Assert.Equal("service", version["author"]!.GetValue<string>());
    }

    [Fact]
    public async Task deleting_a_product_deletes_its_versions_and_representations()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var product = await build.ProductAsync();
        var version = await build.VersionAsync(product);
        var representation = await build.RepresentationAsync(version);

        await api.DeleteAsync($"/api/projects/{build.Project}/products/{product}");

        await api.GetAsync($"/api/projects/{build.Project}/versions/{version}", expect: 404);
        await api.GetAsync($"/api/projects/{build.Project}/representations/{representation}", expect: 404);
    }

    [Fact]
    public async Task representation_files_are_checked_and_completed()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var version = await build.VersionAsync();
        var fileId = EntityBuilder.NewId();

        var id = await build.CreateAsync("representations", new { name = "exr", versionId = version, files = new[] { new { id = fileId, path = "/a/b.exr" } } });
        var bad = await api.PostAsync($"/api/projects/{build.Project}/representations",
            new { name = "mov", versionId = version, files = new[] { new { id = fileId, path = "/a/b.mov", hashType = "crc" } } }, expect: 400);

        var file = (await api.GetAsync($"/api/projects/{build.Project}/representations/{id}"))["files"]![0]!;
        Assert.Equal(0, file["size"]!.GetValue<int>());
        Assert.Equal("md5", file["hashType"]!.GetValue<string>());
        Assert.StartsWith("files.0.hashType:", bad["detail"]!.GetValue<string>());
    }
}
