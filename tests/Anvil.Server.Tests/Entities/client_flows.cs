using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Entities;

/// <summary>
/// The official client's entity test flows (contract §6.5–6.6), replayed as it sends them: every
/// commit a background batch with dashed operation ids and ids both in <c>entityId</c> and <c>data.id</c>.
/// </summary>
public sealed class client_flows(AnvilApp app) : IClassFixture<AnvilApp>
{
    sealed class Session(Api api, string project)
    {
        readonly List<object> _operations = [];

        public string Create(string entityType, JsonObject data)
        {
            var id = EntityBuilder.NewId();
            data["id"] = id;
            _operations.Add(new { id = Guid.NewGuid().ToString(), type = "create", entityType, entityId = id, data });
            return id;
        }

        public void Update(string entityType, string id, JsonObject data) =>
            _operations.Add(new { id = Guid.NewGuid().ToString(), type = "update", entityType, entityId = id, data });

        public void Delete(string entityType, string id) =>
            _operations.Add(new { id = Guid.NewGuid().ToString(), type = "delete", entityType, entityId = id });

        /// <summary>Posts the batch as the client does and polls it; answers whether it succeeded.</summary>
        public async Task<bool> CommitAsync()
        {
            var task = await api.PostAsync($"/api/projects/{project}/operations/background", new { operations = _operations.ToArray(), canFail = false });
            _operations.Clear();
            var done = await api.GetAsync($"/api/projects/{project}/operations/background/{task["id"]!.GetValue<string>()}");
            Assert.Equal("completed", done["status"]!.GetValue<string>());
            return done["result"]!["success"]!.GetValue<bool>();
        }
    }

