using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Access;

/// <summary>
/// Roles × entity types × channels: what a role may not read is absent through REST, operations,
/// GraphQL and the event stream alike, what it may not change is refused with nothing written, and
/// what it may do succeeds.
/// </summary>
public sealed class access_matrix(AccessWorld world) : IClassFixture<AccessWorld>
{
    string Url(string plural, string id) => $"/api/projects/{world.Project}/{plural}/{id}";

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task rest_reads_show_only_what_the_role_may_read(string type, string plural)
    {
        await world.CharsArtist.GetAsync(Url(plural, world.Hero.Of(type)));
        var hidden = await world.CharsArtist.GetAsync(Url(plural, world.Shot.Of(type)), expect: 404);
        await world.Viewer.GetAsync(Url(plural, world.Shot.Of(type)));
        await world.Manager.GetAsync(Url(plural, world.Shot.Of(type)));
        var outsider = await world.Outsider.GetAsync(Url(plural, world.Hero.Of(type)), expect: 403);

        // Hidden looks exactly like absent.
        var absent = await world.CharsArtist.GetAsync(Url(plural, EntityBuilder.NewId()), expect: 404);
        Assert.Equal(absent["code"]!.GetValue<int>(), hidden["code"]!.GetValue<int>());
        Assert.Contains("not found", hidden["detail"]!.GetValue<string>());
        Assert.Equal("No access group assigned on this project", outsider["detail"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task rest_writes_succeed_where_allowed_and_change_nothing_elsewhere(string type, string plural)
    {
        await world.CharsArtist.PatchAsync(Url(plural, world.Hero.Of(type)), new { tags = new[] { "chars-artist" } }, expect: 204);
        await world.CharsArtist.PatchAsync(Url(plural, world.Shot.Of(type)), new { tags = new[] { "chars-artist" } }, expect: 404);
        var refused = await world.Viewer.PatchAsync(Url(plural, world.Hero.Of(type)), new { tags = new[] { "viewer" } }, expect: 403);
        await world.Outsider.PatchAsync(Url(plural, world.Hero.Of(type)), new { tags = new[] { "outsider" } }, expect: 403);
        await world.CharsArtist.DeleteAsync(Url(plural, world.Shot.Of(type)), expect: 404);
        await world.Viewer.DeleteAsync(Url(plural, world.Shot.Of(type)), expect: 403);

        var service = world.Service();
        Assert.Equal(["chars-artist"], Tags(await service.GetAsync(Url(plural, world.Hero.Of(type)))));
        Assert.DoesNotContain("chars-artist", Tags(await service.GetAsync(Url(plural, world.Shot.Of(type)))));
        Assert.StartsWith("You may not", refused["detail"]!.GetValue<string>());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task creates_need_rights_on_the_parent_and_hidden_parents_are_missing(string type, string plural)
    {
        var heroBody = await BodyUnderAsync(type, world.Hero);
        var shotBody = await BodyUnderAsync(type, world.Shot);

        await world.CharsArtist.PostAsync($"/api/projects/{world.Project}/{plural}", heroBody, expect: 201);
        var missing = await world.CharsArtist.PostAsync($"/api/projects/{world.Project}/{plural}", shotBody, expect: 400);
        await world.Viewer.PostAsync($"/api/projects/{world.Project}/{plural}", await BodyUnderAsync(type, world.Hero), expect: 403);
        await world.Manager.PostAsync($"/api/projects/{world.Project}/{plural}", shotBody, expect: 201);

        Assert.Contains("there is no", missing.ToJsonString());
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task operations_apply_the_same_rules_per_operation(string type, string plural)
    {
        var batch = new
        {
            canFail = true,
            operations = new object[]
            {
                new { id = "hero", type = "update", entityType = type, entityId = world.Hero.Of(type), data = new { data = new { batch = "hero" } } },
                new { id = "shot", type = "update", entityType = type, entityId = world.Shot.Of(type), data = new { data = new { batch = "shot" } } },
            },
        };
        var result = await world.CharsArtist.PostAsync($"/api/projects/{world.Project}/operations", batch);
        var atomic = await world.Viewer.PostAsync($"/api/projects/{world.Project}/operations", batch with { canFail = false });

        var operations = result["operations"]!.AsArray();
        Assert.True(operations[0]!["success"]!.GetValue<bool>());
        Assert.Equal(404, operations[1]!["status"]!.GetValue<int>());
        Assert.False(atomic["success"]!.GetValue<bool>());
        Assert.Equal(403, atomic["operations"]![0]!["status"]!.GetValue<int>());
        var service = world.Service();
        Assert.Equal("hero", (await service.GetAsync(Url(plural, world.Hero.Of(type))))["data"]!["batch"]!.GetValue<string>());
        Assert.Null((await service.GetAsync(Url(plural, world.Shot.Of(type))))["data"]!["batch"]);
    }

    [Theory, MemberData(nameof(EntityTypes.All), MemberType = typeof(EntityTypes))]
    public async Task graphql_lists_only_readable_entities_before_paging(string type, string plural)
    {
        var query = $$"""
            query Q($project: String!, $ids: [String!], $first: Int) {
              project(name: $project) { {{plural}}(ids: $ids, first: $first) { edges { node { id } } pageInfo { hasNextPage } } }
            }
            """;
        var ids = new[] { world.Shot.Of(type), world.Hero.Of(type) };

        var artist = await world.CharsArtist.QueryAsync(query, new { project = world.Project, ids, first = 1 });
        var viewer = await world.Viewer.QueryAsync(query, new { project = world.Project, ids });
        var outsider = await world.Outsider.GraphQLAsync(query, new { project = world.Project, ids });

        // One readable entity: the first page of one is all there is.
        Assert.Equal([world.Hero.Of(type)], Ids(artist["project"]![plural]!));
        Assert.False(artist["project"]![plural]!["pageInfo"]!["hasNextPage"]!.GetValue<bool>());
        Assert.Equal(ids.Order(), Ids(viewer["project"]![plural]!).Order());
        Assert.Equal(403, outsider["errors"]![0]!["extensions"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task graphql_nested_connections_and_accessors_stay_inside_the_whitelist()
    {
        var data = await world.CharsArtist.QueryAsync("""
            query Q($project: String!) {
              project(name: $project) {
                folders { edges { node { name path tasks { edges { node { id } } } products { edges { node { id versions { edges { node { id } } } } } } } } }
                tasks { edges { node { id folder { id } } } }
                version(id: "__shot__") { id }
              }
            }
            """.Replace("__shot__", world.Shot.Version, StringComparison.Ordinal), new { project = world.Project });

        var paths = data["project"]!["folders"]!["edges"]!.AsArray().Select(e => e!["node"]!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("/assets/chars/hero", paths);
        Assert.Contains("/assets", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/shots", StringComparison.Ordinal));
        Assert.DoesNotContain(world.Shot.Task, Ids(data["project"]!["tasks"]!));
        Assert.Contains(world.Hero.Task, Ids(data["project"]!["tasks"]!));
        Assert.Null(data["project"]!["version"]);
    }

    [Fact]
    public async Task rest_folder_listings_and_stats_show_the_readable_tree_with_its_ancestors()
    {
        var list = await world.CharsArtist.GetAsync($"/api/projects/{world.Project}/folders");
        var hierarchy = await world.CharsArtist.GetAsync($"/api/projects/{world.Project}/hierarchy");
        var search = await world.CharsArtist.PostAsync($"/api/projects/{world.Project}/folders/search", new { search = "sh010" });
        var stats = await world.CharsArtist.GetAsync($"/api/projects/{world.Project}/stats");

        var paths = list["folders"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("assets/chars/hero", paths);
        Assert.Contains("assets", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("shots", StringComparison.Ordinal));
        Assert.Equal(["assets"], hierarchy["hierarchy"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Empty(search["folderIds"]!.AsArray());
        Assert.Equal(await CountWorkfilesAsync("assets/chars"), stats["counts"]!["workfiles"]!.GetValue<long>());
    }

    [Fact]
    public async Task thumbnails_of_hidden_entities_are_absent()
    {
        var service = world.Service();
        var heroThumb = await UploadAsync(service, "folders", world.Hero.Folder);
        var shotThumb = await UploadAsync(service, "folders", world.Shot.Folder);

        await Bytes(world.CharsArtist, $"/api/projects/{world.Project}/folders/{world.Hero.Folder}/thumbnail", 200);
        await Bytes(world.CharsArtist, $"/api/projects/{world.Project}/thumbnails/{heroThumb}", 200);
        await Bytes(world.CharsArtist, $"/api/projects/{world.Project}/folders/{world.Shot.Folder}/thumbnail", 404);
        await Bytes(world.CharsArtist, $"/api/projects/{world.Project}/thumbnails/{shotThumb}", 404);
        await Bytes(world.Viewer, $"/api/projects/{world.Project}/thumbnails/{shotThumb}", 200);
        await Bytes(world.Outsider, $"/api/projects/{world.Project}/thumbnails/{heroThumb}", 403);
    }

    [Fact]
    public async Task links_to_hidden_entities_cannot_be_made_and_are_not_shown()
    {
        var service = world.Service();
        await service.PutAsync($"/api/projects/{world.Project}/links/types/reference|folder|folder", new { }, expect: 204);
        await service.PostAsync($"/api/projects/{world.Project}/links", new { input = world.Hero.Folder, output = world.Shot.Folder, linkType = "reference|folder|folder" });

        await world.CharsArtist.PostAsync($"/api/projects/{world.Project}/links",
            new { input = world.Hero.Folder, output = world.Shot.Folder, linkType = "reference|folder|folder" }, expect: 404);
        var data = await world.CharsArtist.QueryAsync("""
            query Q($project: String!, $id: String!) { project(name: $project) { folder(id: $id) { links { edges { entityId } } } } }
            """, new { project = world.Project, id = world.Hero.Folder });
        var seen = await world.Viewer.QueryAsync("""
            query Q($project: String!, $id: String!) { project(name: $project) { folder(id: $id) { links { edges { entityId } } } } }
            """, new { project = world.Project, id = world.Hero.Folder });

        Assert.Empty(data["project"]!["folder"]!["links"]!["edges"]!.AsArray());
        Assert.Contains(world.Shot.Folder, seen["project"]!["folder"]!["links"]!["edges"]!.AsArray().Select(e => e!["entityId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task project_lists_show_only_projects_the_user_holds_a_group_on()
    {
        var rest = await world.Outsider.GetAsync("/api/projects");
        var graph = await world.Outsider.QueryAsync("{ projects { edges { node { name } } } }");

        var names = rest["projects"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Equal([world.OtherProject], names);
        Assert.Equal([world.OtherProject], graph["projects"]!["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task the_event_stream_carries_a_project_only_to_users_with_access_to_it()
    {
        var token = world.Outsider.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        await using var socket = await StreamSocket.SubscribeAsync(world, ["entity.folder"], token: token);
        var service = world.Service();
        await new EntityBuilder(service, world.Project).FolderAsync(name: Unique.Name("hidden"));
        var visible = await new EntityBuilder(service, world.OtherProject).FolderAsync(name: Unique.Name("visible"));

        var received = await socket.ReceiveUntilAsync(m => m["summary"]?["entityId"]?.GetValue<string>() == visible);

        Assert.DoesNotContain(received, m => m["project"]?.GetValue<string>() == world.Project);
        Assert.Equal(world.OtherProject, received[^1]["project"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_key_limited_to_one_project_reaches_no_other_through_any_channel()
    {
        var admin = await world.LoginAsync();
        var created = await admin.PostAsync("/api/users/admin/apikeys", new { label = "other-only", projects = new[] { world.OtherProject } });
        var key = created["key"]!.GetValue<string>();
        var scoped = world.Anonymous();
        scoped.Http.DefaultRequestHeaders.Add("X-Api-Key", key);
        // Subscribed before the key writes anything: an event is published after its commit, so one
        // committed just before a subscription may still reach it, ahead of the subscription's marker.
        await using var socket = await StreamSocket.SubscribeAsync(world, ["entity.folder"], token: key);

        var refused = await scoped.GetAsync(Url("folders", world.Hero.Folder), expect: 403);
        var studioWide = await scoped.PutAsync($"/api/accessGroups/{Unique.Name("g")}/_", new { }, expect: 403);
        await scoped.PostAsync("/api/events", new { topic = "scoped.work", project = world.OtherProject });
        await new EntityBuilder(scoped, world.OtherProject).FolderAsync(name: Unique.Name("by_key"));
        await scoped.PatchAsync(Url("folders", world.Hero.Folder), new { tags = new[] { "scoped" } }, expect: 403);
        var rest = await scoped.GetAsync("/api/projects");
        var projects = await scoped.QueryAsync("{ projects { edges { node { name } } } }");
        var project = await scoped.GraphQLAsync("query Q($p: String!) { project(name: $p) { name } }", new { p = world.Project });
        var service = world.Service();
        await new EntityBuilder(service, world.Project).FolderAsync(name: Unique.Name("unheard"));
        var heard = await new EntityBuilder(service, world.OtherProject).FolderAsync(name: Unique.Name("heard"));
        var received = await socket.ReceiveUntilAsync(m => m["summary"]?["entityId"]?.GetValue<string>() == heard);

        Assert.Contains("not valid for project", refused["detail"]!.GetValue<string>());
        Assert.Contains("studio-wide", studioWide["detail"]!.GetValue<string>());
        Assert.Equal([world.OtherProject], rest["projects"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal([world.OtherProject], projects["projects"]!["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()));
        Assert.Equal(403, project["errors"]![0]!["extensions"]!["status"]!.GetValue<int>());
        Assert.DoesNotContain(received, m => m["project"]?.GetValue<string>() == world.Project);
    }

    async Task<Dictionary<string, object?>> BodyUnderAsync(string type, EntitySet parent) => type switch
    {
        "folder" => new() { ["name"] = Unique.Name("f"), ["folderType"] = "Asset", ["parentId"] = parent.Folder },
        "task" => new() { ["name"] = Unique.Name("t"), ["taskType"] = "Animation", ["folderId"] = parent.Folder },
        "product" => new() { ["name"] = Unique.Name("p"), ["productType"] = "model", ["folderId"] = parent.Folder },
        "version" => new() { ["version"] = Random.Shared.Next(100, 1_000_000), ["productId"] = parent.Product },
        "representation" => new() { ["name"] = Unique.Name("r"), ["versionId"] = parent.Version },
        "workfile" => new() { ["path"] = $"/work/{Unique.Name("w")}.ma", ["taskId"] = parent.Task },
        _ => await Task.FromException<Dictionary<string, object?>>(new ArgumentOutOfRangeException(nameof(type))),
    };

    async Task<long> CountWorkfilesAsync(string under)
    {
        var schema = $"project_{world.Project.ToLowerInvariant()}";
        return await Sql.ScalarAsync<long>(world, $"""
            SELECT count(*) FROM {schema}.workfiles w
            JOIN {schema}.tasks t ON t.id = w.task_id
            JOIN {schema}.folders f ON f.id = t.folder_id
            WHERE f.path LIKE '{under}/%'
            """);
    }

    async Task<string> UploadAsync(Api api, string plural, string id)
    {
        var content = new ByteArrayContent(Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="));
        content.Headers.ContentType = new("image/png");
        var result = await api.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/projects/{world.Project}/{plural}/{id}/thumbnail") { Content = content }, 201);
        return result["id"]!.GetValue<string>();
    }

    static async Task Bytes(Api api, string path, int expect)
    {
        using var response = await api.Http.GetAsync(path);
        Assert.True((int)response.StatusCode == expect, $"GET {path}: expected {expect}, got {(int)response.StatusCode}");
    }

    static IEnumerable<string> Tags(JsonNode entity) => entity["tags"]!.AsArray().Select(t => t!.GetValue<string>());

    static List<string> Ids(JsonNode connection) =>
        [.. connection["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>())];
}
