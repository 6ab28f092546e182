using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>POST /api/projects: deploying from the built-in anatomy, a preset or a given anatomy, and what is refused.</summary>
public sealed class project_deploy(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_project_deployed_without_anatomy_gets_the_built_in_one_in_ayons_shape()
    {
        var api = app.Service();
        var name = Unique.Name("Deploy");

        await api.PostAsync("/api/projects", new { name, code = name + "c" }, expect: 201);
        var project = await api.GetAsync($"/api/projects/{name.ToLowerInvariant()}");

        Assert.Equal(name, project["name"]!.GetValue<string>());
        Assert.Equal(name + "c", project["code"]!.GetValue<string>());
        Assert.False(project["library"]!.GetValue<bool>());
        Assert.True(project["active"]!.GetValue<bool>());
        Assert.Equal(["Folder", "Library", "Asset", "Episode", "Sequence", "Shot"], Names(project["folderTypes"]));
        Assert.Equal("Matchmove", project["taskTypes"]!.AsArray()[^1]!["name"]!.GetValue<string>());
        var first = project["statuses"]!.AsArray()[0]!;
        Assert.Equal("Not ready", first["name"]!.GetValue<string>());
        Assert.Equal("NRD", first["shortName"]!.GetValue<string>());
        Assert.Equal("not_started", first["state"]!.GetValue<string>());
        Assert.Equal("#3d444f", first["color"]!.GetValue<string>());
        Assert.Equal("fiber_new", first["icon"]!.GetValue<string>());
        Assert.Equal(["folder", "product", "task"], first["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(7, project["statuses"]!.AsArray().Count);
        Assert.Equal(["important", "for reel"], Names(project["tags"]));
        var reference = project["linkTypes"]!.AsArray().Single(l => l!["name"]!.GetValue<string>() == "reference|version|version")!;
        Assert.Equal("reference", reference["linkType"]!.GetValue<string>());
        Assert.Equal("solid", reference["data"]!["style"]!.GetValue<string>());
        Assert.Equal("/mnt/share/projects", project["config"]!["roots"]!["work"]!["linux"]!.GetValue<string>());
        Assert.Equal(3, project["config"]!["templates"]!["common"]!["version_padding"]!.GetValue<int>());
        Assert.NotNull(project["config"]!["templates"]!["publish"]!["default"]);
        Assert.Equal(1001, project["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.Contains("fps", project["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.NotNull(project["data"]!.AsObject());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", project["createdAt"]!.GetValue<string>());
        Assert.NotNull(project["updatedAt"]);
    }

    [Fact]
    public async Task a_project_deployed_from_a_named_preset_takes_its_anatomy()
    {
        var api = app.Service();
        var preset = Unique.Name("preset");
        var anatomy = await api.GetAsync("/api/anatomy/presets/_");
        anatomy["statuses"] = new JsonArray(
            new JsonObject { ["name"] = "Waiting", ["shortName"] = "WAIT", ["state"] = "not_started", ["color"] = "#112233" },
            new JsonObject { ["name"] = "Final", ["state"] = "done", ["scope"] = new JsonArray("version") });
        anatomy["attributes"]!["fps"] = 48.0;
        await api.PutAsync($"/api/anatomy/presets/{preset}", anatomy, expect: 204);
        var name = Unique.Name("FromPreset");

        await api.PostAsync("/api/projects", new { name, code = name, anatomyPreset = preset }, expect: 201);
        var project = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(["Waiting", "Final"], Names(project["statuses"]));
        Assert.Equal(["folder", "product", "version", "representation", "task", "workfile"],
            project["statuses"]!.AsArray()[0]!["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(48.0, project["attrib"]!["fps"]!.GetValue<double>());
    }

    [Fact]
    public async Task a_project_deployed_with_an_anatomy_object_keeps_it_as_the_client_sends_it()
    {
        var api = app.Service();
        var anatomy = await api.GetAsync("/api/anatomy/presets/__builtin__");
        anatomy["folder_types"] = new JsonArray(new JsonObject { ["name"] = "Set", ["icon"] = "chair", ["original_name"] = "Set" });
        var name = Unique.Name("WithAnatomy");

        await api.PostAsync("/api/projects", new { name, code = name, anatomy, library = true, data = new { } }, expect: 201);
        var project = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(["Set"], Names(project["folderTypes"]));
        Assert.Equal("chair", project["folderTypes"]!.AsArray()[0]!["icon"]!.GetValue<string>());
        Assert.True(project["library"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("with-dash")]
    [InlineData("with.dot")]
    [InlineData("with space")]
    [InlineData("")]
    [InlineData("a_name_far_too_long_to_be_a_postgres_schema_name_at_all_xyz")]
    public async Task a_name_that_cannot_be_a_schema_is_refused_naming_the_field(string name)
    {
        var error = await app.Service().PostAsync("/api/projects", new { name, code = "okcode" }, expect: 400);

        Assert.Equal("name", error["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal(400, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_bad_code_or_a_bad_anatomy_is_refused_naming_the_field()
    {
        var api = app.Service();
        var name = Unique.Name("Bad");
        var anatomy = await api.GetAsync("/api/anatomy/presets/_");
        anatomy["statuses"]![1]!["state"] = "sleeping";
        var noDefault = await api.GetAsync("/api/anatomy/presets/_");
        noDefault["templates"]!["work"] = new JsonArray(new JsonObject { ["name"] = "other" });
        var badAttribute = await api.GetAsync("/api/anatomy/presets/_");
        badAttribute["attributes"]!["resolutionWidth"] = "wide";

        var badCode = await api.PostAsync("/api/projects", new { name, code = "no-dash" }, expect: 400);
        var badState = await api.PostAsync("/api/projects", new { name, code = name, anatomy }, expect: 400);
        var badTemplates = await api.PostAsync("/api/projects", new { name, code = name, anatomy = noDefault }, expect: 400);
        var badValue = await api.PostAsync("/api/projects", new { name, code = name, anatomy = badAttribute }, expect: 400);
        var badPreset = await api.PostAsync("/api/projects", new { name, code = name, anatomyPreset = "no_such_preset" }, expect: 400);

        Assert.Equal("code", Field(badCode));
        Assert.Equal("anatomy.statuses.1.state", Field(badState));
        Assert.Equal("anatomy.templates.work", Field(badTemplates));
        Assert.Equal("anatomy.attributes.resolutionWidth", Field(badValue));
        Assert.Equal("anatomyPreset", Field(badPreset));
        await api.GetAsync($"/api/projects/{name}", expect: 404);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM pg_namespace WHERE nspname = @schema", new { schema = "project_" + name.ToLowerInvariant() }));
    }

    [Fact]
    public async Task a_taken_name_or_code_is_a_conflict_regardless_of_case()
    {
        var api = app.Service();
        var name = Unique.Name("Taken");
        await api.PostAsync("/api/projects", new { name, code = name + "x" }, expect: 201);

        var sameName = await api.PostAsync("/api/projects", new { name = name.ToUpperInvariant(), code = "fresh" + name }, expect: 409);
        var sameCode = await api.PostAsync("/api/projects", new { name = name + "2", code = (name + "X").ToUpperInvariant() }, expect: 409);

        Assert.Contains("already exists", sameName["detail"]!.GetValue<string>());
        Assert.Contains("code", sameCode["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task only_managers_create_projects_and_others_see_only_their_projects()
    {
        var name = Unique.Name("Private");
        await app.Service().PostAsync("/api/projects", new { name, code = name }, expect: 201);
        var artist = await app.ArtistAsync();
        var member = await app.ArtistAsync(new JsonObject { ["accessGroups"] = new JsonObject { [name] = new JsonArray("artist") } });

        await artist.PostAsync("/api/projects", new { name = name + "b", code = name + "b" }, expect: 403);
        await artist.GetAsync($"/api/projects/{name}", expect: 403);
        await artist.PatchAsync($"/api/projects/{name}", new { active = false }, expect: 403);
        await artist.DeleteAsync($"/api/projects/{name}", expect: 403);
        var seen = await member.GetAsync($"/api/projects/{name}");
        var listed = await member.GetAsync("/api/projects");
        var listedByArtist = await artist.GetAsync("/api/projects");

        Assert.Equal(name, seen["name"]!.GetValue<string>());
        Assert.Equal([name], Names(listed["projects"]));
        Assert.Empty(listedByArtist["projects"]!.AsArray());
        await app.Anonymous().GetAsync($"/api/projects/{name}", expect: 401);
    }

    [Fact]
    public async Task a_missing_project_is_404()
    {
        var error = await app.Service().GetAsync("/api/projects/does_not_exist_anywhere", expect: 404);

        Assert.Equal(404, error["code"]!.GetValue<int>());
    }

    static string Field(JsonNode error) => string.Join('.', error["errors"]![0]!["loc"]!.AsArray().Skip(1).Select(l => l!.ToString()));

    internal static IEnumerable<string> Names(JsonNode? list) => list!.AsArray().Select(i => i!["name"]!.GetValue<string>());
}
