using Anvil.Server.Tests.Features.Access;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Representations;

/// <summary><c>POST /api/projects/{p}/repreContextFilter</c>, as the client's <c>get_repre_ids_by_context_filters</c> calls it.</summary>
public sealed class representation_context_filter(AccessWorld world) : IClassFixture<AccessWorld>
{
    async Task<string> RepresentationAsync(string versionId, string name, string task, string product) =>
        await new EntityBuilder(world.Service(), world.Project).CreateAsync("representations", new
        {
            name,
            versionId,
            data = new { context = new { task = new { name = task }, product = new { name = product }, version = 3 } },
        });

    static List<string> Ids(System.Text.Json.Nodes.JsonNode response) => [.. response["ids"]!.AsArray().Select(i => i!.GetValue<string>())];

    [Fact]
    public async Task representations_are_found_by_context_patterns_names_and_versions()
    {
        var animation = await RepresentationAsync(world.Hero.Version, "abc", "Animation", "modelMain");
        var layout = await RepresentationAsync(world.Hero.Version, "ma", "layout", "modelMain");
        var other = await RepresentationAsync(world.Shot.Version, "abc", "animation", "rigMain");
        var path = $"/api/projects/{world.Project}/repreContextFilter";
        var api = world.Service();

        var byTask = Ids(await api.PostAsync(path, new { context = new[] { new { key = "task.name", values = new[] { "[aA]nimation" } } } }));
        var byBoth = Ids(await api.PostAsync(path, new
        {
            context = new object[] { new { key = "task.name", values = new[] { "[aA]nimation", "layout" } }, new { key = "product.name", values = new[] { ".*[Mm]ain" } } },
            names = new[] { "abc" },
        }));
        var byVersion = Ids(await api.PostAsync(path, new { context = new[] { new { key = "version", values = new[] { "3" } } }, versionIds = new[] { world.Hero.Version }, names = new[] { "abc", "ma" } }));
        var none = Ids(await api.PostAsync(path, new { context = new[] { new { key = "task.name", values = new[] { "compositing" } } } }));

        Assert.Equal([animation, other], byTask);
        Assert.Equal([animation, other], byBoth);
        Assert.Equal([animation, layout], byVersion);
        Assert.Empty(none);
    }

    [Fact]
    public async Task users_find_only_representations_they_may_read()
    {
        var hero = await RepresentationAsync(world.Hero.Version, "exr", "comp", "renderMain");
        await RepresentationAsync(world.Shot.Version, "exr", "comp", "renderMain");
        var body = new { context = new[] { new { key = "task.name", values = new[] { "comp" } } } };

        var found = Ids(await world.CharsArtist.PostAsync($"/api/projects/{world.Project}/repreContextFilter", body));
        await world.Outsider.PostAsync($"/api/projects/{world.Project}/repreContextFilter", body, expect: 403);

        Assert.Equal([hero], found);
    }

    [Fact]
    public async Task a_bad_pattern_names_its_field()
    {
        var error = await world.Service().PostAsync($"/api/projects/{world.Project}/repreContextFilter",
            new { context = new[] { new { key = "task.name", values = new[] { "([" } } } }, expect: 400);

        Assert.StartsWith("context.0.values", error["detail"]!.GetValue<string>());
    }
}
