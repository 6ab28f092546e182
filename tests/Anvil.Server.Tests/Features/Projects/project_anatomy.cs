using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>GET/POST /api/projects/{name}/anatomy: the project's anatomy object, and replacing it.</summary>
public sealed class project_anatomy(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_anatomy_of_a_project_round_trips_and_can_be_replaced()
    {
        var api = app.Service();
        var name = Unique.Name("Anatomy");
        var builtin = await api.GetAsync("/api/anatomy/presets/_");
        await api.PostAsync("/api/projects", new { name, code = name, anatomy = builtin }, expect: 201);
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "Approved", "important");

        var anatomy = await api.GetAsync($"/api/projects/{name}/anatomy");
        anatomy["statuses"]![4]!["original_name"] = "Approved";
        anatomy["statuses"]![4]!["name"] = "Final";
        anatomy["attributes"]!["fps"] = 24.0;
        anatomy["roots"]![0]!["linux"] = "/proj";
        await api.PostAsync($"/api/projects/{name}/anatomy", anatomy, expect: 204);
        var badAnatomy = (JsonObject)anatomy.DeepClone();
        badAnatomy["task_types"] = new JsonArray();
        var bad = await api.PostAsync($"/api/projects/{name}/anatomy", badAnatomy, expect: 400);
        var project = await api.GetAsync($"/api/projects/{name}");

        Assert.Equal(builtin["task_types"]!.ToJsonString(), (await api.GetAsync("/api/anatomy/presets/_"))["task_types"]!.ToJsonString());
        Assert.Equal(builtin["templates"]!["work"]![0]!["directory"]!.GetValue<string>(), anatomy["templates"]!["work"]![0]!["directory"]!.GetValue<string>());
        Assert.Equal("default", anatomy["templates"]!["work"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(builtin["templates"]!["version_padding"]!.GetValue<int>(), anatomy["templates"]!["version_padding"]!.GetValue<int>());
        Assert.Equal("Final", project["statuses"]![4]!["name"]!.GetValue<string>());
        Assert.Equal("Final", await app.ProjectScalarAsync(name, "SELECT status FROM versions"));
        Assert.Equal(24.0, project["attrib"]!["fps"]!.GetValue<double>());
        Assert.Equal("/proj", project["config"]!["roots"]!["work"]!["linux"]!.GetValue<string>());
        Assert.Equal("body.task_types", string.Join('.', bad["errors"]![0]!["loc"]!.AsArray().Select(l => l!.ToString())));
    }

    [Fact]
    public async Task product_types_used_in_the_project_are_listed_with_their_appearance()
    {
        var api = app.Service();
        var name = Unique.Name("Types");
        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "Approved", "important");

        var types = await api.GetAsync($"/api/projects/{name}/productTypes");

        var render = Assert.Single(types["productTypes"]!.AsArray())!;
        Assert.Equal("render", render["name"]!.GetValue<string>());
        Assert.Equal("photo_library", render["icon"]!.GetValue<string>());
    }
}
