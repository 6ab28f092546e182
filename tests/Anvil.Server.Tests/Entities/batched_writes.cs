using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Entities;

/// <summary>
/// A batch's creates of one type are one INSERT whose columns travel as typed arrays, and its events one
/// COPY and one outbox row. These pin what that must not change: every kind of column round-trips,
/// rows keep the batch's order, events and stream messages come out in operation order with their
/// fields, mixed operations on the same entities apply in order, and a failure anywhere keeps nothing.
/// </summary>
public sealed class batched_writes(AnvilApp app) : IClassFixture<AnvilApp>
{
    static object Create(string entityType, object data, string? entityId = null) =>
        new { id = Guid.NewGuid().ToString(), type = "create", entityType, entityId = entityId ?? EntityBuilder.NewId(), data };

    static object Update(string entityType, string entityId, object data) =>
        new { id = Guid.NewGuid().ToString(), type = "update", entityType, entityId, data };

    static object Delete(string entityType, string entityId) =>
        new { id = Guid.NewGuid().ToString(), type = "delete", entityType, entityId };

    static Task<JsonNode> RunAsync(Api api, string project, object[] operations, bool canFail = false) =>
        api.PostAsync($"/api/projects/{project}/operations", new { operations, canFail });

    sealed record EventRow(string Id, string Hash, string Topic, string Status, string? Sender, string? SenderType, string? UserName,
        string? EntityId, string? ParentId, string Payload);

    static Task<List<EventRow>> EventsAsync(AnvilApp app, string project) =>
        Sql.QueryAsync<EventRow>(app, """
            SELECT replace(id::text, '-', '') AS id, hash, topic, status, sender, sender_type, user_name,
                   summary->>'entityId' AS entity_id, summary->>'parentId' AS parent_id, payload::text AS payload
            FROM events WHERE project_name = @project AND topic LIKE 'entity.%' AND topic NOT LIKE 'entity.project.%'
            ORDER BY creation_order
            """, new { project });

    [Fact]
    public async Task every_kind_of_column_of_a_bulk_create_round_trips_lists_nulls_and_unicode_included()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(api, project).FolderAsync();
        var (plain, assigned, labelled) = (EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId());

        var result = await RunAsync(api, project,
        [
            Create("task", new { name = "plain", taskType = "Animation", folderId = folder }, plain),
            Create("task", new { name = "assigned", taskType = "Animation", folderId = folder, assignees = new[] { "admin", "é \"quoted\"" },
                tags = new[] { "hero", "ünïcode" }, active = false, data = new { nested = new { list = new object[] { 1, "two", true } }, text = "日本語 ✓" } }, assigned),
            Create("task", new { name = "labelled", label = "Layout ✓", taskType = "Layout", folderId = folder, assignees = Array.Empty<string>(),
                attrib = new { frameStart = 1001, fps = 23.976 } }, labelled),
        ]);

