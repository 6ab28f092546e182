using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Entities;

/// <summary>
/// Consecutive creates of one type in a batch are written together (one statement per step). These
/// check that the result is what creating them one at a time gives: the same rows, paths, inherited
/// attributes and events in order, and on a failure the same answer naming the failing operation.
/// </summary>
public sealed class bulk_creates(AnvilApp app) : IClassFixture<AnvilApp>
{
    static object Create(string entityType, object data, string? entityId = null) =>
        new { id = Guid.NewGuid().ToString(), type = "create", entityType, entityId = entityId ?? EntityBuilder.NewId(), data };

    static Task<JsonNode> RunAsync(Api api, string project, object[] operations, bool canFail = false) =>
        api.PostAsync($"/api/projects/{project}/operations", new { operations, canFail });

    sealed record EventRow(string Topic, string Description, string EntityId);

    static Task<List<EventRow>> EventsAsync(AnvilApp app, string project) =>
        Sql.QueryAsync<EventRow>(app, """
            SELECT topic, description, summary->>'entityId' AS entity_id
            FROM events WHERE project_name = @project AND topic LIKE 'entity.%' AND topic NOT LIKE 'entity.project.%'
            ORDER BY creation_order
            """, new { project });

    [Fact]
    public async Task a_tree_created_in_one_batch_has_its_paths_inherited_attributes_and_events_in_order()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var (sequence, shot, closeup) = (EntityBuilder.NewId(), EntityBuilder.NewId(), EntityBuilder.NewId());
        var (layout, anim) = (EntityBuilder.NewId(), EntityBuilder.NewId());

        var result = await RunAsync(api, project,
        [
            Create("folder", new { name = "sq010", folderType = "Sequence", attrib = new { fps = 48.0 } }, sequence),
            Create("folder", new { name = "sh0010", folderType = "Shot", parentId = sequence, attrib = new { frameStart = 1001 } }, shot),
            Create("folder", new { name = "closeup", folderType = "Shot", parentId = shot }, closeup),
            Create("task", new { name = "layout", taskType = "Layout", folderId = closeup }, layout),
            Create("task", new { name = "animation", taskType = "Animation", folderId = closeup, assignees = new[] { "admin" } }, anim),
        ]);

        Assert.True(result["success"]!.GetValue<bool>());
        Assert.All(result["operations"]!.AsArray(), o => Assert.Equal(201, o!["status"]!.GetValue<int>()));
        var leaf = await api.GetAsync($"/api/projects/{project}/folders/{closeup}");
        Assert.Equal("/sq010/sh0010/closeup", leaf["path"]!.GetValue<string>());
        Assert.Equal(48.0, leaf["attrib"]!["fps"]!.GetValue<double>());
        Assert.Equal(1001, leaf["attrib"]!["frameStart"]!.GetValue<int>());
        var task = await api.GetAsync($"/api/projects/{project}/tasks/{anim}");
        Assert.Equal(["admin"], task["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(48.0, task["attrib"]!["fps"]!.GetValue<double>());
        var events = await EventsAsync(app, project);
        Assert.Equal([sequence, shot, closeup, layout, anim], events.Select(e => e.EntityId));
        Assert.Equal(
            ["Created folder /sq010", "Created folder /sq010/sh0010", "Created folder /sq010/sh0010/closeup",
             "Created task /sq010/sh0010/closeup/layout", "Created task /sq010/sh0010/closeup/animation"],
            events.Select(e => e.Description));
    }

    [Fact]
    public async Task a_duplicate_in_a_run_is_answered_as_its_own_operation_and_nothing_is_kept()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(api, project).FolderAsync();

        var result = await RunAsync(api, project,
        [
            Create("task", new { name = "one", taskType = "Animation", folderId = folder }),
            Create("task", new { name = "two", taskType = "Animation", folderId = folder }),
            Create("task", new { name = "three", taskType = "Animation", folderId = folder }),
            Create("task", new { name = "two", taskType = "Animation", folderId = folder }),
            Create("task", new { name = "five", taskType = "Animation", folderId = folder }),
        ]);

        Assert.False(result["success"]!.GetValue<bool>());
        var operations = result["operations"]!.AsArray();
        Assert.Equal([true, true, true, false], operations.Select(o => o!["success"]!.GetValue<bool>()));
        Assert.Equal(409, operations[3]!["status"]!.GetValue<int>());
        Assert.Equal("duplicate-name", operations[3]!["errorCode"]!.GetValue<string>());
        Assert.Equal(0, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{project.ToLowerInvariant()}.tasks"));
        Assert.DoesNotContain(await EventsAsync(app, project), e => e.Topic == "entity.task.created");
    }

    [Fact]
    public async Task with_can_fail_a_run_keeps_every_create_but_the_failing_one()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(api, project).FolderAsync();
        var (first, last) = (EntityBuilder.NewId(), EntityBuilder.NewId());

        var result = await RunAsync(api, project,
        [
            Create("product", new { name = "modelMain", productType = "bulkModel", folderId = folder }, first),
            Create("product", new { name = "lost", productType = "bulkModel", folderId = EntityBuilder.NewId() }),
            Create("product", new { name = "rigMain", productType = "bulkRig", folderId = folder }, last),
        ], canFail: true);

        Assert.Equal([true, false, true], result["operations"]!.AsArray().Select(o => o!["success"]!.GetValue<bool>()));
        Assert.Equal(400, result["operations"]![1]!["status"]!.GetValue<int>());
        Assert.Contains("folderId", result["operations"]![1]!["detail"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/products/{first}");
        await api.GetAsync($"/api/projects/{project}/products/{last}");
        Assert.Equal([first, last], (await EventsAsync(app, project)).Where(e => e.Topic == "entity.product.created").Select(e => e.EntityId));
        var types = await api.GetAsync($"/api/projects/{project}/productTypes");
        Assert.Equal(["bulkModel", "bulkRig"], types["productTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task a_folder_listed_before_its_parent_has_no_parent_yet()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var parent = EntityBuilder.NewId();

        var result = await RunAsync(api, project,
        [
            Create("folder", new { name = "child", folderType = "Shot", parentId = parent }),
            Create("folder", new { name = "parent", folderType = "Sequence" }, parent),
        ]);

        var failed = Assert.Single(result["operations"]!.AsArray())!;
        Assert.Equal(400, failed["status"]!.GetValue<int>());
        Assert.Contains("parentId", failed["detail"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/folders/{parent}", expect: 404);
    }

    [Fact]
    public async Task a_run_checks_each_entity_as_a_single_create_does()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        var result = await RunAsync(api, project,
        [
            Create("folder", new { name = "fine", folderType = "Asset" }),
            Create("folder", new { name = "typed", folderType = "NoSuchType" }),
        ], canFail: true);

        Assert.Equal([true, false], result["operations"]!.AsArray().Select(o => o!["success"]!.GetValue<bool>()));
        Assert.Contains("folderType", result["operations"]![1]!["detail"]!.GetValue<string>());
        Assert.Equal(1, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{project.ToLowerInvariant()}.folders"));
    }
}
