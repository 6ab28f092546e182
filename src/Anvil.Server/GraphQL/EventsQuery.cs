using System.Globalization;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>The filters of the <c>events</c> root; null means "no filter", an empty list matches nothing.</summary>
public sealed record EventFilter
{
    public IReadOnlyList<string>? Ids { get; init; }
    public IReadOnlyList<string>? Topics { get; init; }
    public IReadOnlyList<string>? Projects { get; init; }
    public IReadOnlyList<string>? Users { get; init; }
    public IReadOnlyList<string>? Statuses { get; init; }
    public bool? HasChildren { get; init; }
    public DateTimeOffset? NewerThan { get; init; }
    public DateTimeOffset? OlderThan { get; init; }
    public bool IncludeLogs { get; init; }
    public string? Search { get; init; }
}

/// <summary>
/// The <c>events</c> root: AYON's listing of the event log, filtered and paged in one SQL query
/// (ordered by creation). Non-managers see their own events only, unless they ask by id.
/// </summary>
public static class EventsQuery
{
    public static void AddEventsField(this ObjectGraphType query) =>
        query.Field<NonNullGraphType<ConnectionType<EventNodeType, EventRecord>>>("events").Description("The event log, oldest first.")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("ids")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("topics", "Topics; * is a wildcard.")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("projects")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("users")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("statuses")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("states", "Deprecated name of statuses.")
            .Argument<BooleanGraphType>("hasChildren", "Only events that other events depend on (true), or that none do (false).")
            .Argument<StringGraphType>("newerThan", "ISO-8601: created after this.")
            .Argument<StringGraphType>("olderThan", "ISO-8601: created before this.")
            .Argument<BooleanGraphType>("includeLogs", "Include log.* events (default false).")
            .Argument<StringGraphType>("filter", "Words (3 letters or more) that must all appear in the topic, project, user or description.")
            .PagingArguments()
            .ResolveAsync(async context =>
            {
                var filter = new EventFilter
                {
                    Ids = context.GetArgument<List<string>?>("ids"),
                    Topics = context.GetArgument<List<string>?>("topics"),
                    Projects = context.GetArgument<List<string>?>("projects"),
                    Users = context.GetArgument<List<string>?>("users"),
                    Statuses = context.GetArgument<List<string>?>("statuses") ?? context.GetArgument<List<string>?>("states"),
                    HasChildren = context.GetArgument<bool?>("hasChildren"),
                    NewerThan = Timestamp(context.GetArgument<string?>("newerThan"), "newerThan"),
                    OlderThan = Timestamp(context.GetArgument<string?>("olderThan"), "olderThan"),
                    IncludeLogs = context.GetArgument<bool?>("includeLogs") ?? false,
                    Search = context.GetArgument<string?>("filter"),
                };
                // summary and payload can be large: read only when selected.
                var withPayload = SelectedFields.OfNodes(context).Any(f => f is "summary" or "payload");
                return await ListAsync(context.Service<Db>(), context.CurrentUser(), filter, context.Paging(), context.CancellationToken, withPayload);
            });

