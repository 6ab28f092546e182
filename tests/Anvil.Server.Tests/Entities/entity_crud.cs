using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Entities;

/// <summary>What every entity type does the same way, written once as theories over the six types.</summary>
public sealed class entity_crud(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<(Api Api, EntityBuilder Build)> ArrangeAsync()
    {
        var api = app.Service();
        return (api, new EntityBuilder(api, await TestProjects.CreateAsync(app)));
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task create_get_patch_delete_round_trip(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var body = await build.CreateBodyAsync(type);
        var id = EntityBuilder.NewId();
        body["id"] = id;
        body["data"] = new { source = "test", nested = new { a = 1 } };
        body["tags"] = new[] { "hero", "rush" };

        var created = await api.PostAsync($"/api/projects/{build.Project}/{plural}", body, expect: 201);
        var entity = await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}");

        Assert.Equal(id, created["id"]!.GetValue<string>());
        Assert.Equal(id, entity["id"]!.GetValue<string>());
        Assert.Equal("test", entity["data"]!["source"]!.GetValue<string>());
        Assert.Equal(["hero", "rush"], entity["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.True(entity["active"]!.GetValue<bool>());
        Assert.Equal("service", entity["createdBy"]!.GetValue<string>());

        await api.PatchAsync($"/api/projects/{build.Project}/{plural}/{id}", new { status = "Approved", tags = new[] { "final" }, data = new { source = (string?)null, added = true } }, expect: 204);
        var patched = await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}");

        Assert.Equal("Approved", patched["status"]!.GetValue<string>());
        Assert.Equal(["final"], patched["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Null(patched["data"]!["source"]);
        Assert.True(patched["data"]!["added"]!.GetValue<bool>());
        Assert.Equal(1, patched["data"]!["nested"]!["a"]!.GetValue<int>());

        await api.DeleteAsync($"/api/projects/{build.Project}/{plural}/{id}");
        await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}", expect: 404);
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task responses_use_ayon_field_formats(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var id = await build.CreateAsync(plural, await build.CreateBodyAsync(type));

        var entity = (await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}")).AsObject();

        Assert.Matches("^[0-9a-f]{32}$", entity["id"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", entity["createdAt"]!.GetValue<string>());
        Assert.IsType<JsonObject>(entity["attrib"]);
        Assert.IsType<JsonArray>(entity["ownAttrib"]);
        Assert.DoesNotContain(entity, p => p.Value is null);
        Assert.NotNull(api.LastResponse!.Headers.ETag);
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task the_status_defaults_from_the_anatomy_and_must_exist(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var id = await build.CreateAsync(plural, await build.CreateBodyAsync(type));
        var expected = type switch
        {
            "version" => "Pending review",
            "representation" => "Omitted",
            _ => "Not ready",
        };

        var entity = await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}");
        var error = await api.PatchAsync($"/api/projects/{build.Project}/{plural}/{id}", new { status = "Nonsense" }, expect: 400);

        Assert.Equal(expected, entity["status"]!.GetValue<string>());
        Assert.StartsWith("status:", error["detail"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task a_missing_required_field_answers_400_naming_it(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var body = await build.CreateBodyAsync(type);
        var required = type switch
        {
            "version" => "version",
            "workfile" => "path",
            _ => "name",
        };
        body.Remove(required);

        var error = await api.PostAsync($"/api/projects/{build.Project}/{plural}", body, expect: 400);

        Assert.StartsWith($"{required}:", error["detail"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task a_parent_that_does_not_exist_answers_400_naming_the_field(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var body = await build.CreateBodyAsync(type);
        var parentField = body.Keys.FirstOrDefault(k => k is "folderId" or "productId" or "versionId" or "taskId");
        if (parentField is null)
        {
            body["parentId"] = EntityBuilder.NewId();
            parentField = "parentId";
        }
        else
            body[parentField] = EntityBuilder.NewId();

        var error = await api.PostAsync($"/api/projects/{build.Project}/{plural}", body, expect: 400);

        Assert.StartsWith($"{parentField}:", error["detail"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task an_unknown_entity_answers_404_for_get_patch_and_delete(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var missing = EntityBuilder.NewId();

        await api.GetAsync($"/api/projects/{build.Project}/{plural}/{missing}", expect: 404);
        await api.PatchAsync($"/api/projects/{build.Project}/{plural}/{missing}", new { tags = new string[0] }, expect: 404);
        var error = await api.DeleteAsync($"/api/projects/{build.Project}/{plural}/{missing}", expect: 404);

        Assert.Contains(type, error["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task attributes_are_checked_by_type(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var body = await build.CreateBodyAsync(type);
        body["attrib"] = new { description = 42 };

        var error = await api.PostAsync($"/api/projects/{build.Project}/{plural}", body, expect: 400);

        Assert.StartsWith("attrib.description:", error["detail"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task a_stale_if_match_is_refused_with_412_and_changes_nothing(string type, string plural)
    {
        var (api, build) = await ArrangeAsync();
        var id = await build.CreateAsync(plural, await build.CreateBodyAsync(type));
        await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}");
        var etag = api.LastResponse!.Headers.ETag!.Tag;
        await api.PatchAsync($"/api/projects/{build.Project}/{plural}/{id}", new { tags = new[] { "first" } }, expect: 204);

        await api.SendAsync(HttpMethod.Patch, $"/api/projects/{build.Project}/{plural}/{id}", new { tags = new[] { "second" } }, expect: 412,
            request => request.Headers.IfMatch.ParseAdd(etag));
        await api.SendAsync(HttpMethod.Delete, $"/api/projects/{build.Project}/{plural}/{id}", null, expect: 412,
            request => request.Headers.IfMatch.ParseAdd(etag));

        var entity = await api.GetAsync($"/api/projects/{build.Project}/{plural}/{id}");
        Assert.Equal(["first"], entity["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var fresh = api.LastResponse!.Headers.ETag!.Tag;
        await api.SendAsync(HttpMethod.Patch, $"/api/projects/{build.Project}/{plural}/{id}", new { tags = new[] { "third" } }, expect: 204,
            request => request.Headers.IfMatch.ParseAdd(fresh));
    }
}
