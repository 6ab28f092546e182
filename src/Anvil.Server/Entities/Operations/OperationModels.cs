using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace Anvil.Server.Entities.Operations;

/// <summary>One create, update or delete of a batch.</summary>
public sealed record OperationRequest
{
    /// <summary>Any string; echoed unchanged in the result (the client finds its operation by it).</summary>
    public string? Id { get; init; }

    /// <summary><c>create</c>, <c>update</c> or <c>delete</c>.</summary>
    [Required, RegularExpression("^(create|update|delete)$", ErrorMessage = "must be create, update or delete")]
    public string? Type { get; init; }

    /// <summary><c>folder</c>, <c>task</c>, <c>product</c>, <c>version</c>, <c>representation</c> or <c>workfile</c>.</summary>
    [Required]
    public string? EntityType { get; init; }

    /// <summary>The entity; for create, optional (also read from <c>data.id</c>, else generated).</summary>
    public string? EntityId { get; init; }

    /// <summary>Fields to write (create, update).</summary>
    public JsonObject? Data { get; init; }

    /// <summary>Delete a folder holding products, or rename/move a folder holding versions.</summary>
    public bool Force { get; init; }

    /// <summary>Anvil: the ETag the entity must still have (what the <c>If-Match</c> header carries for single-entity requests).</summary>
    public string? IfMatch { get; init; }
}

/// <summary>The body of <c>POST /api/projects/{project}/operations</c>.</summary>
public sealed record OperationsRequest
{
    public List<OperationRequest> Operations { get; init; } = [];

    /// <summary>false: all or nothing, stopping at the first failure. true: each operation on its own.</summary>
    public bool CanFail { get; init; }
}

/// <summary>The outcome of one operation; <c>status</c> is HTTP-like (201, 204, 400, 404, 409...).</summary>
public sealed record OperationResult
{
    public string? Id { get; init; }
    public required string Type { get; init; }
    public required string EntityType { get; init; }
    public string? EntityId { get; init; }
    public required bool Success { get; init; }
    public required int Status { get; init; }
    public string? ErrorCode { get; init; }
    public string? Detail { get; init; }
}

public sealed record OperationsResponse(bool Success, IReadOnlyList<OperationResult> Operations);

/// <summary>A background batch as the client polls it: always <c>completed</c> by the time it is seen.</summary>
public sealed record BackgroundOperationsResponse(string Id, string Status, double? Progress, OperationsResponse? Result);
