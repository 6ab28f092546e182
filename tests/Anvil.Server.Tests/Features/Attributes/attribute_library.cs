using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Attributes;

/// <summary>
/// /api/attributes: AYON's built-ins, definitions of every type, values checked by type wherever
/// they are written, and a change seen by another instance at once. The library is global, so
/// every test that changes it lives in this class (run one after another).
/// </summary>
public sealed class attribute_library(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_built_in_attributes_are_listed_in_ayons_shape()
    {
        var list = await app.Service().GetAsync("/api/attributes");

        var attributes = list["attributes"]!.AsArray();
        var frameStart = attributes.Single(a => a!["name"]!.GetValue<string>() == "frameStart")!;
        Assert.Equal("integer", frameStart["data"]!["type"]!.GetValue<string>());
        Assert.Equal(1001, frameStart["data"]!["default"]!.GetValue<int>());
        Assert.True(frameStart["builtin"]!.GetValue<bool>());
        Assert.Contains("folder", frameStart["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Contains("task", frameStart["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(frameStart["data"]!.AsObject().ContainsKey("minLength"));
        Assert.True(frameStart["data"]!["inherit"]!.GetValue<bool>());
        var description = attributes.Single(a => a!["name"]!.GetValue<string>() == "description")!;
        Assert.False(description["data"]!["inherit"]!.GetValue<bool>());
        Assert.True(description["data"]!.AsObject().ContainsKey("default"));
        Assert.Equal(4, attributes.Single(a => a!["name"]!.GetValue<string>() == "priority")!["data"]!["enum"]!.AsArray().Count);
        Assert.Equal("list_of_strings", (await app.Service().GetAsync("/api/attributes/families"))["data"]!["type"]!.GetValue<string>());
    }

    public static TheoryData<string, object, object> ValuesByType => new()
    {
        { "integer", 5, "5" },
        { "integer", -3, 1.5 },
        { "float", 2.5, "fast" },
        { "float", 3, true },
        { "string", "text", 12 },
        { "boolean", true, "yes" },
        { "datetime", "2024-05-01T10:00:00+00:00", "not a date" },
        { "list_of_strings", new[] { "a", "b" }, new object[] { "a", 1 } },
        { "list_of_integers", new[] { 1, 2 }, new object[] { 1, "2" } },
        { "list_of_any", new object[] { 1, "a", true }, "a" },
        { "list_of_submodels", new object[] { new { a = 1 } }, new object[] { 1 } },
        { "dict", new { a = new[] { 1 } }, new[] { 1 } },
    };

    [Theory]
    [MemberData(nameof(ValuesByType))]
    public async Task values_of_every_type_are_accepted_or_refused_by_type(string type, object good, object bad)
    {
        var api = app.Service();
        var attribute = "test" + type.Replace("_", "", StringComparison.Ordinal) + Guid.NewGuid().ToString("N")[..6];
        await api.PutAsync($"/api/attributes/{attribute}", new { scope = new[] { "project", "folder" }, data = new { type, title = type } }, expect: 204);
        var project = Unique.Name("Types");
        await api.PostAsync("/api/projects", new { name = project, code = project }, expect: 201);

        await api.PatchAsync($"/api/projects/{project}", new JsonObject { ["attrib"] = new JsonObject { [attribute] = JsonSerializerNode(good) } }, expect: 204);
        var refused = await api.PatchAsync($"/api/projects/{project}", new JsonObject { ["attrib"] = new JsonObject { [attribute] = JsonSerializerNode(bad) } }, expect: 400);
        var badDefault = await api.PutAsync($"/api/attributes/{attribute}", new { scope = new[] { "project" }, data = new { type, @default = bad } }, expect: 400);
        var stored = await api.GetAsync($"/api/projects/{project}");

        Assert.Equal(JsonSerializerNode(good)!.ToJsonString(), stored["attrib"]![attribute]!.ToJsonString());
        Assert.StartsWith($"body.attrib.{attribute}", Loc(refused));
        Assert.StartsWith("body.data.default", Loc(badDefault));
    }

    [Fact]
    public async Task definition_limits_and_defaults_are_checked()
    {
        var api = app.Service();
        var name = "testLimited" + Guid.NewGuid().ToString("N")[..6];
        await api.PutAsync($"/api/attributes/{name}", new
        {
            scope = new[] { "project" },
            data = new { type = "string", min_length = 2, regex = "^[a-z]+$", @default = "abc", @enum = new[] { new { value = "abc", label = "ABC" } } },
        }, expect: 204);
        var project = Unique.Name("Limits");
        await api.PostAsync("/api/projects", new { name = project, code = project }, expect: 201);

        var tooShort = await api.PatchAsync($"/api/projects/{project}", new JsonObject { ["attrib"] = new JsonObject { [name] = "a" } }, expect: 400);
        var noMatch = await api.PatchAsync($"/api/projects/{project}", new JsonObject { ["attrib"] = new JsonObject { [name] = "ABC" } }, expect: 400);
        var tooWide = await api.PatchAsync($"/api/projects/{project}", new { attrib = new { resolutionWidth = 60000 } }, expect: 400);
        var badType = await api.PutAsync("/api/attributes/testBadType", new { scope = new[] { "folder" }, data = new { type = "decimal" } }, expect: 400);
        var badScope = await api.PutAsync("/api/attributes/testBadScope", new { scope = new[] { "shot" }, data = new { type = "string" } }, expect: 400);
        var badName = await api.PutAsync("/api/attributes/9-bad", new { scope = new[] { "folder" }, data = new { type = "string" } }, expect: 400);
        var badRegex = await api.PutAsync("/api/attributes/testBadRegex", new { scope = new[] { "folder" }, data = new { type = "string", regex = "([" } }, expect: 400);
        var project_ = await api.GetAsync($"/api/projects/{project}");
        var definition = await api.GetAsync($"/api/attributes/{name}");

        Assert.Equal($"body.attrib.{name}", Loc(tooShort));
        Assert.Equal($"body.attrib.{name}", Loc(noMatch));
        Assert.Equal("body.attrib.resolutionWidth", Loc(tooWide));
        Assert.Equal("body.data.type", Loc(badType));
        Assert.Equal("body.scope.0", Loc(badScope));
        Assert.Equal("body.name", Loc(badName));
        Assert.Equal("body.data.regex", Loc(badRegex));
        Assert.Equal("abc", project_["attrib"]![name]!.GetValue<string>());
        Assert.Equal(2, definition["data"]!["minLength"]!.GetValue<int>());
    }

    [Fact]
    public async Task only_managers_change_the_library_and_built_ins_cannot_be_deleted()
    {
        var artist = await app.ArtistAsync();
        var api = app.Service();

        await artist.GetAsync("/api/attributes");
        await artist.PutAsync("/api/attributes/testByArtist", new { scope = new[] { "folder" }, data = new { type = "string" } }, expect: 403);
        await artist.DeleteAsync("/api/attributes/fps", expect: 403);
        var builtin = await api.DeleteAsync("/api/attributes/fps", expect: 400);
        await api.DeleteAsync("/api/attributes/noSuchAttribute", expect: 404);
        var typeChange = await api.PutAsync("/api/attributes/fps", new { scope = new[] { "project" }, data = new { type = "string" } }, expect: 400);

        Assert.Equal("body.name", Loc(builtin));
        Assert.Equal("body.data.type", Loc(typeChange));
    }

    [Fact]
    public async Task put_of_the_whole_list_upserts_and_delete_removes()
    {
        var api = app.Service();
        var first = "testBulkA" + Guid.NewGuid().ToString("N")[..6];
        var second = "testBulkB" + Guid.NewGuid().ToString("N")[..6];

        await api.PutAsync("/api/attributes", new
        {
            attributes = new object[]
            {
                new { name = first, position = 500, scope = new[] { "task" }, data = new { type = "integer", ge = 0 } },
                new { name = second, scope = new[] { "version" }, data = new { type = "list_of_integers", maxItems = 2 } },
            },
            deleteMissing = false,
        }, expect: 204);
        await api.PatchAsync($"/api/attributes/{first}", new JsonObject { ["data"] = new JsonObject { ["title"] = "First", ["ge"] = null } }, expect: 204);
        await api.DeleteAsync($"/api/attributes/{second}", expect: 204);
        var patched = await api.GetAsync($"/api/attributes/{first}");
        var list = await api.GetAsync("/api/attributes");

        var names = list["attributes"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        Assert.Contains(first, names);
        Assert.DoesNotContain(second, names);
        Assert.Contains("frameStart", names);
        Assert.Equal("First", patched["data"]!["title"]!.GetValue<string>());
        Assert.Null(patched["data"]!["ge"]);
        Assert.Equal("integer", patched["data"]!["type"]!.GetValue<string>());
        Assert.Equal(500, list["attributes"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == first)!["position"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_change_on_one_instance_is_seen_by_another_without_restart()
    {
        await using var second = new AnvilApp();
        await ((IAsyncLifetime)second).InitializeAsync();
        var other = second.Service();
        var name = "testShared" + Guid.NewGuid().ToString("N")[..6];
        var before = await other.GetAsync("/api/attributes");
        var project = Unique.Name("Shared");
        await app.Service().PostAsync("/api/projects", new { name = project, code = project }, expect: 201);

        await app.Service().PutAsync($"/api/attributes/{name}", new { scope = new[] { "project" }, data = new { type = "integer", @default = 7 } }, expect: 204);

        Assert.DoesNotContain(name, before["attributes"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));
        JsonNode? seen = null;
        for (var attempt = 0; attempt < 50 && seen is null; attempt++)
        {
            var list = await other.GetAsync("/api/attributes");
            seen = list["attributes"]!.AsArray().FirstOrDefault(a => a!["name"]!.GetValue<string>() == name);
            if (seen is null)
                await Task.Delay(100);
        }
        Assert.NotNull(seen);
        var viaSecond = await other.GetAsync($"/api/projects/{project}");
        Assert.Equal(7, viaSecond["attrib"]![name]!.GetValue<int>());
        await other.PatchAsync($"/api/projects/{project}", new JsonObject { ["attrib"] = new JsonObject { [name] = "seven" } }, expect: 400);
    }

    [Fact]
    public async Task a_new_attribute_is_a_typed_graphql_field_at_once_and_leaves_with_its_deletion()
    {
        var api = app.Service();
        var attribute = "graphqlCheck" + Guid.NewGuid().ToString("N")[..6];
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(api, project).FolderAsync();
        var query = $$"""
            query ($projectName: String!) { project(name: $projectName) { folders { edges { node { attrib { {{attribute}} frameEnd } } } } } }
            """;
        var before = await api.GraphQLAsync(query, new { projectName = project });
        Assert.Contains(attribute, before["errors"]![0]!["message"]!.GetValue<string>());

        await api.PutAsync($"/api/attributes/{attribute}", new { scope = new[] { "folder" }, data = new { type = "integer", title = "Check" } }, expect: 204);
        await api.PatchAsync($"/api/projects/{project}/folders/{folder}", new JsonObject { ["attrib"] = new JsonObject { [attribute] = 7 } }, expect: 204);
        var node = (await api.QueryAsync(query, new { projectName = project }))["project"]!["folders"]!["edges"]![0]!["node"]!;
        Assert.Equal(7, node["attrib"]![attribute]!.GetValue<int>());
        Assert.Equal(1100, node["attrib"]!["frameEnd"]!.GetValue<int>());

        await api.DeleteAsync($"/api/attributes/{attribute}", expect: 204);
        var after = await api.GraphQLAsync(query, new { projectName = project });
        Assert.Contains(attribute, after["errors"]![0]!["message"]!.GetValue<string>());
    }

    static JsonNode? JsonSerializerNode(object value) => System.Text.Json.JsonSerializer.SerializeToNode(value);

    static string Loc(JsonNode error) => string.Join('.', error["errors"]![0]!["loc"]!.AsArray().Select(l => l!.ToString()));
}
