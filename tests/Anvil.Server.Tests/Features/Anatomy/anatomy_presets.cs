using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Anatomy;

/// <summary>The primary preset is global: the classes that set it or deploy from it run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PrimaryPresetCollection
{
    public const string Name = "primary anatomy preset";
}

/// <summary>/api/anatomy: the schema, the built-in anatomy, stored presets and the primary one.</summary>
[Collection(PrimaryPresetCollection.Name)]
public sealed class anatomy_presets(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_built_in_anatomy_has_what_the_client_expects()
    {
        var api = app.Service();

        var builtin = await api.GetAsync("/api/anatomy/presets/_");
        var same = await api.GetAsync("/api/anatomy/presets/__builtin__");
        var list = await api.GetAsync("/api/anatomy/presets");
        var schema = await api.GetAsync("/api/anatomy/schema");

        Assert.Equal(builtin.ToJsonString(), same.ToJsonString());
        Assert.Equal(["Not ready", "Ready to start", "In progress", "Pending review", "Approved", "On hold", "Omitted"],
            builtin["statuses"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
        Assert.All(builtin["statuses"]!.AsArray(), s => Assert.Matches("^#[0-9a-f]{6}$", s!["color"]!.GetValue<string>()));
        Assert.Equal("Matchmove", builtin["task_types"]!.AsArray()[^1]!["name"]!.GetValue<string>());
        Assert.Equal(4, builtin["link_types"]!.AsArray().Count);
        Assert.Equal("work", builtin["roots"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(1001, builtin["attributes"]!["frameStart"]!.GetValue<int>());
        Assert.Equal("1.0.0", list["version"]!.GetValue<string>());
        Assert.Contains(list["presets"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "_");
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.NotNull(schema["properties"]!["statuses"]);
    }

    [Fact]
    public async Task a_preset_is_stored_listed_made_primary_and_deleted()
    {
        var api = app.Service();
        var name = Unique.Name("studio");
        var anatomy = await api.GetAsync("/api/anatomy/presets/_");
        // Other classes deploy from the primary preset meanwhile: this one differs only by an extra root.
        anatomy["roots"]!.AsArray().Add(new JsonObject { ["name"] = "archive", ["linux"] = "/mnt/archive" });

        await api.PutAsync($"/api/anatomy/presets/{name}", anatomy, expect: 204);
        await api.PostAsync($"/api/anatomy/presets/{name}/primary", null, expect: 204);
        try
        {
            var primary = await api.GetAsync("/api/anatomy/presets/__primary__");
            var list = await api.GetAsync("/api/anatomy/presets");
            var project = Unique.Name("FromPrimary");
            await api.PostAsync("/api/projects", new { name = project, code = project }, expect: 201);
            var deployed = await api.GetAsync($"/api/projects/{project}");

            Assert.Equal("/mnt/archive", primary["roots"]![1]!["linux"]!.GetValue<string>());
            Assert.True(list["presets"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!["primary"]!.GetValue<bool>());
            Assert.False(list["presets"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "_")!["primary"]!.GetValue<bool>());
            Assert.Equal("/mnt/archive", deployed["config"]!["roots"]!["archive"]!["linux"]!.GetValue<string>());
        }
        finally
        {
            await api.DeleteAsync($"/api/anatomy/presets/{name}/primary", expect: 204);
        }
        await api.DeleteAsync($"/api/anatomy/presets/{name}", expect: 204);

        await api.GetAsync($"/api/anatomy/presets/{name}", expect: 404);
        Assert.Equal("Not ready", (await api.GetAsync("/api/anatomy/presets/__primary__"))["statuses"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_bad_preset_is_refused_naming_the_field()
    {
        var api = app.Service();
        var anatomy = await api.GetAsync("/api/anatomy/presets/_");
        anatomy["folder_types"] = new JsonArray();
        var duplicateRoots = await api.GetAsync("/api/anatomy/presets/_");
        duplicateRoots["roots"]!.AsArray().Add(new JsonObject { ["name"] = "WORK" });

        var noFolderTypes = await api.PutAsync("/api/anatomy/presets/bad_preset", anatomy, expect: 400);
        var sameRoot = await api.PutAsync("/api/anatomy/presets/bad_preset", duplicateRoots, expect: 400);
        var reserved = await api.PutAsync("/api/anatomy/presets/__primary__", new JsonObject(), expect: 400);
        await app.ArtistAsync().ContinueWith(async artist => await (await artist).PutAsync("/api/anatomy/presets/by_artist", new JsonObject(), expect: 403)).Unwrap();

        Assert.Equal("body.folder_types", Loc(noFolderTypes));
        Assert.Equal("body.roots.1.name", Loc(sameRoot));
        Assert.Equal("body.name", Loc(reserved));
        await api.GetAsync("/api/anatomy/presets/bad_preset", expect: 404);
    }

    static string Loc(JsonNode error) => string.Join('.', error["errors"]![0]!["loc"]!.AsArray().Select(l => l!.ToString()));
}