        Assert.True(result["success"]!.GetValue<bool>());
        var first = await api.GetAsync($"/api/projects/{project}/tasks/{plain}");
        Assert.Empty(first["assignees"]!.AsArray());
        Assert.Empty(first["tags"]!.AsArray());
        Assert.True(first["active"]!.GetValue<bool>());
        Assert.Null(first["label"]);
        var second = await api.GetAsync($"/api/projects/{project}/tasks/{assigned}");
        Assert.Equal(["admin", "é \"quoted\""], second["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["hero", "ünïcode"], second["tags"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.False(second["active"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"nested": {"list": [1, "two", true]}, "text": "日本語 ✓"}"""), second["data"]));
        var third = await api.GetAsync($"/api/projects/{project}/tasks/{labelled}");
        Assert.Equal("Layout ✓", third["label"]!.GetValue<string>());
        Assert.Equal(1001, third["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.Equal(23.976, third["attrib"]!["fps"]!.GetValue<double>());
        Assert.Equal([plain, assigned, labelled], await Sql.QueryAsync<string>(app,
            $"SELECT replace(id::text, '-', '') FROM project_{project.ToLowerInvariant()}.tasks ORDER BY creation_order"));
    }

    [Fact]
    public async Task the_events_of_a_batch_are_stored_and_streamed_in_operation_order_with_their_fields()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(api, project).FolderAsync();
        var ids = Enumerable.Range(0, 5).Select(_ => EntityBuilder.NewId()).ToArray();

        await api.SendAsync(HttpMethod.Post, $"/api/projects/{project}/operations",
            new { operations = ids.Select((id, i) => Create("product", new { name = $"product{i}", productType = "model", folderId = folder }, id)).ToArray() },
            200, request => { request.Headers.Add("X-Sender", "batch-sender"); request.Headers.Add("X-Sender-Type", "publisher"); });

        var events = (await EventsAsync(app, project)).Where(e => e.Topic == "entity.product.created").ToList();
        Assert.Equal(ids, events.Select(e => e.EntityId));
        Assert.All(events, e =>
        {
            Assert.Equal(e.Id, e.Hash);
            Assert.Equal("finished", e.Status);
            Assert.Equal(("batch-sender", "publisher"), (e.Sender, e.SenderType));
            Assert.Equal(folder, e.ParentId);
            Assert.Equal("{}", e.Payload);
        });
        var messages = await Sql.QueryAsync<string>(app, """
            SELECT m::text FROM event_stream, json_array_elements(messages::json) m
            WHERE m->>'topic' = 'entity.product.created' AND m->>'project' = @project
            ORDER BY event_stream.id
            """, new { project });
        var parsed = messages.Select(m => JsonNode.Parse(m)!).ToList();
        Assert.Equal(events.Select(e => e.Id), parsed.Select(m => m["id"]!.GetValue<string>()));
        Assert.All(parsed, m =>
        {
            Assert.True(m["store"]!.GetValue<bool>());
            Assert.Equal(100, m["progress"]!.GetValue<double>());
            Assert.Equal("batch-sender", m["sender"]!.GetValue<string>());
            Assert.Null(m["recipients"]);
            Assert.Null(m["dependsOn"]);
            Assert.Equal(folder, m["summary"]!["parentId"]!.GetValue<string>());
            Assert.StartsWith("Created product /", m["description"]!.GetValue<string>());
            Assert.EndsWith("+00:00", m["createdAt"]!.GetValue<string>());
        });
        // The messages are made before the rows are written: they carry the rows' own time, the transaction's.
        foreach (var m in parsed)
        {
            var stored = await api.GetAsync($"/api/events/{m["id"]!.GetValue<string>()}");
            Assert.Equal(stored["createdAt"]!.GetValue<string>(), m["createdAt"]!.GetValue<string>());
            Assert.Equal(stored["updatedAt"]!.GetValue<string>(), m["updatedAt"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task the_created_events_name_each_entity_by_the_path_its_read_shows_in_batches_and_alone()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var (parent, child) = (EntityBuilder.NewId(), EntityBuilder.NewId());
        var tasks = new[] { EntityBuilder.NewId(), EntityBuilder.NewId() };
        var products = new[] { EntityBuilder.NewId(), EntityBuilder.NewId() };
        // Numbers past three digits are cut by the path (lpad), the hero is HERO: the events must say the same.
        var numbers = new[] { 1, 12, 123, 1234, -1 };
        var versions = numbers.Select(_ => EntityBuilder.NewId()).ToArray();
        var representations = versions.Select(_ => EntityBuilder.NewId()).ToArray();

        var result = await RunAsync(api, project,
        [
            Create("folder", new { name = "seq_010" }, parent),
            Create("folder", new { name = "sh_0010", parentId = parent }, child),
            .. tasks.Select((id, i) => Create("task", new { name = $"task_{i}", taskType = "Animation", folderId = child }, id)),
            .. products.Select((id, i) => Create("product", new { name = $"render_{i}", productType = "render", folderId = child }, id)),
            .. versions.Select((id, i) => Create("version", new { version = numbers[i], productId = products[i % 2] }, id)),
            .. representations.Select((id, i) => Create("representation", new { name = i == 0 ? "exr" : $"rep_{i}", versionId = versions[i] }, id)),
        ]);
        Assert.True(result["success"]!.GetValue<bool>());
        var alone = EntityBuilder.NewId();
        Assert.True((await RunAsync(api, project, [Create("representation", new { name = "mov", versionId = versions[3] }, alone)]))["success"]!.GetValue<bool>());
        // Parents shared within a batch (each looked up once): three under one version, one under another of the same product.
        var shared = new[] { EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId() };
        Assert.True((await RunAsync(api, project,
            [.. shared.Select((id, i) => Create("representation", new { name = $"shared_{i}", versionId = versions[i < 3 ? 1 : 3] }, id))]))["success"]!.GetValue<bool>());

        var created = (await Sql.QueryAsync<(string Topic, string EntityId, string Description)>(app, """
            SELECT topic, summary->>'entityId', description FROM events
            WHERE project_name = @project AND topic LIKE 'entity.%.created' ORDER BY creation_order
            """, new { project })).Where(e => e.Topic != "entity.project.created").ToList();
        var expected = new List<(string, string, string)>();
        foreach (var (type, ids) in new[] { ("folder", new[] { parent, child }), ("task", tasks), ("product", products), ("version", versions),
                     ("representation", [.. representations, alone, .. shared]) })
        {
            foreach (var id in ids)
            {
                var path = (await api.GetAsync($"/api/projects/{project}/{type}s/{id}"))["path"]!.GetValue<string>();
                expected.Add(($"entity.{type}.created", id, $"Created {type} {path}"));
            }
        }
        Assert.Equal(expected, created);
        Assert.Contains(expected, e => e.Item3 == "Created version /seq_010/sh_0010/render_1/v123");
        Assert.Contains(expected, e => e.Item3 == "Created representation /seq_010/sh_0010/render_0/HERO/rep_4");
        Assert.Contains(expected, e => e.Item3 == "Created representation /seq_010/sh_0010/render_1/v012/shared_2");
        Assert.Contains(expected, e => e.Item3 == "Created representation /seq_010/sh_0010/render_1/v123/shared_3");
    }

    [Fact]
    public async Task create_update_and_delete_of_the_same_entities_in_one_batch_apply_in_order()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var (folder, kept, dropped) = (EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId());

        var result = await RunAsync(api, project,
        [
            Create("folder", new { name = "draft", folderType = "Asset" }, folder),
            Create("task", new { name = "modeling", taskType = "Animation", folderId = folder }, kept),
            Create("task", new { name = "temporary", taskType = "Animation", folderId = folder }, dropped),
            Update("folder", folder, new { name = "final" }),
            Delete("task", dropped),
            Update("task", kept, new { assignees = new[] { "admin" } }),
        ]);

        Assert.True(result["success"]!.GetValue<bool>());
        Assert.Equal([201, 201, 201, 204, 204, 204], result["operations"]!.AsArray().Select(o => o!["status"]!.GetValue<int>()));
        var stored = await api.GetAsync($"/api/projects/{project}/folders/{folder}");
        Assert.Equal("/final", stored["path"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/tasks/{dropped}", expect: 404);
        Assert.Equal(["admin"], (await api.GetAsync($"/api/projects/{project}/tasks/{kept}"))["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(
            [("entity.folder.created", folder), ("entity.task.created", kept), ("entity.task.created", dropped), ("entity.folder.renamed", folder),
             ("entity.task.deleted", dropped), ("entity.task.assignees_changed", kept)],
            (await EventsAsync(app, project)).Select(e => (e.Topic, e.EntityId)));
    }

    [Fact]
    public async Task a_duplicate_name_in_the_middle_of_a_mixed_batch_keeps_no_row_and_no_event_of_it()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(api, project);
        var existing = await build.FolderAsync();
        var before = (await EventsAsync(app, project)).Count;
        var created = EntityBuilder.NewId();

        var result = await RunAsync(api, project,
        [
            Create("folder", new { name = "fresh", folderType = "Asset" }, created),
            Update("folder", existing, new { label = "changed" }),
            Create("task", new { name = "one", taskType = "Animation", folderId = existing }),
            Create("task", new { name = "two", taskType = "Animation", folderId = existing }),
            Create("task", new { name = "ONE", taskType = "Animation", folderId = existing }),
            Create("task", new { name = "four", taskType = "Animation", folderId = existing }),
        ]);

        Assert.False(result["success"]!.GetValue<bool>());
        var operations = result["operations"]!.AsArray();
        Assert.Equal([true, true, true, true, false], operations.Select(o => o!["success"]!.GetValue<bool>()));
        Assert.Equal(409, operations[4]!["status"]!.GetValue<int>());
        Assert.Equal("duplicate-name", operations[4]!["errorCode"]!.GetValue<string>());
        Assert.Contains("name", operations[4]!["detail"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/folders/{created}", expect: 404);
        Assert.Null((await api.GetAsync($"/api/projects/{project}/folders/{existing}"))["label"]);
        Assert.Equal(0, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{project.ToLowerInvariant()}.tasks"));
        Assert.Equal(before, (await EventsAsync(app, project)).Count);
    }

    [Fact]
    public async Task a_bulk_create_checks_every_file_of_its_representations_and_fills_the_defaults_of_those_missing_them()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var version = await new EntityBuilder(api, project).VersionAsync();
        static object File(object? size = null, object? hashType = null, bool withDefaults = false) => withDefaults
            ? new { id = EntityBuilder.NewId(), path = "/a.exr", size, hashType }
            : new { id = EntityBuilder.NewId(), path = "/a.exr" };
        var (given, missing, nulls) = (EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId());

        var result = await RunAsync(api, project,
        [
            Create("representation", new { name = "given", versionId = version, files = new[] { File(12.5, "sha1", withDefaults: true) } }, given),
            Create("representation", new { name = "missing", versionId = version, files = new[] { File(7, "op3", withDefaults: true), File() } }, missing),
            Create("representation", new { name = "nulls", versionId = version, files = new[] { File(null, null, withDefaults: true) } }, nulls),
        ]);

        Assert.True(result["success"]!.GetValue<bool>());
        JsonArray FilesOf(JsonNode representation) => representation["files"]!.AsArray();
        var first = FilesOf(await api.GetAsync($"/api/projects/{project}/representations/{given}"))[0]!;
        Assert.Equal((12.5, "sha1"), (first["size"]!.GetValue<double>(), first["hashType"]!.GetValue<string>()));
        var second = FilesOf(await api.GetAsync($"/api/projects/{project}/representations/{missing}"));
        Assert.Equal([(7.0, "op3"), (0.0, "md5")], second.Select(f => (f!["size"]!.GetValue<double>(), f["hashType"]!.GetValue<string>())));
        var third = FilesOf(await api.GetAsync($"/api/projects/{project}/representations/{nulls}"))[0]!;
        Assert.Equal((0.0, "md5"), (third["size"]!.GetValue<double>(), third["hashType"]!.GetValue<string>()));

        var twice = EntityBuilder.NewId();
        foreach (var (files, field) in new (object, string)[]
        {
            (new object[] { "a.exr" }, "files.0"),
            (new[] { new { id = "not-an-id", path = "/a.exr" } }, "files.0.id"),
            (new[] { new { id = twice, path = "/a.exr" }, new { id = twice, path = "/b.exr" } }, "files.1.id"),
            (new[] { new { id = EntityBuilder.NewId() } }, "files.0.path"),
            (new object[] { File(), new { id = EntityBuilder.NewId(), path = "/b.exr", size = -1 } }, "files.1.size"),
            (new[] { new { id = EntityBuilder.NewId(), path = "/a.exr", size = "large" } }, "files.0.size"),
            (new[] { new { id = EntityBuilder.NewId(), path = "/a.exr", hashType = "crc32" } }, "files.0.hashType"),
        })
        {
            var kept = EntityBuilder.NewId();
            var refused = await RunAsync(api, project,
            [
                Create("representation", new { name = "kept", versionId = version, files = new[] { File() } }, kept),
                Create("representation", new { name = "refused", versionId = version, files }),
            ]);
            Assert.False(refused["success"]!.GetValue<bool>());
            var failure = refused["operations"]!.AsArray()[^1]!;
            Assert.Equal(400, failure["status"]!.GetValue<int>());
            Assert.StartsWith(field + ":", failure["detail"]!.GetValue<string>());
            await api.GetAsync($"/api/projects/{project}/representations/{kept}", expect: 404);
        }
        Assert.Equal(3, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{project.ToLowerInvariant()}.representations"));
    }

    [Fact]
    public async Task json_values_sent_with_spaces_and_escapes_are_stored_as_their_values_and_attributes_as_checked()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var version = await new EntityBuilder(api, project).VersionAsync();
        var (spaced, changed, dropped) = (EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId());
        var file = EntityBuilder.NewId();
        string Representation(string id, string name, string more) => $$"""
            { "type": "create", "entityType": "representation", "entityId": "{{id}}",
              "data": { "name": "{{name}}", "versionId": "{{version}}", {{more}} } }
            """;

        // As sent: spaces, escapes and a number's own text; the files need a default filled in, and
        // attributes an unknown key and a null left out, so those are written as changed.
        var result = await api.PostRawAsync($"/api/projects/{project}/operations", $$"""
            { "operations": [
              {{Representation(spaced, "spaced", $$"""
                "files": [ { "id": "{{file}}", "path": "/a\u00e9.exr", "size": 1.50E2, "hashType": "md5" } ],
                "traits": { "t": [ 1, "\u0041" ] }, "data": { "k": { "deep": "\"x\"" } },
                "attrib": { "frameStart": 1001, "path": "\u00e9" }
                """)}},
              {{Representation(changed, "changed", $$"""
                "files": [ { "id": "{{EntityBuilder.NewId()}}", "path": "/b.exr" } ], "attrib": { "frameStart": null, "fps": 25 }
                """)}},
              {{Representation(dropped, "dropped", """
                "attrib": { "noSuchAttribute": 1, "frameEnd": 1100 }
                """)}}
            ] }
            """, expect: 200);

        Assert.True(result["success"]!.GetValue<bool>());
        var first = await api.GetAsync($"/api/projects/{project}/representations/{spaced}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""[{"id": "{{file}}", "path": "/aé.exr", "size": 150, "hashType": "md5"}]"""), first["files"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"t": [1, "A"]}"""), first["traits"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"k": {"deep": "\"x\""}}"""), first["data"]));
        Assert.Equal(["frameStart", "path"], first["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()).Order());
        Assert.Equal("é", first["attrib"]!["path"]!.GetValue<string>());
        Assert.Equal(1001, first["attrib"]!["frameStart"]!.GetValue<int>());
        var second = await api.GetAsync($"/api/projects/{project}/representations/{changed}");
        Assert.Equal((0.0, "md5"), (second["files"]![0]!["size"]!.GetValue<double>(), second["files"]![0]!["hashType"]!.GetValue<string>()));
        Assert.Equal(["fps"], second["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()));
        var third = await api.GetAsync($"/api/projects/{project}/representations/{dropped}");
        Assert.Equal(["frameEnd"], third["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("""{"path": "é", "frameStart": 1001}""", await Sql.ScalarAsync<string>(app,
            $"SELECT attrib::text FROM project_{project.ToLowerInvariant()}.representations WHERE id = @id", new { id = Guid.Parse(spaced) }));

        // A bad value is the 400 naming it whichever way the attributes are checked, and keeps nothing of the batch.
        foreach (var (attrib, field) in new[]
        {
            ("""{ "frameStart": "x" }""", "attrib.frameStart"),
            ("""{ "fps": 25, "frameEnd": [1] }""", "attrib.frameEnd"),
            ("""{ "frameStart": 1, "noSuchAttribute": 1, "frameEnd": "x" }""", "attrib.frameEnd"),
            ("""{ "frameEnd": "x", "fps": null }""", "attrib.frameEnd"),
        })
        {
            var kept = EntityBuilder.NewId();
            var refused = await api.PostRawAsync($"/api/projects/{project}/operations", $$"""
                { "operations": [ {{Representation(kept, "kept", "\"files\": []")}}, {{Representation(EntityBuilder.NewId(), "refused", $"\"attrib\": {attrib}")}} ] }
                """, expect: 200);
            var failure = refused["operations"]!.AsArray()[^1]!;
            Assert.Equal(400, failure["status"]!.GetValue<int>());
            Assert.StartsWith(field + ":", failure["detail"]!.GetValue<string>());
            await api.GetAsync($"/api/projects/{project}/representations/{kept}", expect: 404);
        }
    }
}
