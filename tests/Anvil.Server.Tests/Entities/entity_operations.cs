using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Entities;

/// <summary>The operations endpoint: atomic batches, canFail, echoed ids, empty and background batches.</summary>
public sealed class entity_operations(AnvilApp app) : IClassFixture<AnvilApp>
{
    static object Create(string opId, string entityType, object data, string? entityId = null) =>
        new { id = opId, type = "create", entityType, entityId = entityId ?? EntityBuilder.NewId(), data };

    [Fact]
    public async Task a_batch_is_atomic_a_failure_rolls_everything_back()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var goodId = EntityBuilder.NewId();

        var result = await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = new[]
            {
                Create("good", "folder", new { name = "good_folder" }, goodId),
                Create("bad", "folder", new { name = "!invalid" }),
                Create("never", "folder", new { name = "never_run" }),
            },
        });

        Assert.False(result["success"]!.GetValue<bool>());
        var operations = result["operations"]!.AsArray();
        Assert.Equal(2, operations.Count);
        Assert.True(operations[0]!["success"]!.GetValue<bool>());
        Assert.False(operations[1]!["success"]!.GetValue<bool>());
        Assert.Equal(400, operations[1]!["status"]!.GetValue<int>());
        Assert.Contains("name", operations[1]!["detail"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/folders/{goodId}", expect: 404);
    }

    [Fact]
    public async Task with_can_fail_each_operation_stands_alone()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var goodId = EntityBuilder.NewId();
        var laterId = EntityBuilder.NewId();

        var result = await api.PostAsync($"/api/projects/{project}/operations", new
        {
            canFail = true,
            operations = new[]
            {
                Create("good", "folder", new { name = "good_folder" }, goodId),
                Create("bad", "folder", new { name = "in/valid" }),
                Create("later", "folder", new { name = "later_folder" }, laterId),
            },
        });

        Assert.False(result["success"]!.GetValue<bool>());
        Assert.Equal([true, false, true], result["operations"]!.AsArray().Select(o => o!["success"]!.GetValue<bool>()));
        await api.GetAsync($"/api/projects/{project}/folders/{goodId}");
        await api.GetAsync($"/api/projects/{project}/folders/{laterId}");
    }

    [Fact]
    public async Task operation_ids_are_echoed_verbatim()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var opId = Guid.NewGuid().ToString(); // with dashes, as OperationsSession sends them

        var result = await api.PostAsync($"/api/projects/{project}/operations", new { operations = new[] { Create(opId, "folder", new { name = "echo" }) } });

        Assert.Equal(opId, result["operations"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(201, result["operations"]![0]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task an_empty_batch_succeeds()
    {
        var project = await TestProjects.CreateAsync(app);

        var result = await app.Service().PostAsync($"/api/projects/{project}/operations", new { operations = Array.Empty<object>() });

        Assert.True(result["success"]!.GetValue<bool>());
        Assert.Empty(result["operations"]!.AsArray());
    }

    [Fact]
    public async Task a_background_batch_is_completed_when_answered_and_when_polled()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var folderId = EntityBuilder.NewId();

        var task = await api.PostAsync($"/api/projects/{project}/operations/background", new { operations = new[] { Create("op", "folder", new { name = "bg" }, folderId) } });
        var polled = await api.GetAsync($"/api/projects/{project}/operations/background/{task["id"]!.GetValue<string>()}");

        Assert.Equal("completed", task["status"]!.GetValue<string>());
        Assert.Equal("completed", polled["status"]!.GetValue<string>());
        Assert.True(polled["result"]!["success"]!.GetValue<bool>());
        Assert.Equal("op", polled["result"]!["operations"]![0]!["id"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/folders/{folderId}");
    }

    [Fact]
    public async Task a_background_batch_that_cannot_run_still_completes_with_a_failure()
    {
        var task = await app.Service().PostAsync("/api/projects/no_such_project_here/operations/background",
            new { operations = new[] { Create("op", "folder", new { name = "x" }) } });

        Assert.Equal("completed", task["status"]!.GetValue<string>());
        Assert.False(task["result"]!["success"]!.GetValue<bool>());
        Assert.Equal("op", task["result"]!["operations"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task updating_one_entity_twice_in_a_batch_is_a_request_error()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var folder = await new EntityBuilder(api, project).FolderAsync();

        var error = await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = new object[]
            {
                new { id = "a", type = "update", entityType = "folder", entityId = folder, data = new { label = "A" } },
                new { id = "b", type = "update", entityType = "folder", entityId = folder, data = new { label = "B" } },
            },
        }, expect: 400);

        Assert.Contains("more than once", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_unknown_entity_type_is_a_request_error_naming_the_operation()
    {
        var project = await TestProjects.CreateAsync(app);

        var error = await app.Service().PostAsync($"/api/projects/{project}/operations",
            new { operations = new[] { new { id = "x", type = "create", entityType = "spaceship", data = new { } } } }, expect: 400);

        Assert.StartsWith("operations.0.entityType:", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task creates_updates_and_deletes_mix_in_one_batch()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(api, project);
        var doomed = await build.FolderAsync();
        var kept = await build.FolderAsync();
        var shot = EntityBuilder.NewId();
        var task = EntityBuilder.NewId();

        var result = await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = new object[]
            {
                Create("1", "folder", new { name = "sh010", folderType = "Shot", parentId = kept }, shot),
                Create("2", "task", new { name = "comp", taskType = "Compositing", folderId = shot }, task),
                new { id = "3", type = "update", entityType = "folder", entityId = kept, data = new { label = "Kept" } },
                new { id = "4", type = "delete", entityType = "folder", entityId = doomed },
            },
        });

        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal([201, 201, 204, 204], result["operations"]!.AsArray().Select(o => o!["status"]!.GetValue<int>()));
        var created = await api.GetAsync($"/api/projects/{project}/tasks/{task}");
        Assert.EndsWith("/sh010/comp", created["path"]!.GetValue<string>());
        await api.GetAsync($"/api/projects/{project}/folders/{doomed}", expect: 404);
        Assert.Equal("Kept", (await api.GetAsync($"/api/projects/{project}/folders/{kept}"))["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_unknown_project_answers_404()
    {
        var error = await app.Service().PostAsync("/api/projects/nope_not_here/operations", new { operations = Array.Empty<object>() }, expect: 404);

        Assert.IsType<JsonObject>(error);
    }

    [Fact]
    public async Task a_malformed_operation_is_a_request_error_naming_its_field()
    {
        var project = await TestProjects.CreateAsync(app);

        var error = await app.Service().PostAsync($"/api/projects/{project}/operations",
            new { operations = new object[] { new { id = "ok", type = "create", entityType = "folder", data = new { name = "x" } }, new { id = "x", type = "upsert", entityType = "folder" } } }, expect: 400);

        Assert.StartsWith("operations.1.type:", error["detail"]!.GetValue<string>());
    }
}
