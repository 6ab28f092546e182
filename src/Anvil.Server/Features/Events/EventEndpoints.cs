using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Events;

/// <summary>Body of <c>POST /api/events</c>.</summary>
public sealed record DispatchEventRequest
{
    /// <summary>Topic of the event, e.g. <c>my.service.done</c>.</summary>
    [Required, RegularExpression(EventEndpoints.TopicPattern)] public string? Topic { get; init; }
    public string? Sender { get; init; }
    /// <summary>Unique key; defaults to the event id.</summary>
    public string? Hash { get; init; }
    public string? Project { get; init; }
    /// <summary>Deprecated alias of <c>project</c>.</summary>
    public string? ProjectName { get; init; }
    /// <summary>Ignored: the event's user is the one making the request.</summary>
    public string? User { get; init; }
    /// <summary>The event this one depends on (Anvil stores it; AYON ignores it here).</summary>
    public Guid? DependsOn { get; init; }
    [MaxLength(10_000)] public string? Description { get; init; }
    public JsonObject? Summary { get; init; }
    public JsonObject? Payload { get; init; }
    /// <summary>False: the event starts as <c>pending</c>.</summary>
    public bool? Finished { get; init; }
    /// <summary>False: broadcast only, not stored.</summary>
    public bool? Store { get; init; }
    /// <summary>True: an existing event with the same hash is overwritten instead of answering 409.</summary>
    public bool? Reuse { get; init; }
}

/// <summary>Answer of a dispatch: the new event's id.</summary>
public sealed record EventIdResponse(Guid Id);

/// <summary>Body of <c>POST /api/query</c>.</summary>
public sealed record QueryRequest
{
    /// <summary>Only <c>event</c>.</summary>
    [Required] public string? Entity { get; init; }
    public JsonNode? Filter { get; init; }
    [Range(1, 10_000)] public int Limit { get; init; } = 100;
    [Range(0, int.MaxValue)] public int Offset { get; init; }
}

/// <summary>Body of <c>POST /api/eventops</c>.</summary>
public sealed record EventOperationRequest
{
    /// <summary><c>delete</c> (<c>restart</c> and <c>abort</c> are not implemented, as in AYON).</summary>
    [Required] public string? Type { get; init; }
    public JsonNode? Filter { get; init; }
}

/// <summary>How many events an operation touched.</summary>
public sealed record EventOperationResponse(int Deleted);

/// <summary>Body of <c>POST /api/enroll</c>.</summary>
public sealed record EnrollRequest
{
    /// <summary>A topic (<c>*</c> wildcards allowed) or a list of topics of the source events.</summary>
    public JsonNode? SourceTopic { get; init; }
    /// <summary>Topic of the job events (no wildcards).</summary>
    public string? TargetTopic { get; init; }
    public string? Sender { get; init; }
    public string? SenderType { get; init; }
    public string? Description { get; init; }
    /// <summary>True: never take a job while an older one is held by another worker.</summary>
    public bool? Sequential { get; init; }
    public JsonNode? Filter { get; init; }
    [Range(0, 1_000_000)] public int? MaxRetries { get; init; }
    public string[]? IgnoreSenderTypes { get; init; }
    /// <summary>Days; source events updated longer ago are ignored. 0: no limit.</summary>
    [Range(0, 100_000)] public int? IgnoreOlderThan { get; init; }
    /// <summary>Accepted and ignored.</summary>
    public bool? SlothMode { get; init; }
}

public static partial class EventEndpoints
{
    public const string TopicPattern = @"^[a-zA-Z][a-zA-Z0-9_\.\*]{2,64}$";
    const string NamePattern = @"^[a-zA-Z0-9_]([a-zA-Z0-9_\.\-]*[a-zA-Z0-9_])?$";

    static readonly HashSet<string> RestartableTopics =
        ["addon.install_from_url", "installer.install_from_url", "dependency_package.install_from_url"];

    public static void MapEventEndpoints(this RouteGroupBuilder api)
    {
        var events = api.MapGroup("/events").WithTags("Events");
        events.MapPost("", DispatchAsync).WithName("post_event")
            .WithSummary("Dispatch an event (managers).");
        events.MapGet("/{eventId}", GetAsync).WithName("get_event")
            .WithSummary("One event.");
        events.MapPatch("/{eventId}", UpdateAsync).WithName("update_existing_event")
            .WithSummary("Change an event: status, description, progress (0–100, broadcast only), ...");
        events.MapDelete("/{eventId}", DeleteAsync).WithName("delete_event")
            .WithSummary("Delete an event (admins).");
        api.MapPost("/query", QueryAsync).WithName("query").WithTags("Events")
            .WithSummary("Events matching a filter, newest first (admins).");
        api.MapPost("/eventops", OperateAsync).WithName("event_operations").WithTags("Events")
            .WithSummary("Delete the events matching a filter (admins).");
        api.MapPost("/enroll", EnrollAsync).WithName("enroll").WithTags("Events")
            .WithSummary("Take the next job of a service queue (service users): 200 with the job, 204 when there is none.");
    }

