using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Anatomy;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>
/// The official client's project fixture (contract §6.1) and the project half of its
/// <c>test_rename_status</c> (§6.5), replayed request by request, so CI guards them.
/// </summary>
[Collection(PrimaryPresetCollection.Name)]
public sealed class client_project_fixture(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task create_patch_rename_statuses_and_delete_as_the_client_does()
    {
        var api = app.Service();
        var name = Unique.Name("AYONApiTestProject");
        var code = Unique.Name("AYTP");

        // create_project: must not exist, then the primary preset goes back verbatim as `anatomy`.
        await api.GetAsync($"/api/projects/{name}", expect: 404);
        await api.GetAsync("/api/info");
        var preset = await api.GetAsync("/api/anatomy/presets/__primary__");
        await api.PostAsync("/api/projects", new { name, code, anatomy = preset, library = false, data = new { } }, expect: 201);
        await api.GetAsync($"/api/projects/{name}");
        await api.GetAsync("/api/attributes");
        await api.PatchAsync($"/api/projects/{name}", new
        {
            folderTypes = new object[]
            {
                new { name = "Folder", icon = "folder", shortName = "" },
                new { name = "Episode", icon = "live_tv", shortName = "" },
                new { name = "Sequence", icon = "theaters", shortName = "" },
                new { name = "Shot", icon = "movie", shortName = "" },
            },
        }, expect: 204);
        var project = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(["Folder", "Episode", "Sequence", "Shot"], project_deploy.Names(project["folderTypes"]));
        Assert.Equal("Matchmove", project["taskTypes"]!.AsArray()[^1]!["name"]!.GetValue<string>());
        Assert.NotNull(project["ownAttrib"]);
        Assert.All(project["statuses"]!.AsArray(), s =>
        {
            Assert.Contains(s!["state"]!.GetValue<string>(), new[] { "not_started", "in_progress", "done", "blocked" });
            Assert.Matches("^#[0-9a-f]{6}$", s["color"]!.GetValue<string>().ToLowerInvariant());
        });
        Assert.Contains(project["statuses"]!.AsArray(), s => s!["scope"]!.AsArray().Any(x => x!.GetValue<string>() == "version"));
        Assert.Contains(project["statuses"]!.AsArray(), s => s!["scope"]!.AsArray().All(x => x!.GetValue<string>() != "version"));

        // test_rename_status: EntityHub sends the full list, renamed items carrying original_name.
        var original = project_deploy.Names(project["statuses"]).ToList();
        await api.PatchAsync($"/api/projects/{name}", new JsonObject { ["statuses"] = Renamed(project["statuses"]!, n => "new_" + n) }, expect: 204);
        var renamed = await api.GetAsync($"/api/projects/{name}");
        await api.PatchAsync($"/api/projects/{name}", new JsonObject { ["statuses"] = Renamed(renamed["statuses"]!, n => n["new_".Length..]) }, expect: 204);
        var back = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(original.Select(n => "new_" + n), project_deploy.Names(renamed["statuses"]));
        Assert.Equal(original, project_deploy.Names(back["statuses"]));

        // Teardown: GET then DELETE (exactly 204), after which the project is gone.
        await api.GetAsync($"/api/projects/{name}");
        await api.DeleteAsync($"/api/projects/{name}", expect: 204);
        await api.GetAsync($"/api/projects/{name}", expect: 404);
    }

    static JsonArray Renamed(JsonNode statuses, Func<string, string> rename) => new([.. statuses.AsArray().Select(s =>
    {
        var old = s!["name"]!.GetValue<string>();
        return (JsonNode)new JsonObject
        {
            ["name"] = rename(old),
            ["shortName"] = s["shortName"]!.DeepClone(),
            ["state"] = s["state"]!.DeepClone(),
            ["icon"] = s["icon"]!.DeepClone(),
            ["color"] = s["color"]!.DeepClone(),
            ["scope"] = s["scope"]!.DeepClone(),
            ["original_name"] = old,
        };
    })]);
}
