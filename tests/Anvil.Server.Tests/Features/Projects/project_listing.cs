using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>GET /api/projects with AYON's listing parameters.</summary>
public sealed class project_listing(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task projects_are_filtered_ordered_and_paged()
    {
        var api = app.Service();
        var stem = Unique.Name("List");
        foreach (var (suffix, library) in new[] { ("a", false), ("b", true), ("c", false) })
            await api.PostAsync("/api/projects", new { name = stem + suffix, code = stem + suffix, library, color = "#ff0000" }, expect: 201);
        await api.PatchAsync($"/api/projects/{stem}c", new { active = false }, expect: 204);

        var all = await api.GetAsync($"/api/projects?name={stem}");
        var active = await api.GetAsync($"/api/projects?name={stem}&active=true");
        var libraries = await api.GetAsync($"/api/projects?name={stem}&library=true");
        var paged = await api.GetAsync($"/api/projects?name={stem}&order=name&desc=true&page=2&length=1");
        var bad = await api.GetAsync("/api/projects?order=colour", expect: 400);

        Assert.Equal([stem + "a", stem + "b", stem + "c"], project_deploy.Names(all["projects"]));
        Assert.Equal(3, all["count"]!.GetValue<int>());
        Assert.Equal([stem + "a", stem + "b"], project_deploy.Names(active["projects"]));
        Assert.Equal([stem + "b"], project_deploy.Names(libraries["projects"]));
        Assert.Equal([stem + "b"], project_deploy.Names(paged["projects"]));
        var item = all["projects"]![0]!;
        Assert.Equal(stem + "a", item["code"]!.GetValue<string>());
        Assert.Equal("#ff0000", item["color"]!.GetValue<string>());
        Assert.False(item["skeleton"]!.GetValue<bool>());
        Assert.NotNull(item["createdAt"]);
        Assert.Equal("order", bad["errors"]![0]!["loc"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task roots_and_site_roots_follow_the_anatomy_and_the_callers_overrides()
    {
        var api = app.Service();
        var name = Unique.Name("Roots");
        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);

        var none = await api.GetAsync($"/api/projects/{name}/roots");
        await api.PutAsync($"/api/projects/{name}/roots/studio-a", new { work = "/mnt/override" }, expect: 204);
        var overrides = await api.GetAsync($"/api/projects/{name}/roots");
        var linux = await api.GetAsync($"/api/projects/{name}/siteRoots?platform=linux");
        var windowsAtSite = await api.SendAsync(HttpMethod.Get, $"/api/projects/{name}/siteRoots?platform=windows", null, 200,
            r => r.Headers.Add("x-ayon-site-id", "studio-a"));
        var unknownRoot = await api.PutAsync($"/api/projects/{name}/roots/studio-a", new { nope = "/x" }, expect: 400);
        var productTypes = await api.GetAsync($"/api/projects/{name}/productTypes");

        Assert.Empty(none.AsObject());
        Assert.Equal("/mnt/override", overrides["studio-a"]!["work"]!.GetValue<string>());
        Assert.Equal("/mnt/share/projects", linux["work"]!.GetValue<string>());
        Assert.Equal("/mnt/override", windowsAtSite["work"]!.GetValue<string>());
        Assert.Equal("nope", unknownRoot["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Empty(productTypes["productTypes"]!.AsArray());
    }
}
