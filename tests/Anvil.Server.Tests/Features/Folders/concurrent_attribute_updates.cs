using System.Collections.Concurrent;
using System.Net.Http.Json;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Folders;

/// <summary>Attribute writes on overlapping subtrees at once: each waits its turn, none deadlocks.</summary>
public sealed class concurrent_attribute_updates(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task many_concurrent_updates_of_overlapping_subtrees_all_succeed_and_the_last_value_is_inherited()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var chain = new List<string>();
        string? parent = null;
        for (var level = 0; level < 4; level++)
        {
            parent = await build.FolderAsync(parent);
            chain.Add(parent);
            for (var leaf = 0; leaf < 5; leaf++)
                await build.FolderAsync(parent);
        }
        var failures = new ConcurrentBag<string>();

        async Task WorkAsync(int worker)
        {
            var http = app.Service().Http;
            for (var i = 0; i < 15; i++)
            {
                // Single writes on one folder, and batches touching a parent and a child in both orders.
                var order = (worker + i) % 2 == 0 ? chain : Enumerable.Reverse(chain).ToList();
                var response = i % 3 == 0
                    ? await http.PatchAsJsonAsync($"/api/projects/{build.Project}/folders/{chain[(worker + i) % chain.Count]}",
                        new { attrib = new { frameStart = 1000 + i } })
                    : await http.PostAsJsonAsync($"/api/projects/{build.Project}/operations", new
                    {
                        operations = order.Select(id => new { type = "update", entityType = "folder", entityId = id, data = new { attrib = new { fps = 20.0 + worker, frameStart = 1000 + i } } }),
                    });
                var body = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode || body.Contains("\"success\":false", StringComparison.Ordinal))
                    failures.Add($"{(int)response.StatusCode} {body}");
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(WorkAsync));

        Assert.Empty(failures);
        await api.PatchAsync($"/api/projects/{build.Project}/folders/{chain[0]}", new { attrib = new { fps = 12.5 } }, expect: 204);
        var deepest = await api.GetAsync($"/api/projects/{build.Project}/folders/{chain[^1]}");
        Assert.Equal(12.5, chain.Skip(1).Any() ? await OwnOrInheritedFpsAsync(api, build.Project, chain) : 12.5);
        Assert.NotNull(deepest["attrib"]);
    }

    /// <summary>The fps the deepest folder would inherit from the root when no folder between sets its own.</summary>
    static async Task<double> OwnOrInheritedFpsAsync(Api api, string project, List<string> chain)
    {
        foreach (var id in chain.Skip(1))
            await api.PatchAsync($"/api/projects/{project}/folders/{id}", new { attrib = new { fps = (double?)null } }, expect: 204);
        return (await api.GetAsync($"/api/projects/{project}/folders/{chain[^1]}"))["attrib"]!["fps"]!.GetValue<double>();
    }
}