    async Task<(Api Api, Session Session, string Project)> ArrangeAsync()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        return (api, new Session(api, project), project);
    }

    static JsonObject Folder(string name, string? parentId, string folderType = "Folder") =>
        new() { ["name"] = name, ["folderType"] = folderType, ["parentId"] = parentId, ["data"] = new JsonObject(), ["attrib"] = new JsonObject(), ["thumbnailId"] = null };

    static JsonObject Product(string name, string folderId) =>
        new() { ["name"] = name, ["productType"] = "model", ["attrib"] = new JsonObject(), ["data"] = new JsonObject(), ["folderId"] = folderId };

    [Fact]
    public async Task whole_hierarchy()
    {
        var (api, session, project) = await ArrangeAsync();
        var folder = session.Create("folder", Folder("whole_hierarchy", null));
        var product = session.Create("product", Product("modelMain", folder));
        Assert.True(await session.CommitAsync());

        var versions = new List<string>();
        foreach (var number in new[] { 0, 1 })
        {
            versions.Add(session.Create("version", new JsonObject { ["version"] = number, ["productId"] = product, ["attrib"] = new JsonObject(), ["data"] = new JsonObject() }));
            Assert.True(await session.CommitAsync());
            session.Create("version", new JsonObject { ["version"] = number, ["productId"] = product, ["attrib"] = new JsonObject(), ["data"] = new JsonObject() });
            Assert.False(await session.CommitAsync());
        }
        for (var j = 0; j < versions.Count; j++)
            for (var i = 0; i < 3; i++)
            {
                session.Create("representation", new JsonObject { ["versionId"] = versions[j], ["files"] = new JsonArray(), ["name"] = $"{i}v{j}", ["data"] = new JsonObject(), ["attrib"] = new JsonObject() });
                Assert.True(await session.CommitAsync());
                session.Create("representation", new JsonObject { ["versionId"] = versions[j], ["files"] = new JsonArray(), ["name"] = $"{i}v{j}", ["data"] = new JsonObject(), ["attrib"] = new JsonObject() });
                Assert.False(await session.CommitAsync());
            }

        session.Delete("product", product);
        Assert.True(await session.CommitAsync());
        session.Delete("folder", folder);
        Assert.True(await session.CommitAsync());

        var stats = await api.GetAsync($"/api/projects/{project}/stats");
        Assert.Equal(0, stats["counts"]!["representations"]!.GetValue<long>());
        Assert.Equal(0, stats["counts"]!["folders"]!.GetValue<long>());
    }

    [Fact]
    public async Task subfolder_hierarchy_deletes_only_after_products_go()
    {
        var (api, session, project) = await ArrangeAsync();
        var parent = session.Create("folder", Folder("subfolder_parent", null));
        Assert.True(await session.CommitAsync());
        var products = new List<string>();
        var shots = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var level1 = session.Create("folder", Folder($"sub{i}", parent));
            Assert.True(await session.CommitAsync());
            session.Create("folder", Folder($"sub{i}", parent, "Shot"));
            Assert.False(await session.CommitAsync());
            for (var j = 0; j < 3; j++)
            {
                var shot = session.Create("folder", Folder($"shot{j:000}", level1, "Shot"));
                products.Add(session.Create("product", Product("modelMain", shot)));
                products.Add(session.Create("product", Product("modelProxy", shot)));
                shots.Add(shot);
                Assert.True(await session.CommitAsync());
            }
        }

        session.Delete("folder", parent);
        Assert.False(await session.CommitAsync());
        session.Delete("folder", shots[0]);
        Assert.False(await session.CommitAsync());
        foreach (var product in products)
            session.Delete("product", product);
        session.Delete("folder", parent);
        Assert.True(await session.CommitAsync());

        await api.GetAsync($"/api/projects/{project}/folders/{shots[^1]}", expect: 404);
        Assert.Equal(0, (await api.GetAsync($"/api/projects/{project}/stats"))["counts"]!["products"]!.GetValue<long>());
    }

    [Fact]
    public async Task custom_values_and_data_merges_on_folders_and_tasks()
    {
        var (api, session, project) = await ArrangeAsync();
        var root = session.Create("folder", new JsonObject { ["name"] = "custom_root", ["folderType"] = "Shot", ["parentId"] = null });
        var folder = session.Create("folder", new JsonObject
        {
            ["name"] = "a_folder",
            ["folderType"] = "Shot",
            ["parentId"] = root,
            ["label"] = "A Folder",
            ["active"] = false,
            ["attrib"] = new JsonObject { ["frameStart"] = 333 },
            ["data"] = new JsonObject { ["MyKey"] = "MyValue" },
        });
        var task = session.Create("task", new JsonObject
        {
            ["name"] = "a_task",
            ["taskType"] = "Matchmove",
            ["folderId"] = folder,
            ["label"] = "A Task",
            ["active"] = false,
            ["attrib"] = new JsonObject { ["frameStart"] = 111 },
            ["data"] = new JsonObject { ["MyTaskKey"] = "MyTaskValue" },
        });
        Assert.True(await session.CommitAsync());

        session.Update("folder", folder, new JsonObject
        {
            ["name"] = "b_folder",
            ["folderType"] = "Folder",
            ["label"] = "B Folder",
            ["attrib"] = new JsonObject { ["frameStart"] = 334 },
            ["data"] = new JsonObject { ["MyKey2"] = "MyValue2" },
        });
        session.Update("task", task, new JsonObject
        {
            ["name"] = "b_task",
            ["label"] = "B Task",
            ["attrib"] = new JsonObject { ["frameStart"] = 112 },
            ["data"] = new JsonObject { ["MyTaskKey"] = null, ["MyTaskKey2"] = "MyTaskValue2" },
        });
        Assert.True(await session.CommitAsync());

        var folderEntity = await api.GetAsync($"/api/projects/{project}/folders/{folder}");
        var taskEntity = await api.GetAsync($"/api/projects/{project}/tasks/{task}");
        Assert.Equal("b_folder", folderEntity["name"]!.GetValue<string>());
        Assert.Equal(334, folderEntity["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.False(folderEntity["active"]!.GetValue<bool>());
        Assert.Equal(["MyKey", "MyKey2"], folderEntity["data"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("b_task", taskEntity["name"]!.GetValue<string>());
        Assert.Equal(112, taskEntity["attrib"]!["frameStart"]!.GetValue<int>());
        Assert.Equal(["MyTaskKey2"], taskEntity["data"]!.AsObject().Select(p => p.Key));

        session.Delete("task", task);
        session.Delete("folder", folder);
        session.Delete("folder", root);
        Assert.True(await session.CommitAsync());
    }

    [Theory]
    [InlineData("\"a\"")]
    [InlineData("null")]
    [InlineData("\"my_version_number\"")]
    public async Task invalid_version_numbers_fail_the_batch(string version)
    {
        var (_, session, _) = await ArrangeAsync();
        var folder = session.Create("folder", Folder("invalid_versions", null));
        var product = session.Create("product", Product("test_product", folder));
        session.Create("version", new JsonObject { ["version"] = JsonNode.Parse(version), ["productId"] = product });

        Assert.False(await session.CommitAsync());
    }

    [Fact]
    public async Task tags_outside_the_anatomy_are_accepted()
    {
        var (api, session, project) = await ArrangeAsync();
        var folder = session.Create("folder", Folder("tagged", null));
        var product = session.Create("product", Product("test_product", folder));
        var version = session.Create("version", new JsonObject { ["version"] = 1, ["productId"] = product, ["tags"] = new JsonArray("tag1", "tag2") });
        Assert.True(await session.CommitAsync());

        session.Update("version", version, new JsonObject { ["tags"] = new JsonArray("tag4") });
        Assert.True(await session.CommitAsync());

        Assert.Equal(["tag4"], (await api.GetAsync($"/api/projects/{project}/versions/{version}"))["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task an_empty_commit_completes()
    {
        var (_, session, _) = await ArrangeAsync();

        Assert.True(await session.CommitAsync());
    }
}
