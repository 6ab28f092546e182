using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Projects.project_deploy;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>PATCH /api/projects/{name}: list replacement, renames that follow on entities, merges, and refusals.</summary>
public sealed class project_patch(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<(Api Api, string Name)> NewProjectAsync()
    {
        var api = app.Service();
        var name = Unique.Name("Patch");
        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);
        return (api, name);
    }

    [Fact]
    public async Task anatomy_lists_replace_the_stored_ones_in_the_given_order()
    {
        var (api, name) = await NewProjectAsync();

        await api.PatchAsync($"/api/projects/{name}", new
        {
            folderTypes = new object[]
            {
                new { name = "Shot", icon = "movie", shortName = "sh" }, new { name = "Folder", icon = "folder", shortName = "" },
            },
            taskTypes = new object[] { new { name = "Compositing" }, new { name = "Roto", color = "#aabbcc" } },
            tags = new object[] { new { name = "hero", color = "#ff0000" } },
            linkTypes = new object[] { new { linkType = "reference", inputType = "version", outputType = "version", data = new { color = "#d94383", style = "dashed" } } },
        }, expect: 204);
        var project = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(["Shot", "Folder"], Names(project["folderTypes"]));
        Assert.Equal(["Compositing", "Roto"], Names(project["taskTypes"]));
        Assert.Equal("task_alt", project["taskTypes"]![0]!["icon"]!.GetValue<string>());
        Assert.Equal("#aabbcc", project["taskTypes"]![1]!["color"]!.GetValue<string>());
        Assert.Equal(["hero"], Names(project["tags"]));
        Assert.Equal(["reference|version|version"], Names(project["linkTypes"]));
        Assert.Equal("dashed", project["linkTypes"]![0]!["data"]!["style"]!.GetValue<string>());
        Assert.Equal(7, project["statuses"]!.AsArray().Count);
    }

    [Fact]
    public async Task renamed_statuses_types_and_tags_follow_on_every_entity()
    {
        var (api, name) = await NewProjectAsync();
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "In progress", "important");
        var project = await api.GetAsync($"/api/projects/{name}");
        var statuses = project["statuses"]!.AsArray().Select(s => s!.DeepClone().AsObject()).ToList();
        statuses[2]["original_name"] = "In progress";
        statuses[2]["name"] = "Working";
        var folderTypes = project["folderTypes"]!.AsArray().Select(s => s!.DeepClone().AsObject()).ToList();
        folderTypes[5]["originalName"] = "Shot";
        folderTypes[5]["name"] = "Plate";
        var taskTypes = project["taskTypes"]!.AsArray().Select(s => s!.DeepClone().AsObject()).ToList();
        taskTypes[13]["original_name"] = "Compositing";
        taskTypes[13]["name"] = "Comp";

        await api.PatchAsync($"/api/projects/{name}", new JsonObject
        {
            ["statuses"] = new JsonArray([.. statuses]),
            ["folderTypes"] = new JsonArray([.. folderTypes]),
            ["taskTypes"] = new JsonArray([.. taskTypes]),
            ["tags"] = new JsonArray(new JsonObject { ["name"] = "vip", ["original_name"] = "important" }, new JsonObject { ["name"] = "for reel" }),
        }, expect: 204);
        var after = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal("Working", after["statuses"]![2]!["name"]!.GetValue<string>());
        Assert.Equal("PRG", after["statuses"]![2]!["shortName"]!.GetValue<string>());
        Assert.Equal("Plate", after["folderTypes"]![5]!["name"]!.GetValue<string>());
        foreach (var table in new[] { "folders", "tasks", "products", "versions", "representations", "workfiles" })
        {
            Assert.Equal("Working", await app.ProjectScalarAsync(name, $"SELECT status FROM {table}"));
            Assert.Equal("vip", await app.ProjectScalarAsync(name, $"SELECT tags[1] FROM {table}"));
        }
        Assert.Equal("other", await app.ProjectScalarAsync(name, "SELECT tags[2] FROM folders"));
        Assert.Equal("Plate", await app.ProjectScalarAsync(name, "SELECT folder_type FROM folders"));
        Assert.Equal("Comp", await app.ProjectScalarAsync(name, "SELECT task_type FROM tasks"));
    }

    [Fact]
    public async Task two_statuses_can_swap_names()
    {
        var (api, name) = await NewProjectAsync();
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "Approved", "important");

        await api.PatchAsync($"/api/projects/{name}", new JsonObject
        {
            ["statuses"] = new JsonArray(
                new JsonObject { ["name"] = "Omitted", ["original_name"] = "Approved", ["state"] = "done" },
                new JsonObject { ["name"] = "Approved", ["original_name"] = "Omitted", ["state"] = "blocked" },
                new JsonObject { ["name"] = "Not ready" }),
        }, expect: 204);
        var after = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(["Omitted", "Approved", "Not ready"], Names(after["statuses"]));
        Assert.Equal("Omitted", await app.ProjectScalarAsync(name, "SELECT status FROM versions"));
    }

    [Fact]
    public async Task a_status_in_use_cannot_be_dropped_and_nothing_is_half_written()
    {
        var (api, name) = await NewProjectAsync();
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "Approved", "important");

        var error = await api.PatchAsync($"/api/projects/{name}", new
        {
            tags = new object[] { new { name = "changed" } },
            statuses = new object[] { new { name = "Not ready" } },
        }, expect: 409);
        var after = await api.GetAsync($"/api/projects/{name}");

        Assert.Contains("Approved", error["detail"]!.GetValue<string>());
        Assert.Equal(7, after["statuses"]!.AsArray().Count);
        Assert.Equal(["important", "for reel"], Names(after["tags"]));
    }

    [Fact]
    public async Task attrib_data_and_config_merge_and_null_deletes_or_reverts()
    {
        var (api, name) = await NewProjectAsync();
        await api.PatchAsync($"/api/projects/{name}", new { data = new { a = 1, b = 2 } }, expect: 204);

        await api.PatchAsync($"/api/projects/{name}", new JsonObject
        {
            ["attrib"] = new JsonObject { ["fps"] = 30, ["frameStart"] = null, ["unknownAttribute"] = 5 },
            ["data"] = new JsonObject { ["a"] = null, ["c"] = 3 },
            ["config"] = new JsonObject { ["custom"] = new JsonObject { ["x"] = 1 } },
            ["active"] = false,
            ["code"] = name + "new",
            ["label"] = "A label",
        }, expect: 204);
        var project = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(30, project["attrib"]!["fps"]!.GetValue<double>());
        Assert.Equal(1001, project["attrib"]!["frameStart"]!.GetValue<int>());
        var own = project["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.DoesNotContain("frameStart", own);
        Assert.DoesNotContain("unknownAttribute", own);
        Assert.Null(project["attrib"]!["unknownAttribute"]);
        Assert.Equal("""{"b":2,"c":3}""", project["data"]!.ToJsonString());
        Assert.Equal(1, project["config"]!["custom"]!["x"]!.GetValue<int>());
        Assert.NotNull(project["config"]!["roots"]);
        Assert.False(project["active"]!.GetValue<bool>());
        Assert.Equal(name + "new", project["code"]!.GetValue<string>());
        Assert.Equal("A label", project["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task bad_values_are_refused_naming_the_field()
    {
        var (api, name) = await NewProjectAsync();

        var badState = await api.PatchAsync($"/api/projects/{name}", new { statuses = new object[] { new { name = "X", state = "unknown" } } }, expect: 400);
        var badScope = await api.PatchAsync($"/api/projects/{name}", new { statuses = new object[] { new { name = "X", scope = new[] { "folder", "shot" } } } }, expect: 400);
        var duplicate = await api.PatchAsync($"/api/projects/{name}", new { folderTypes = new object[] { new { name = "Shot" }, new { name = "shot" } } }, expect: 400);
        var empty = await api.PatchAsync($"/api/projects/{name}", new { taskTypes = Array.Empty<object>() }, expect: 400);
        var badColor = await api.PatchAsync($"/api/projects/{name}", new { tags = new object[] { new { name = "t", color = "red" } } }, expect: 400);
        var badAttrib = await api.PatchAsync($"/api/projects/{name}", new { attrib = new { resolutionWidth = 0 } }, expect: 400);
        var badLink = await api.PatchAsync($"/api/projects/{name}", new { linkTypes = new object[] { new { linkType = "x", inputType = "shot", outputType = "folder" } } }, expect: 400);

        Assert.Equal("body.statuses.0.state", Loc(badState));
        Assert.Equal("body.statuses.0.scope.1", Loc(badScope));
        Assert.Equal("body.folderTypes.1.name", Loc(duplicate));
        Assert.Equal("body.taskTypes", Loc(empty));
        Assert.Equal("body.tags.0.color", Loc(badColor));
        Assert.Equal("body.attrib.resolutionWidth", Loc(badAttrib));
        Assert.Equal("body.linkTypes.0.inputType", Loc(badLink));
        Assert.Equal(7, (await api.GetAsync($"/api/projects/{name}"))["statuses"]!.AsArray().Count);
    }

    [Fact]
    public async Task a_code_taken_by_another_project_is_a_conflict()
    {
        var (api, first) = await NewProjectAsync();
        var (_, second) = await NewProjectAsync();

        await api.PatchAsync($"/api/projects/{second}", new { code = first.ToLowerInvariant() }, expect: 409);
        await api.PatchAsync($"/api/projects/missing_project_x", new { active = true }, expect: 404);
    }

    static string Loc(JsonNode error) => string.Join('.', error["errors"]![0]!["loc"]!.AsArray().Select(l => l!.ToString()));
}
