using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary><c>versions(featuredOnly: [...])</c>: one version per product, the first kind of the order it has (the products page).</summary>
public sealed class featured_versions(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string Query = """
        query($projectName: String!, $featuredOnly: [String!], $productIds: [String!]) {
          project(name: $projectName) { versions(featuredOnly: $featuredOnly, productIds: $productIds, sortBy: "path", first: 100) { edges { node { id } } } }
        }
        """;

    [Fact]
    public async Task each_product_answers_the_first_kind_of_the_order_it_has()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        async Task<string> VersionAsync(string product, int number, string status = "Pending review") =>
            await build.CreateAsync("versions", new { version = number, productId = product, status });
        var withHero = await build.ProductAsync();
        await VersionAsync(withHero, 1, "Approved");
        var hero = await VersionAsync(withHero, -1);
        await VersionAsync(withHero, 2);
        var withDone = await build.ProductAsync();
        var done = await VersionAsync(withDone, 1, "Approved");
        var newest = await VersionAsync(withDone, 2);
        var plain = await build.ProductAsync();
        await VersionAsync(plain, 1);
        var latest = await VersionAsync(plain, 3);
        var products = new[] { withHero, withDone, plain };

        async Task<string[]> FeaturedAsync(params string[] order) =>
            [.. (await api.QueryAsync(Query, new { projectName = build.Project, featuredOnly = order, productIds = products }))["project"]!["versions"]!["edges"]!
                .AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()).Order()];

        Assert.Equal(new[] { hero, done, latest }.Order(), await FeaturedAsync("hero", "latestDone", "latest"));
        Assert.Equal(new[] { newest, latest }.Append(await LatestOfAsync(api, build.Project, withHero)).Order(), await FeaturedAsync("latest"));
        Assert.Equal(new[] { hero }, await FeaturedAsync("hero"));
        Assert.Equal(new[] { done, await ApprovedOfAsync(api, build.Project, withHero) }.Order(), await FeaturedAsync("latestDone"));
    }

    static async Task<string> LatestOfAsync(Api api, string project, string product) =>
        (await api.QueryAsync("""
            query($projectName: String!, $ids: [String!]) { project(name: $projectName) { versions(productIds: $ids, latestOnly: true) { edges { node { id } } } } }
            """, new { projectName = project, ids = new[] { product } }))["project"]!["versions"]!["edges"]![0]!["node"]!["id"]!.GetValue<string>();

    static async Task<string> ApprovedOfAsync(Api api, string project, string product) =>
        (await api.QueryAsync("""
            query($projectName: String!, $ids: [String!]) { project(name: $projectName) { versions(productIds: $ids, statuses: ["Approved"]) { edges { node { id } } } } }
            """, new { projectName = project, ids = new[] { product } }))["project"]!["versions"]!["edges"]![0]!["node"]!["id"]!.GetValue<string>();
}
