using System.Text.Json;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Entities.Operations;

/// <summary>
/// <c>POST /api/projects/{projectName}/operations</c> and its background twin. The background
/// variant runs the batch before answering and stores the result, so both its POST and its GET
/// answer <c>completed</c>: the official client polls until it sees that, forever.
/// </summary>
public static class OperationsEndpoints
{
    static readonly TimeSpan ResultLifetime = TimeSpan.FromHours(24);

    public static void MapOperationsEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/projects/{projectName}/operations").WithTags("Operations");
        group.MapPost("/", RunAsync).WithName("operations")
            .WithSummary("Create, update and delete entities in one batch (atomic unless canFail).");
        group.MapPost("/background", RunInBackgroundAsync).WithName("background_operations")
            .WithSummary("The same batch, answered as a background task the client polls.");
        group.MapGet("/background/{taskId}", GetBackgroundAsync).WithName("get_background_operations")
            .WithSummary("The state and result of a background batch.");
    }

    static Task<OperationsResponse> RunAsync(string projectName, OperationsRequest request, CurrentUser user, HttpContext http, OperationsPipeline pipeline,
        IdempotencyKeys idempotency) =>
        idempotency.RunOnceAsync(http, user.Name, new { projectName, request }, () =>
            pipeline.RunAsync(projectName, WriterOf(user, http), request.Operations, request.CanFail, http.RequestAborted));

    static Task<BackgroundOperationsResponse> RunInBackgroundAsync(string projectName, OperationsRequest request, CurrentUser user, HttpContext http,
        OperationsPipeline pipeline, Redis redis, IdempotencyKeys idempotency, ILogger<OperationsPipeline> logger) =>
        idempotency.RunOnceAsync(http, user.Name, new { projectName, request, background = true }, () =>
            RunBatchInBackgroundAsync(projectName, request, user, http, pipeline, redis, logger));

    static async Task<BackgroundOperationsResponse> RunBatchInBackgroundAsync(string projectName, OperationsRequest request, CurrentUser user, HttpContext http,
        OperationsPipeline pipeline, Redis redis, ILogger<OperationsPipeline> logger)
    {
        var taskId = Guid.NewGuid().ToString("N");
        OperationsResponse result;
        try
        {
            result = await pipeline.RunAsync(projectName, WriterOf(user, http), request.Operations, request.CanFail, http.RequestAborted);
        }
        catch (AyonError error)
        {
            // A background task must always end: a request-level failure becomes a failed result.
            // The client looks the failed result up among the operations it sent, so it carries the first one's id.
            var first = request.Operations.FirstOrDefault();
            result = new OperationsResponse(false, [new OperationResult
            {
                Id = first?.Id, Type = first?.Type ?? "", EntityType = first?.EntityType ?? "",
                Success = false, Status = error.Status, ErrorCode = error.ErrorCode, Detail = error.Message,
            }]);
            logger.LogInformation("Background batch {TaskId} refused: {Detail}", taskId, LogText.Sanitize(error.Message));
        }
        var task = new BackgroundOperationsResponse(taskId, "completed", 100.0, result);
        await redis.Database.StringSetAsync(redis.Key("operations", $"{user.Name}:{taskId}"), JsonSerializer.Serialize(task, AyonJson.Options), ResultLifetime);
        return task;
    }

    static async Task<BackgroundOperationsResponse> GetBackgroundAsync(string projectName, string taskId, CurrentUser user, Redis redis)
    {
        var stored = await redis.Database.StringGetAsync(redis.Key("operations", $"{user.Name}:{taskId}"));
        if (stored.IsNullOrEmpty)
            throw new NotFound($"Background operations {taskId} not found (results are kept for 24 hours)");
        return JsonSerializer.Deserialize<BackgroundOperationsResponse>(stored.ToString(), AyonJson.Options)!;
    }

    /// <summary>The acting user and the event signature of the request (X-Sender / X-Sender-Type, when they are valid names).</summary>
    public static Writer WriterOf(CurrentUser user, HttpContext http) =>
        new(user, ValidName(http.Request.Headers["X-Sender"]), ValidName(http.Request.Headers["X-Sender-Type"]) ?? "api");

    static string? ValidName(string? value) => Names.IsEntityName(value) ? value : null;
}
