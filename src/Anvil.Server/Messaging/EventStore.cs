using System.Text.Json.Nodes;
using Npgsql;

namespace Anvil.Server.Messaging;

/// <summary>An event to dispatch: AYON's event fields that the dispatcher does not fill itself.</summary>
public sealed record NewEvent
{
    public required string Topic { get; init; }
    public string? Project { get; init; }
    public string? User { get; init; }
    public string? Sender { get; init; }
    public string? SenderType { get; init; }
    public string? Description { get; init; }
    public JsonObject Summary { get; init; } = [];
    public JsonObject Payload { get; init; } = [];
    public Guid? DependsOn { get; init; }
    public string? Hash { get; init; }
    public string Status { get; init; } = "finished";
}

/// <summary>
/// The one place where events are made. PLACEHOLDER until the events issue lands: the signatures
/// are the contract other features code against; the bodies are written by the events work.
/// </summary>
public sealed class EventStore
{
    /// <summary>
    /// Records the event inside the caller's open transaction; it is published to Redis and the
    /// websocket only after that transaction commits (outbox).
    /// </summary>
    public Task<Guid> DispatchAsync(NpgsqlConnection connection, NewEvent newEvent, CancellationToken cancellationToken = default) =>
        Task.FromResult(Guid.NewGuid());

    /// <summary>Dispatches an event on its own (its own transaction).</summary>
    public Task<Guid> DispatchAsync(NewEvent newEvent, CancellationToken cancellationToken = default) =>
        Task.FromResult(Guid.NewGuid());
}