    static async Task<EventIdResponse> DispatchAsync(DispatchEventRequest request, CurrentUser user, HttpContext context, EventStore store)
    {
        if (!user.IsManager)
            throw new Forbidden("Only managers may dispatch events");
        var id = await store.DispatchAsync(new NewEvent
        {
            Topic = request.Topic!,
            Hash = request.Hash,
            Project = request.Project ?? request.ProjectName,
            User = user.Name,
            Sender = request.Sender ?? Header(context, "X-Sender"),
            SenderType = Header(context, "X-Sender-Type") ?? "api",
            DependsOn = request.DependsOn,
            Description = request.Description,
            Summary = request.Summary ?? [],
            Payload = request.Payload ?? [],
            Status = request.Finished == false ? "pending" : "finished",
            Store = request.Store != false,
            Reuse = request.Reuse == true,
        }, context.RequestAborted);
        return new EventIdResponse(id);
    }

    static async Task<EventRecord> GetAsync(string eventId, CurrentUser user, EventStore store, HttpContext context)
    {
        var id = ParseId(eventId);
        if (user.User.IsGuest)
            throw new Forbidden("Guests may not read events");
        var record = await store.GetAsync(id, context.RequestAborted) ?? throw NotFound.Entity("event", eventId);
        if (record.Project is not null && !ProjectAccess.MayEnter(user, record.Project))
            throw new Forbidden("You do not have access to this event's project");
        return record;
    }

    static async Task<IResult> UpdateAsync(string eventId, JsonNode? body, CurrentUser user, EventStore store, HttpContext context)
    {
        var id = ParseId(eventId);
        var changes = ParseChanges(body as JsonObject ?? throw new BadRequest("The request body must be a JSON object", "validation-error"));
        if (changes.Sender is null && Header(context, "X-Sender") is { } headerSender)
            changes = changes with { Sender = headerSender };
        if (Header(context, "X-Sender-Type") is { } headerSenderType)
            changes = changes with { SenderType = headerSenderType };

        // Checked on the event as it stands, locked, in the transaction that changes it.
        void Authorize(EventRecord record)
        {
            if (changes.Status is not null && changes.Status != record.Status)
            {
                if (record.Topic == "action.launcher")
                {
                    if (!user.User.IsAdmin && !string.Equals(record.User, user.Name, StringComparison.OrdinalIgnoreCase))
                        throw new Forbidden("Only the launcher's user may change the status of this action");
                }
                else if (!user.IsService && record.DependsOn is null && !RestartableTopics.Contains(record.Topic))
                    throw new Forbidden("Only services may change the status of this event");
            }
            if (!user.IsManager)
            {
                if (!string.Equals(record.User, user.Name, StringComparison.OrdinalIgnoreCase))
                    throw new Forbidden("You may change only your own events");
                if (changes.User is not null && !string.Equals(changes.User, user.Name, StringComparison.OrdinalIgnoreCase))
                    throw new Forbidden("You may not give an event to another user");
            }
        }

        _ = await store.UpdateAsync(id, changes, context.RequestAborted, Authorize) ?? throw NotFound.Entity("event", eventId);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string eventId, CurrentUser user, EventStore store, HttpContext context)
    {
        var id = ParseId(eventId);
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may delete events");
        if (!await store.DeleteAsync(id, context.RequestAborted))
            throw NotFound.Entity("event", eventId);
        return Results.NoContent();
    }

