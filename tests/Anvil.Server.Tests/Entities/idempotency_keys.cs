using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Entities;

/// <summary>A retried operations request with the same Idempotency-Key applies nothing twice.</summary>
public sealed class idempotency_keys(AnvilApp app) : IClassFixture<AnvilApp>
{
    static object Batch(string name) => new
    {
        operations = new[] { new { id = "op", type = "create", entityType = "folder", data = new { name } } },
    };

    Task<System.Text.Json.Nodes.JsonNode> PostAsync(Api api, string path, object body, string key, int expect = 200) =>
        api.SendAsync(HttpMethod.Post, path, body, expect, request => request.Headers.Add("Idempotency-Key", key));

    [Fact]
    public async Task a_retry_returns_the_first_answer_without_applying_twice()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(api, $"/api/projects/{project}/operations", Batch("once"), key);
        var retry = await PostAsync(api, $"/api/projects/{project}/operations", Batch("once"), key);

        Assert.True(first["success"]!.GetValue<bool>());
        Assert.Equal(first.ToJsonString(), retry.ToJsonString());
        Assert.Equal("true", api.LastResponse!.Headers.GetValues("Idempotent-Replayed").Single());
        var stats = await api.GetAsync($"/api/projects/{project}/stats");
        Assert.Equal(1, stats["counts"]!["folders"]!.GetValue<long>());
    }

    [Fact]
    public async Task without_a_key_the_same_batch_runs_again()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        await api.PostAsync($"/api/projects/{project}/operations", Batch("twice"));

        var second = await api.PostAsync($"/api/projects/{project}/operations", Batch("twice"));

        Assert.False(second["success"]!.GetValue<bool>());
        Assert.Equal(409, second["operations"]![0]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_key_reused_for_a_different_body_is_refused()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var key = Guid.NewGuid().ToString();
        await PostAsync(api, $"/api/projects/{project}/operations", Batch("first"), key);

        var error = await PostAsync(api, $"/api/projects/{project}/operations", Batch("second"), key, expect: 409);

        Assert.Contains("different request", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task background_batches_honour_the_key_too()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(api, $"/api/projects/{project}/operations/background", Batch("bg"), key);
        var retry = await PostAsync(api, $"/api/projects/{project}/operations/background", Batch("bg"), key);

        Assert.Equal(first["id"]!.GetValue<string>(), retry["id"]!.GetValue<string>());
        Assert.Equal(1, (await api.GetAsync($"/api/projects/{project}/stats"))["counts"]!["folders"]!.GetValue<long>());
    }

    [Fact]
    public async Task a_request_that_failed_as_a_whole_may_be_retried_with_the_same_key()
    {
        var api = app.Service();
        var key = Guid.NewGuid().ToString();
        await PostAsync(api, "/api/projects/not_there_yet/operations", Batch("x"), key, expect: 404);
        var project = await TestProjects.CreateAsync(app);

        var retry = await PostAsync(api, $"/api/projects/{project}/operations", Batch("x"), key);

        Assert.True(retry["success"]!.GetValue<bool>());
    }
}