    /// <summary>One page of events; without <paramref name="withPayload"/> their summary and payload are left empty (not read).</summary>
    public static async Task<Connection<EventRecord>> ListAsync(Db db, CurrentUser user, EventFilter filter, Paging paging, CancellationToken cancellationToken,
        bool withPayload = true)
    {
        var parameters = new DynamicParameters();
        var columns = EventStore.ColumnsOf("e.");
        if (!withPayload)
            columns = columns.Replace("e.summary, e.payload", "'{}'::jsonb AS summary, '{}'::jsonb AS payload", StringComparison.Ordinal);
        var sql = $"SELECT {columns}, e.creation_order FROM events e WHERE true";
        if (filter.Ids is not null)
        {
            parameters.Add("ids", filter.Ids.Select(i => Guid.TryParse(i, out var id) ? id : Guid.Empty).ToArray());
            sql += "\n  AND e.id = ANY(@ids)";
        }
        else if (!user.IsManager)
        {
            parameters.Add("self", user.Name);
            sql += "\n  AND e.user_name = @self";
        }
        if (ProjectAccess.VisibleProjects(user) is { } visible)
        {
            parameters.Add("visible", visible.ToArray());
            sql += "\n  AND (e.project_name IS NULL OR lower(e.project_name) = ANY(@visible))";
        }
        if (filter.Topics is not null)
        {
            parameters.Add("topics", filter.Topics.Select(SqlText.WildcardPattern).ToArray());
            sql += "\n  AND e.topic LIKE ANY(@topics)";
        }
        if (!filter.IncludeLogs)
            sql += "\n  AND e.topic NOT LIKE 'log.%'";
        string[] sortKeys = ["e.creation_order"];
        AddList(ref sql, parameters, "projects", "e.project_name", filter.Projects);
        // One project leads the order (a constant: the order is the same) so that PostgreSQL reads its
        // events in order from events_project_creation_order. Ordered by creation alone it may walk the
        // whole log's order backwards instead, filtering by project, and so read every newer event of
        // other projects (100 ms and more on a busy log). = ANY, not =, keeps the planner from dropping
        // the constant from the order.
        if (filter.Projects is [_])
            sortKeys = ["e.project_name", "e.creation_order"];
        AddList(ref sql, parameters, "users", "e.user_name", filter.Users);
        AddList(ref sql, parameters, "statuses", "e.status", filter.Statuses);
        if (filter.HasChildren is { } hasChildren)
            sql += $"\n  AND {(hasChildren ? "" : "NOT ")}EXISTS (SELECT FROM events c WHERE c.depends_on = e.id)";
        if (filter.NewerThan is { } newer)
        {
            parameters.Add("newerThan", newer);
            sql += "\n  AND e.created_at > @newerThan";
        }
        if (filter.OlderThan is { } older)
        {
            parameters.Add("olderThan", older);
            sql += "\n  AND e.created_at < @olderThan";
        }
        var words = (filter.Search ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 3).ToList();
        for (var i = 0; i < words.Count; i++)
        {
            parameters.Add($"word{i}", SqlText.ContainsPattern(words[i]));
            sql += $"\n  AND (e.topic ILIKE @word{i} OR e.project_name ILIKE @word{i} OR e.user_name ILIKE @word{i} OR e.description ILIKE @word{i})";
        }
        sql = paging.Apply(sql, sortKeys, parameters);

        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = new List<(EventRecord Event, long Order)>();
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)))
        {
            var order = reader.GetOrdinal("creation_order");
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((EventStore.Read(reader), reader.GetInt64(order)));
        }
        var page = sortKeys.Length == 1 ? paging.ToConnection(rows, row => [row.Order]) : paging.ToConnection(rows, row => [row.Event.Project, row.Order]);
        // Each edge's cursor stays computed on first use (a page's client reads one or two).
        return new Connection<EventRecord>([.. page.Edges.Select(e => new Edge<EventRecord>(e.Node.Event, () => e.Cursor))], page.PageInfo);
    }

    static void AddList(ref string sql, DynamicParameters parameters, string name, string column, IReadOnlyList<string>? values)
    {
        if (values is null)
            return;
        parameters.Add(name, values.ToArray());
        sql += $"\n  AND {column} = ANY(@{name})";
    }

    static DateTimeOffset? Timestamp(string? text, string field) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw BadRequest.Field(field, $"'{text}' is not an ISO-8601 date and time");
}

/// <summary>An event as GraphQL shows it; summary and payload are JSON strings, as AYON's.</summary>
public sealed class EventNodeType : ObjectGraphType<EventRecord>
{
    public EventNodeType()
    {
        Name = "EventNode";
        Field<NonNullGraphType<StringGraphType>>("id").Resolve(c => c.Source.Id.ToString("N"));
        Field(e => e.Hash);
        Field(e => e.Topic);
        Field(e => e.Project, nullable: true);
        Field(e => e.User, nullable: true);
        Field(e => e.Sender, nullable: true);
        Field(e => e.SenderType, nullable: true);
        Field<StringGraphType>("dependsOn").Resolve(c => c.Source.DependsOn?.ToString("N"));
        Field(e => e.Status);
        Field(e => e.Retries);
        Field(e => e.Description);
        Field<NonNullGraphType<StringGraphType>>("summary").Resolve(c => c.Source.Summary.ToJsonString());
        Field<NonNullGraphType<StringGraphType>>("payload").Resolve(c => c.Source.Payload.ToJsonString());
        Field<NonNullGraphType<StringGraphType>>("createdAt").Resolve(c => TimestampConverter.Text(c.Source.CreatedAt));
        Field<NonNullGraphType<StringGraphType>>("updatedAt").Resolve(c => TimestampConverter.Text(c.Source.UpdatedAt));
        // Each field reads only the event: a page of events is rendered in one pass (RenderedConnections).
        this.AllPlain();
    }
}