    static async Task<IReadOnlyList<EventRecord>> QueryAsync(QueryRequest request, CurrentUser user, EventStore store, HttpContext context)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may query events");
        if (request.Entity != "event")
            throw BadRequest.Field("entity", "only 'event' can be queried");
        return await store.QueryAsync(QueryFilter.Parse(request.Filter), request.Limit, request.Offset, context.RequestAborted);
    }

    static async Task<EventOperationResponse> OperateAsync(EventOperationRequest request, CurrentUser user, EventStore store, HttpContext context)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may operate on events");
        switch (request.Type)
        {
            case "delete":
                var filter = QueryFilter.Parse(request.Filter);
                if (filter is null || filter.Conditions.Count == 0)
                    throw BadRequest.Field("filter", "a delete needs a filter with at least one condition");
                return new EventOperationResponse(await store.DeleteWhereAsync(filter, context.RequestAborted));
            case "restart" or "abort":
                throw new AyonError(501, $"Event operation '{request.Type}' is not implemented");
            default:
                throw BadRequest.Field("type", "must be 'delete', 'restart' or 'abort'");
        }
    }

    static async Task<IResult> EnrollAsync(EnrollRequest request, CurrentUser user, EventQueue queue, HttpContext context)
    {
        if (!user.IsService)
            throw new Forbidden("Only service users may enroll");
        var query = ParseEnroll(request, context);
        var job = await queue.EnrollAsync(query, user, context.RequestAborted);
        return job is null ? Results.NoContent() : Results.Json(job, AyonJson.Options);
    }

    static EnrollQuery ParseEnroll(EnrollRequest request, HttpContext context)
    {
        List<string> topics;
        bool pattern;
        switch (request.SourceTopic)
        {
            case JsonValue value when value.TryGetValue<string>(out var topic):
                topics = [topic];
                pattern = true;
                break;
            case JsonArray list when list.Count > 0:
                topics = [];
                foreach (var item in list)
                    topics.Add(item is JsonValue v && v.TryGetValue<string>(out var t) ? t : throw BadRequest.Field("sourceTopic", "must be a topic or a list of topics"));
                pattern = false;
                break;
            default:
                throw BadRequest.Field("sourceTopic", "must be a topic or a non-empty list of topics");
        }
        foreach (var topic in topics)
            if (!Topic().IsMatch(topic))
                throw BadRequest.Field("sourceTopic", $"'{topic}' is not a valid topic");
        if (request.TargetTopic is not { } target || !Topic().IsMatch(target) || target.Contains('*'))
            throw BadRequest.Field("targetTopic", "must be a topic without wildcards");
        return new EnrollQuery
        {
            SourceTopics = topics,
            SourceIsPattern = pattern,
            TargetTopic = target,
            Sender = request.Sender ?? Header(context, "X-Sender"),
            SenderType = request.SenderType ?? Header(context, "X-Sender-Type"),
            Description = request.Description,
            Sequential = request.Sequential == true,
            Filter = QueryFilter.Parse(request.Filter),
            MaxRetries = request.MaxRetries ?? 3,
            IgnoreSenderTypes = request.IgnoreSenderTypes ?? [],
            IgnoreOlderThanDays = request.IgnoreOlderThan ?? 3,
        };
    }

    static EventChanges ParseChanges(JsonObject body)
    {
        static string? Text(JsonObject body, string field)
        {
            var node = body[field];
            if (node is null)
                return null;
            return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw BadRequest.Field(field, "must be a string", "type_error");
        }
        static JsonObject? Object(JsonObject body, string field) => body[field] switch
        {
            null => null,
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => throw BadRequest.Field(field, "must be an object", "type_error"),
        };

        var status = Text(body, "status");
        if (status is not null && !EventStore.Statuses.Contains(status))
            throw BadRequest.Field("status", $"must be one of {string.Join(", ", EventStore.Statuses)}");
        double? progress = null;
        if (body["progress"] is { } p)
        {
            if (p.GetValueKind() != JsonValueKind.Number || !p.AsValue().TryGetValue<double>(out var value) || value < 0 || value > 100)
                throw BadRequest.Field("progress", "must be a number from 0 to 100");
            progress = value;
        }
        int? retries = null;
        if (body["retries"] is { } r)
        {
            if (r.GetValueKind() != JsonValueKind.Number || !r.AsValue().TryGetValue<int>(out var value) || value < 0)
                throw BadRequest.Field("retries", "must be a whole number, 0 or more");
            retries = value;
        }
        return new EventChanges
        {
            Sender = Text(body, "sender"),
            Project = Text(body, "project") ?? Text(body, "projectName"),
            User = Text(body, "user"),
            Status = status,
            Description = Text(body, "description"),
            Summary = Object(body, "summary"),
            Payload = Object(body, "payload"),
            Progress = progress,
            Retries = retries,
        };
    }

    static Guid ParseId(string eventId) =>
        HexId().IsMatch(eventId) ? Guid.ParseExact(eventId, "N") : throw new BadRequest($"'{eventId}' is not an event id (32 hexadecimal characters)", "invalid-id");

    /// <summary>X-Sender / X-Sender-Type, ignored unless they look like AYON names.</summary>
    static string? Header(HttpContext context, string name) =>
        context.Request.Headers[name].ToString() is { Length: > 0 } value && Name().IsMatch(value) ? value : null;

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HexId();

    [GeneratedRegex(TopicPattern)]
    private static partial Regex Topic();

    [GeneratedRegex(NamePattern)]
    private static partial Regex Name();
}
