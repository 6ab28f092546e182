using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;
using NpgsqlTypes;

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

    /// <summary>Unique key of the event; defaults to its id. A second event with the same hash is a conflict, unless <see cref="Reuse"/>.</summary>
    public string? Hash { get; init; }

    public string Status { get; init; } = "finished";

    /// <summary>With a <see cref="Hash"/> that exists already: overwrite that event (it gets a new id) instead of failing.</summary>
    public bool Reuse { get; init; }

    /// <summary>False: only broadcast, never written to the event table.</summary>
    public bool Store { get; init; } = true;

    /// <summary>When set, only these users receive the event on the websocket.</summary>
    public IReadOnlyList<string>? Recipients { get; init; }
}

/// <summary>Changes to an event (PATCH). A null member leaves the field as it is.</summary>
public sealed record EventChanges
{
    public string? Sender { get; init; }
    public string? SenderType { get; init; }
    public string? Project { get; init; }
    public string? User { get; init; }
    public string? Status { get; init; }
    public string? Description { get; init; }
    public JsonObject? Summary { get; init; }
    public JsonObject? Payload { get; init; }
    public int? Retries { get; init; }

    /// <summary>0–100; broadcast with the update, never stored.</summary>
    public double? Progress { get; init; }
}

/// <summary>A stored event, as AYON's REST API shows it.</summary>
public sealed record EventRecord
{
    public Guid Id { get; init; }
    public string Hash { get; init; } = "";
    public string Topic { get; init; } = "";
    public string? Sender { get; init; }
    public string? SenderType { get; init; }
    public string? Project { get; init; }
    public string? User { get; init; }
    public Guid? DependsOn { get; init; }
    public string Status { get; init; } = "finished";
    public int Retries { get; init; }
    public string Description { get; init; } = "";
    public JsonObject Summary { get; init; } = [];
    public JsonObject Payload { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// The one place where events are made and changed. Every dispatch and update also writes a row of
/// the outbox (<c>event_stream</c>) in the same transaction; <see cref="EventPublisher"/> publishes it
/// on Redis after commit, so listeners never see a rolled-back change and never miss a committed one.
/// </summary>
public sealed class EventStore(Db db, EventPublisher publisher)
{
    public static readonly IReadOnlySet<string> Statuses = new HashSet<string>(StringComparer.Ordinal)
        { "pending", "in_progress", "finished", "failed", "aborted", "restarted" };

    internal static string Columns { get; } = ColumnsOf("");

    // Enroll cursors (EventQueue) may have passed a source whose job was done, or a source that was
    // not eligible. These lower them, in the transaction of the change that may make it eligible again.

    /// <summary>Lowers the cursors of job <c>@id</c>'s topic to its source: the job may be to do again.</summary>
    const string LowerCursorsForJob = """
        UPDATE enroll_cursors c
        SET position_at = s.created_at, position_order = s.creation_order, generation = c.generation + 1
        FROM events j
        JOIN events s ON s.id = j.depends_on
        WHERE j.id = @id AND c.target_topic = j.topic
          AND (c.position_at, c.position_order) > (s.created_at, s.creation_order)
        """;

    /// <summary>Lowers the cursors whose sources include event <c>@id</c> to it: it may have become eligible.</summary>
    const string LowerCursorsForSource = """
        UPDATE enroll_cursors c
        SET position_at = e.created_at, position_order = e.creation_order, generation = c.generation + 1
        FROM events e
        WHERE e.id = @id
          AND (c.position_at, c.position_order) > (e.created_at, e.creation_order)
          AND (e.topic = ANY(c.source_topics) OR e.topic LIKE c.source_pattern)
        """;

    /// <summary>After events are deleted (jobs among them, perhaps), every cursor starts over.</summary>
    const string ResetCursors = "DELETE FROM enroll_cursors;";

    /// <summary>The select list of an <see cref="EventRecord"/>, from the events table aliased <paramref name="alias"/> (e.g. <c>"t."</c>).</summary>
    internal static string ColumnsOf(string alias) => $"""
        {alias}id, {alias}hash, {alias}topic, {alias}sender, {alias}sender_type, {alias}project_name AS project,
        {alias}user_name AS "user", {alias}depends_on, {alias}status, {alias}retries, {alias}description,
        {alias}summary, {alias}payload, {alias}created_at, {alias}updated_at
        """;

    /// <summary>
    /// The <see cref="EventRecord"/> of the current row of a reader whose first columns are <see cref="ColumnsOf"/>'s,
    /// read by position with the columns' own types (what Dapper's mapping does, without its per-row boxing):
    /// for lists read many rows at a time (the GraphQL events page).
    /// </summary>
    internal static EventRecord Read(DbDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        Hash = reader.GetString(1),
        Topic = reader.GetString(2),
        Sender = reader.IsDBNull(3) ? null : reader.GetString(3),
        SenderType = reader.IsDBNull(4) ? null : reader.GetString(4),
        Project = reader.IsDBNull(5) ? null : reader.GetString(5),
        User = reader.IsDBNull(6) ? null : reader.GetString(6),
        DependsOn = reader.IsDBNull(7) ? null : reader.GetGuid(7),
        Status = reader.GetString(8),
        Retries = reader.GetInt32(9),
        Description = reader.IsDBNull(10) ? "" : reader.GetString(10),
        Summary = JsonObjectOf(reader, 11),
        Payload = JsonObjectOf(reader, 12),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(13),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(14),
    };

    static JsonObject JsonObjectOf(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) || reader.GetString(ordinal) is not { } text ? [] : text == "{}" ? [] : JsonNode.Parse(text)!.AsObject();

    /// <summary>
    /// Records the event inside the caller's open transaction; it is published to Redis and the
    /// websocket only after that transaction commits (outbox).
    /// </summary>
    public async Task<Guid> DispatchAsync(NpgsqlConnection connection, NewEvent newEvent, CancellationToken cancellationToken = default) =>
        (await DispatchRecordAsync(connection, newEvent, cancellationToken)).Id;

    /// <summary>
    /// Records events inside the caller's open transaction with one COPY, each keyed by its own id
    /// (no <see cref="NewEvent.Hash"/>, always stored): what a batch of entity writes dispatches.
    /// Published, in this order, after the transaction commits.
    /// <paramref name="notifyOnCommit"/> false: the caller calls <see cref="Committed"/> after its commit.
    /// </summary>
    public async Task DispatchAsync(NpgsqlConnection connection, IReadOnlyList<NewEvent> newEvents, CancellationToken cancellationToken = default,
        bool notifyOnCommit = true)
    {
        if (newEvents.Count == 0)
            return;
        foreach (var e in newEvents)
        {
            if (e.Hash is not null || e.Reuse || !e.Store)
                throw new ArgumentException("Events with a hash, or not stored, are dispatched one at a time", nameof(newEvents));
            if (!Statuses.Contains(e.Status))
                throw BadRequest.Field("status", $"'{e.Status}' is not an event status");
        }
        var ids = newEvents.Select(_ => Guid.CreateVersion7()).ToArray();
        // Each summary is serialised once: for its column and for its message.
        var summaries = new string[newEvents.Count];
        for (var i = 0; i < summaries.Length; i++)
            summaries[i] = newEvents[i].Summary.ToJsonString();
        // The rows' createdAt and updatedAt are their column defaults, now(): the transaction's time,
        // which the messages carry too.
        DateTimeOffset stamp;
        await using (var now = new NpgsqlCommand("SELECT now()", connection))
        await using (var reader = await now.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            stamp = reader.GetFieldValue<DateTimeOffset>(0);
        }
        // Binary COPY: PostgreSQL parses only the summaries and payloads themselves. The same rows as a
        // statement unnesting one array per column cost it 23 µs each against COPY's 14 (1,000
        // creation events, one backend's CPU): the arrays are materialised, then sorted by position.
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY events (id, hash, topic, sender, sender_type, project_name, user_name, depends_on, status, description, summary, payload) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            for (var i = 0; i < ids.Length; i++)
            {
                var e = newEvents[i];
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(ids[i], NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(ids[i].ToString("N"), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(e.Topic, NpgsqlDbType.Text, cancellationToken);
                await WriteTextOrNullAsync(copy, e.Sender, cancellationToken);
                await WriteTextOrNullAsync(copy, e.SenderType, cancellationToken);
                await WriteTextOrNullAsync(copy, e.Project, cancellationToken);
                await WriteTextOrNullAsync(copy, e.User, cancellationToken);
                if (e.DependsOn is { } dependsOn)
                    await copy.WriteAsync(dependsOn, NpgsqlDbType.Uuid, cancellationToken);
                else
                    await copy.WriteNullAsync(cancellationToken);
                await copy.WriteAsync(e.Status, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(e.Description ?? "", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(summaries[i], NpgsqlDbType.Jsonb, cancellationToken);
                await copy.WriteAsync(e.Payload.ToJsonString(), NpgsqlDbType.Jsonb, cancellationToken);
            }
            var written = await copy.CompleteAsync(cancellationToken);
            if (written != (ulong)ids.Length)
                throw new InvalidOperationException($"{written} of {ids.Length} events were written");
        }
        using var messages = new PooledBuffer(newEvents.Count * 512);
        StoredMessagesJson(messages, newEvents, ids, summaries, stamp);
        await AppendToStreamAsync(connection, messages.WrittenMemory, newEvents.Count, notifyOnCommit, cancellationToken);
    }

    static async Task WriteTextOrNullAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken)
    {
        if (value is null)
            await copy.WriteNullAsync(cancellationToken);
        else
            await copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
    }

    /// <summary>Dispatches an event on its own (its own transaction).</summary>
    public async Task<Guid> DispatchAsync(NewEvent newEvent, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var record = await TryDispatchRecordAsync(connection, newEvent, cancellationToken, notifyOnCommit: false)
            ?? throw new Conflict("Event with the same hash already exists", "event-hash-exists");
        await transaction.CommitAsync(cancellationToken);
        publisher.Wake();
        return record.Id;
    }

    /// <summary>As <see cref="DispatchAsync(NpgsqlConnection, NewEvent, CancellationToken)"/>, answering the stored row.</summary>
    public async Task<EventRecord> DispatchRecordAsync(NpgsqlConnection connection, NewEvent e, CancellationToken cancellationToken = default) =>
        await TryDispatchRecordAsync(connection, e, cancellationToken) ?? throw new Conflict("Event with the same hash already exists", "event-hash-exists");

    /// <summary>
    /// As <see cref="TryDispatchRecordAsync(NpgsqlConnection, NewEvent, CancellationToken, bool)"/> for a stored event without <see cref="NewEvent.Reuse"/>, in
    /// one round trip: the caller knows its transaction's time (<c>now()</c>, which becomes the event's
    /// <c>createdAt</c>), so the message is made before the row, and row and outbox go together.
    /// <paramref name="commit"/>: the caller began its transaction with SQL (<c>BEGIN</c>), and the same
    /// round trip commits it, whether or not the event was written.
    /// </summary>
    public async Task<EventRecord?> TryDispatchRecordAsync(NpgsqlConnection connection, NewEvent e, DateTimeOffset transactionTime,
        bool notifyOnCommit, CancellationToken cancellationToken = default, bool commit = false)
    {
        if (!Statuses.Contains(e.Status))
            throw BadRequest.Field("status", $"'{e.Status}' is not an event status");
        if (e.Reuse || !e.Store)
            throw new ArgumentException("Only a stored event without reuse is dispatched in one round trip", nameof(e));
        var id = Guid.CreateVersion7();
        var record = Record(e, id, e.Hash ?? id.ToString("N"), transactionTime, transactionTime);
        var inserted = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
            WITH made AS (
                INSERT INTO events (id, hash, topic, sender, sender_type, project_name, user_name, depends_on, status, description, summary, payload)
                VALUES (@id, @hash, @topic, @sender, @senderType, @project, @user, @dependsOn, @status, @description, @summary, @payload)
                ON CONFLICT (hash) DO NOTHING
                RETURNING id
            ), streamed AS (
                INSERT INTO event_stream (messages, message_count)
                SELECT @messages::jsonb::text, 1 FROM made
            )
            SELECT count(*) FROM made;
            {(notifyOnCommit ? "SELECT pg_notify('anvil_event_stream', '');" : "")}
            {(commit ? "COMMIT;" : "")}
            """, new
        {
            id,
            hash = record.Hash,
            topic = e.Topic,
            sender = e.Sender,
            senderType = e.SenderType,
            project = e.Project,
            user = e.User,
            dependsOn = e.DependsOn,
            status = e.Status,
            description = record.Description,
            summary = e.Summary,
            payload = e.Payload,
            messages = new JsonArray(StoredMessage(record, e.Recipients)).ToJsonString(),
        }, cancellationToken: cancellationToken));
        return inserted == 1 ? record : null;
    }

    /// <summary>
    /// Dispatches inside the caller's transaction; null (and nothing written) when an event with the
    /// same hash exists and <see cref="NewEvent.Reuse"/> is false. The transaction stays usable.
    /// <paramref name="notifyOnCommit"/> false: the caller calls <see cref="Committed"/> after its commit.
    /// </summary>
    public async Task<EventRecord?> TryDispatchRecordAsync(NpgsqlConnection connection, NewEvent e, CancellationToken cancellationToken = default,
        bool notifyOnCommit = true)
    {
        if (!Statuses.Contains(e.Status))
            throw BadRequest.Field("status", $"'{e.Status}' is not an event status");
        var id = Guid.CreateVersion7();
        var parameters = new
        {
            id,
            hash = e.Hash ?? id.ToString("N"),
            topic = e.Topic,
            sender = e.Sender,
            senderType = e.SenderType,
            project = e.Project,
            user = e.User,
            dependsOn = e.DependsOn,
            status = e.Status,
            description = e.Description ?? "",
            summary = e.Summary,
            payload = e.Payload,
        };
        EventRecord record;
        if (!e.Store)
        {
            var now = DateTimeOffset.UtcNow;
            record = Record(e, id, parameters.hash, now, now);
        }
        else
        {
            var sql = $"""
                INSERT INTO events (id, hash, topic, sender, sender_type, project_name, user_name, depends_on, status, description, summary, payload)
                VALUES (@id, @hash, @topic, @sender, @senderType, @project, @user, @dependsOn, @status, @description, @summary, @payload)
                ON CONFLICT (hash) DO {(e.Reuse ? """
                    UPDATE SET id = EXCLUDED.id, topic = EXCLUDED.topic, sender = EXCLUDED.sender,
                        sender_type = EXCLUDED.sender_type, project_name = EXCLUDED.project_name, user_name = EXCLUDED.user_name,
                        depends_on = EXCLUDED.depends_on, status = EXCLUDED.status, retries = 0,
                        description = EXCLUDED.description, summary = EXCLUDED.summary, payload = EXCLUDED.payload,
                        created_at = now(), updated_at = now()
                    """ : "NOTHING")}
                RETURNING {Columns}
                """;
            var stored = await connection.QuerySingleOrDefaultAsync<EventRecord>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
            if (stored is null)
                return null;
            // An overwritten event may have been a job that was done.
            if (e.Reuse)
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM enroll_cursors WHERE target_topic = @topic",
                    new { topic = e.Topic }, cancellationToken: cancellationToken));
            record = stored;
        }
        var message = Message(record, progress: record.Status == "finished" ? 100 : 0, recipients: e.Recipients);
        message["store"] = e.Store;
        await AppendToStreamAsync(connection, [message], notifyOnCommit, cancellationToken);
        return record;
    }

    public async Task<EventRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EventRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM events WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Applies the changes in its own transaction and broadcasts the updated event; null when there is
    /// no such event. <paramref name="authorize"/>, when given, is called with the event as it stands,
    /// locked, before anything changes, and throws to refuse the change.
    /// </summary>
    /// <remarks>
    /// Two round trips: the transaction begins with the read that locks the event, and the second one
    /// (see <see cref="UpdateAsync(NpgsqlConnection, Guid, EventChanges, CancellationToken, bool, Action{EventRecord})"/>)
    /// ends with its commit. A job's worker sends one of these per job at least.
    /// </remarks>
    public async Task<EventRecord?> UpdateAsync(Guid id, EventChanges changes, CancellationToken cancellationToken = default,
        Action<EventRecord>? authorize = null)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var record = await UpdateCoreAsync(connection, id, changes, cancellationToken, notifyOnCommit: false, authorize, ownTransaction: true);
        if (record is null)
            return null;
        publisher.Wake();
        return record;
    }

    /// <summary>
    /// Applies the changes inside the caller's transaction; the broadcast follows its commit.
    /// <paramref name="notifyOnCommit"/> false: the caller calls <see cref="Committed"/> after its commit.
    /// Two round trips: the event is read and locked (with the transaction's time, which becomes its
    /// <c>updatedAt</c>), then the update, the cursors it may lower and the outbox row go together.
    /// </summary>
    public Task<EventRecord?> UpdateAsync(NpgsqlConnection connection, Guid id, EventChanges changes, CancellationToken cancellationToken = default,
        bool notifyOnCommit = true, Action<EventRecord>? authorize = null) =>
        UpdateCoreAsync(connection, id, changes, cancellationToken, notifyOnCommit, authorize, ownTransaction: false);

    /// <summary>
    /// <paramref name="ownTransaction"/>: no transaction is open on the connection; the read begins one
    /// (<c>BEGIN</c> in its round trip) and the update's round trip commits it, or it is rolled back.
    /// </summary>
    async Task<EventRecord?> UpdateCoreAsync(NpgsqlConnection connection, Guid id, EventChanges changes, CancellationToken cancellationToken,
        bool notifyOnCommit, Action<EventRecord>? authorize, bool ownTransaction)
    {
        if (changes.Status is not null && !Statuses.Contains(changes.Status))
            throw BadRequest.Field("status", $"'{changes.Status}' is not an event status");
        var old = await connection.QuerySingleOrDefaultAsync<LockedEvent>(new CommandDefinition(
            $"{(ownTransaction ? "BEGIN;" : "")} SELECT {Columns}, now() AS now FROM events WHERE id = @id FOR UPDATE", new { id }, cancellationToken: cancellationToken));
        try
        {
            if (old is null)
            {
                if (ownTransaction)
                    await connection.ExecuteAsync(new CommandDefinition("ROLLBACK", cancellationToken: cancellationToken));
                return null;
            }
            authorize?.Invoke(old.Record);
        }
        catch (AyonError) when (ownTransaction)
        {
            await connection.ExecuteAsync(new CommandDefinition("ROLLBACK", cancellationToken: cancellationToken));
            throw;
        }
        var set = new List<string> { "updated_at = now()" };
        void Add(object? value, string column, string parameter)
        {
            if (value is not null)
                set.Add($"{column} = @{parameter}");
        }
        Add(changes.Sender, "sender", "sender");
        Add(changes.SenderType, "sender_type", "senderType");
        Add(changes.Project, "project_name", "project");
        Add(changes.User, "user_name", "user");
        Add(changes.Status, "status", "status");
        Add(changes.Description, "description", "description");
        Add(changes.Summary, "summary", "summary");
        Add(changes.Payload, "payload", "payload");
        Add(changes.Retries, "retries", "retries");
        var record = old.Record with
        {
            Sender = changes.Sender ?? old.Sender,
            SenderType = changes.SenderType ?? old.SenderType,
            Project = changes.Project ?? old.Project,
            User = changes.User ?? old.User,
            Status = changes.Status ?? old.Status,
            Description = changes.Description ?? old.Description,
            Summary = changes.Summary ?? old.Summary,
            Payload = changes.Payload ?? old.Payload,
            Retries = changes.Retries ?? old.Retries,
            UpdatedAt = old.Now,
        };
        // A job that was over (finished, or failed too often for some consumer) and is not any more.
        var jobReopened = old.Status is "finished" or "failed"
            && ((changes.Status is not null && changes.Status != old.Status) || (changes.Retries is not null && changes.Retries != old.Retries));
        await connection.ExecuteAsync(new CommandDefinition($"""
            {(jobReopened ? LowerCursorsForJob + ";" : "")}
            UPDATE events SET {string.Join(", ", set)} WHERE id = @id;
            {LowerCursorsForSource};
            {AppendToStream(notifyOnCommit)}
            {(ownTransaction ? "COMMIT;" : "")}
            """, new
        {
            id,
            sender = changes.Sender,
            senderType = changes.SenderType,
            project = changes.Project,
            user = changes.User,
            status = changes.Status,
            description = changes.Description,
            summary = changes.Summary,
            payload = changes.Payload,
            retries = changes.Retries,
            // As text, the type AppendToStreamAsync sends: Npgsql keys a connection's prepared statements
            // by their SQL alone and runs one whose parameter types differ from the prepared one's unprepared.
            messages = new JsonArray(Message(record, changes.Progress, recipients: null)).ToJsonString(),
            count = 1,
        }, cancellationToken: cancellationToken));
        return record;
    }

    /// <summary>An event as it stood when locked, and the locking transaction's time.</summary>
    sealed record LockedEvent
    {
        public Guid Id { get; init; }
        public string Hash { get; init; } = "";
        public string Topic { get; init; } = "";
        public string? Sender { get; init; }
        public string? SenderType { get; init; }
        public string? Project { get; init; }
        public string? User { get; init; }
        public Guid? DependsOn { get; init; }
        public string Status { get; init; } = "finished";
        public int Retries { get; init; }
        public string Description { get; init; } = "";
        public JsonObject Summary { get; init; } = [];
        public JsonObject Payload { get; init; } = [];
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public DateTimeOffset Now { get; init; }

        public EventRecord Record => new()
        {
            Id = Id,
            Hash = Hash,
            Topic = Topic,
            Sender = Sender,
            SenderType = SenderType,
            Project = Project,
            User = User,
            DependsOn = DependsOn,
            Status = Status,
            Retries = Retries,
            Description = Description,
            Summary = Summary,
            Payload = Payload,
            CreatedAt = CreatedAt,
            UpdatedAt = UpdatedAt,
        };
    }

    /// <summary>
    /// Hands a failed or restarted job to <paramref name="sender"/> again: back to <c>pending</c>
    /// (one more retry if it had failed). Null when it is no longer failed or restarted (another
    /// worker took it first). The caller calls <see cref="Committed"/> after its commit.
    /// </summary>
    public async Task<EventRecord?> RestartJobAsync(NpgsqlConnection connection, Guid id, string? sender, string? senderType, string user,
        CancellationToken cancellationToken = default)
    {
        var record = await connection.QuerySingleOrDefaultAsync<EventRecord>(new CommandDefinition($"""
            UPDATE events SET
                status = 'pending',
                retries = retries + CASE WHEN status = 'failed' THEN 1 ELSE 0 END,
                sender = @sender, sender_type = coalesce(@senderType, sender_type), user_name = @user,
                updated_at = now()
            WHERE id = @id AND status IN ('failed', 'restarted')
            RETURNING {Columns}
            """, new { id, sender, senderType, user }, cancellationToken: cancellationToken));
        if (record is not null)
        {
            // Failed more often than another consumer of the same topic retries: over for that one until now.
            await connection.ExecuteAsync(new CommandDefinition(LowerCursorsForJob, new { id }, cancellationToken: cancellationToken));
            await AppendToStreamAsync(connection, [Message(record, progress: 0, recipients: null)], notifyOnCommit: false, cancellationToken);
        }
        return record;
    }

    /// <summary>Deletes one event; false when there was none.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM events WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(ResetCursors, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted > 0;
    }

    /// <summary>Events matching the filter, newest first.</summary>
    public async Task<IReadOnlyList<EventRecord>> QueryAsync(QueryFilter? filter, int limit, int offset, CancellationToken cancellationToken = default)
    {
        var parameters = new DynamicParameters();
        var where = SqlFilter.Build(filter, SqlFilter.EventColumns, parameters);
        parameters.Add("limit", limit);
        parameters.Add("offset", offset);
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EventRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM events
            WHERE {where}
            ORDER BY creation_order DESC
            LIMIT @limit OFFSET @offset
            """, parameters, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Deletes the events matching the filter; answers how many.</summary>
    public async Task<int> DeleteWhereAsync(QueryFilter filter, CancellationToken cancellationToken = default)
    {
        var parameters = new DynamicParameters();
        var where = SqlFilter.Build(filter, SqlFilter.EventColumns, parameters);
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM events WHERE {where}", parameters, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(ResetCursors, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Tells the local publisher that a transaction that wrote events has committed.</summary>
    public void Committed() => publisher.Wake();

    /// <summary>The pub/sub message of AYON (§5.1): the event without its payload.</summary>
    public static JsonObject Message(EventRecord e, double? progress, IReadOnlyList<string>? recipients)
    {
        var message = new JsonObject
        {
            ["id"] = e.Id.ToString("N"),
            ["topic"] = e.Topic,
            ["project"] = e.Project,
            ["user"] = e.User,
            ["dependsOn"] = e.DependsOn?.ToString("N"),
            ["description"] = e.Description,
            ["summary"] = e.Summary.DeepClone(),
            ["status"] = e.Status,
            ["sender"] = e.Sender,
            ["senderType"] = e.SenderType,
            ["recipients"] = recipients is null ? null : new JsonArray([.. recipients.Select(r => (JsonNode?)JsonValue.Create(r))]),
            ["createdAt"] = Timestamp(e.CreatedAt),
            ["updatedAt"] = Timestamp(e.UpdatedAt),
        };
        if (progress is not null)
            message["progress"] = progress;
        return message;
    }

    static string Timestamp(DateTimeOffset value) =>
        TimestampConverter.Text(value);

    /// <summary>The event as it stands once written (or, not stored, as broadcast).</summary>
    static EventRecord Record(NewEvent e, Guid id, string hash, DateTimeOffset createdAt, DateTimeOffset updatedAt) => new()
    {
        Id = id,
        Hash = hash,
        Topic = e.Topic,
        Sender = e.Sender,
        SenderType = e.SenderType,
        Project = e.Project,
        User = e.User,
        DependsOn = e.DependsOn,
        Status = e.Status,
        Description = e.Description ?? "",
        Summary = e.Summary,
        Payload = e.Payload,
        CreatedAt = createdAt,
        UpdatedAt = updatedAt,
    };

    /// <summary>The message of a newly stored event.</summary>
    static JsonObject StoredMessage(EventRecord record, IReadOnlyList<string>? recipients)
    {
        var message = Message(record, progress: record.Status == "finished" ? 100 : 0, recipients);
        message["store"] = true;
        return message;
    }

    /// <summary>
    /// Writes the messages to the outbox. With <paramref name="notifyOnCommit"/>, a NOTIFY wakes every
    /// instance's publisher when the caller's transaction commits: what a caller that does not call
    /// <see cref="Committed"/> itself needs. The others leave it out, because PostgreSQL serialises every
    /// commit that sends a NOTIFY, flush to disk included, which caps those at one per disk flush (a few
    /// hundred per second) for the whole cluster.
    /// </summary>
    static Task AppendToStreamAsync(NpgsqlConnection connection, IReadOnlyList<JsonObject> messages, bool notifyOnCommit, CancellationToken cancellationToken) =>
        AppendToStreamAsync(connection, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new JsonArray([.. messages])), messages.Count, notifyOnCommit, cancellationToken);

    /// <summary><paramref name="messages"/>: the JSON array in UTF-8, sent as it is (a bulk write's is a megabyte; no string of it is made).</summary>
    static async Task AppendToStreamAsync(NpgsqlConnection connection, ReadOnlyMemory<byte> messages, int count, bool notifyOnCommit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(AppendToStream(notifyOnCommit), connection);
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("messages", NpgsqlDbType.Text) { TypedValue = messages });
        command.Parameters.AddWithValue("count", count);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The messages of newly stored events (<see cref="Message"/> with <c>store</c> true), written
    /// straight to one JSON array in <paramref name="buffer"/>: a batch of a thousand builds no node per message.
    /// </summary>
    static void StoredMessagesJson(PooledBuffer buffer, IReadOnlyList<NewEvent> events, Guid[] ids, string[] summaries, DateTimeOffset stamp)
    {
        // The batch's time and the message's member names are encoded once, and ids written from the
        // stack: a batch of a thousand makes no string per message.
        var time = JsonEncodedText.Encode(Timestamp(stamp));
        Span<char> id = stackalloc char[32];
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                writer.WriteStartObject();
                ids[i].TryFormat(id, out _, "N");
                writer.WriteString(MessageNames.Id, id);
                writer.WriteString(MessageNames.Topic, e.Topic);
                writer.WriteString(MessageNames.Project, e.Project);
                writer.WriteString(MessageNames.User, e.User);
                if (e.DependsOn is { } dependsOn)
                {
                    dependsOn.TryFormat(id, out _, "N");
                    writer.WriteString(MessageNames.DependsOn, id);
                }
                else
                    writer.WriteNull(MessageNames.DependsOn);
                writer.WriteString(MessageNames.Description, e.Description ?? "");
                writer.WritePropertyName(MessageNames.Summary);
                writer.WriteRawValue(summaries[i], skipInputValidation: true);
                writer.WriteString(MessageNames.Status, e.Status);
                writer.WriteString(MessageNames.Sender, e.Sender);
                writer.WriteString(MessageNames.SenderType, e.SenderType);
                writer.WritePropertyName(MessageNames.Recipients);
                if (e.Recipients is null)
                    writer.WriteNullValue();
                else
                {
                    writer.WriteStartArray();
                    foreach (var recipient in e.Recipients)
                        writer.WriteStringValue(recipient);
                    writer.WriteEndArray();
                }
                writer.WriteString(MessageNames.CreatedAt, time);
                writer.WriteString(MessageNames.UpdatedAt, time);
                writer.WriteNumber(MessageNames.Progress, e.Status == "finished" ? 100 : 0);
                writer.WriteBoolean(MessageNames.Store, true);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
    }

    /// <summary>The member names of a stored message, encoded once.</summary>
    static class MessageNames
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Topic = JsonEncodedText.Encode("topic");
        public static readonly JsonEncodedText Project = JsonEncodedText.Encode("project");
        public static readonly JsonEncodedText User = JsonEncodedText.Encode("user");
        public static readonly JsonEncodedText DependsOn = JsonEncodedText.Encode("dependsOn");
        public static readonly JsonEncodedText Description = JsonEncodedText.Encode("description");
        public static readonly JsonEncodedText Summary = JsonEncodedText.Encode("summary");
        public static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        public static readonly JsonEncodedText Sender = JsonEncodedText.Encode("sender");
        public static readonly JsonEncodedText SenderType = JsonEncodedText.Encode("senderType");
        public static readonly JsonEncodedText Recipients = JsonEncodedText.Encode("recipients");
        public static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("createdAt");
        public static readonly JsonEncodedText UpdatedAt = JsonEncodedText.Encode("updatedAt");
        public static readonly JsonEncodedText Progress = JsonEncodedText.Encode("progress");
        public static readonly JsonEncodedText Store = JsonEncodedText.Encode("store");
    }

    /// <summary>The SQL of the outbox write, for a caller sending it with other statements: parameters <c>@messages</c> (a JSON array) and <c>@count</c>.</summary>
    static string AppendToStream(bool notifyOnCommit) =>
        "INSERT INTO event_stream (messages, message_count) VALUES (@messages, @count);"
        + (notifyOnCommit ? " SELECT pg_notify('anvil_event_stream', '');" : "");
}
