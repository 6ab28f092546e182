using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;
using StackExchange.Redis;

namespace Anvil.Server.Features.Events;

/// <summary>What <c>POST /api/enroll</c> asks for, after validation.</summary>
public sealed record EnrollQuery
{
    /// <summary>One topic (may contain <c>*</c>) or a list of exact topics.</summary>
    public required IReadOnlyList<string> SourceTopics { get; init; }
    public required bool SourceIsPattern { get; init; }
    public required string TargetTopic { get; init; }
    public string? Sender { get; init; }
    public string? SenderType { get; init; }
    public string? Description { get; init; }
    public bool Sequential { get; init; }
    public QueryFilter? Filter { get; init; }
    public int MaxRetries { get; init; } = 3;
    public IReadOnlyList<string> IgnoreSenderTypes { get; init; } = [];
    public int IgnoreOlderThanDays { get; init; } = 3;
}

/// <summary>A job handed out by enroll: AYON's <c>{id, dependsOn, hash, status}</c>.</summary>
public sealed record EnrollResponse(Guid Id, Guid? DependsOn, string Hash, string Status);

/// <summary>
/// The service job queue (AYON's enroll). A job is an event of the target topic that depends on a
/// source event; its hash, <c>sha256(["targetTopic","sourceId"])</c>, is unique, which is what stops
/// two workers from creating the same job. Parallel workers also lock the source they are taking
/// (<c>FOR UPDATE SKIP LOCKED</c>), so they spread over the queue instead of waiting for each other.
/// Handing a failed job out again is a conditional update, so only one worker wins it. An
/// identical request still being processed (a client retrying after a timeout) waits for the first
/// one's answer instead of taking a second job.
/// </summary>
public sealed class EventQueue(Db db, EventStore events, Redis redis, ILogger<EventQueue> logger)
{
    static readonly TimeSpan InFlightLock = TimeSpan.FromSeconds(30);
    static readonly TimeSpan DuplicateWait = TimeSpan.FromSeconds(8);

    /// <summary>How often one instance moves one consumer's cursor at most.</summary>
    static readonly TimeSpan AdvanceInterval = TimeSpan.FromMilliseconds(10);

    readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _lastAdvance = new(StringComparer.Ordinal);

    /// <summary>AYON's job hash: SHA-256 of the compact JSON <c>["targetTopic","sourceId"]</c>.</summary>
    public static string TargetHash(string targetTopic, Guid sourceId) =>
        Secrets.Sha256Hex(JsonSerializer.Serialize(new[] { targetTopic, sourceId.ToString("N") }));

    public async Task<EnrollResponse?> EnrollAsync(EnrollQuery query, CurrentUser user, CancellationToken cancellationToken)
    {
        var requestKey = Secrets.Sha256Hex(user.Name + "\n" + JsonSerializer.Serialize(query, AyonJson.Options));
        await using var connection = await db.OpenAsync(cancellationToken);
        EventRecord? job;
        if (query.Sender is not null)
        {
            // Identical requests queue on a lock of their transaction; the one that waited then finds
            // the first one's job as its sender's own.
            job = await FindJobAsync(connection, query, user, RequestLock(requestKey), cancellationToken);
        }
        else
        {
            // Without a sender there is no own job to find again: the answer waits in Redis.
            var lockKey = redis.Key("enroll-running", requestKey);
            var runId = Guid.NewGuid().ToString("N");
            while (!await redis.Database.StringSetAsync(lockKey, runId, InFlightLock, When.NotExists))
            {
                // The same request is being answered: answer what it answers (unless it just finished).
                if ((string?)await redis.Database.StringGetAsync(lockKey) is { } running)
                    return await AwaitDuplicateAsync(requestKey, running, cancellationToken);
            }
            job = null;
            try
            {
                job = await FindJobAsync(connection, query, user, requestLock: null, cancellationToken);
            }
            finally
            {
                // Both in one round trip: the answer for a duplicate waiting on it, then the lock.
                var result = redis.Database.StringSetAsync(redis.Key("enroll-result", $"{requestKey}:{runId}"), job?.Id.ToString("N") ?? "", TimeSpan.FromSeconds(30));
                var unlock = redis.Database.KeyDeleteAsync(lockKey);
                await Task.WhenAll(result, unlock);
            }
        }
        Observability.AnvilMetrics.EnrollRequests.WithLabels(job is null ? "none" : "job").Inc();
        await AdvanceCursorAsync(connection, query, cancellationToken);
        return job is null ? null : new EnrollResponse(job.Id, job.DependsOn, job.Hash, job.Status);
    }

    /// <summary>The transaction lock of one request (its key), which identical requests wait on.</summary>
    static long RequestLock(string requestKey) => Convert.ToInt64(requestKey[..16], 16);

    /// <summary>The same request is being answered: answer what it answers.</summary>
    async Task<EnrollResponse?> AwaitDuplicateAsync(string requestKey, string runId, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + DuplicateWait;
        while (DateTime.UtcNow < deadline)
        {
            var result = await redis.Database.StringGetAsync(redis.Key("enroll-result", $"{requestKey}:{runId}"));
            if (result.HasValue)
            {
                if (result.ToString().Length == 0 || !Guid.TryParse(result.ToString(), out var id) || await events.GetAsync(id, cancellationToken) is not { } job)
                    return null;
                return new EnrollResponse(job.Id, job.DependsOn, job.Hash, job.Status);
            }
            await Task.Delay(20, cancellationToken);
        }
        throw new ServiceUnavailable("An identical enroll request is being processed");
    }

    sealed record CursorRow
    {
        public DateTime CreatedAt { get; init; }
        public long Generation { get; init; }
    }

    sealed record Candidate
    {
        public Guid SourceId { get; init; }
        public string? SourceProject { get; init; }
        public Guid? TargetId { get; init; }
        public string? TargetSender { get; init; }
        public string? TargetStatus { get; init; }

        /// <summary>The transaction's time: the <c>createdAt</c> of a job made now.</summary>
        public DateTimeOffset Now { get; init; }
    }

    /// <summary>
    /// The consumer of a request: what decides which sources are still to do (not who asks, nor
    /// whether sequentially), the key of its cursor.
    /// </summary>
    internal static string ConsumerKey(EnrollQuery query) => Secrets.Sha256Hex(JsonSerializer.Serialize(new
    {
        query.TargetTopic,
        query.SourceTopics,
        query.SourceIsPattern,
        Filter = query.Filter is null ? null : JsonSerializer.Serialize(query.Filter, AyonJson.Options),
        query.IgnoreSenderTypes,
        query.MaxRetries,
        query.IgnoreOlderThanDays,
    }, AyonJson.Options));

    /// <summary>A LIKE pattern for a source topic with <c>*</c>, else null.</summary>
    static string? LikePattern(EnrollQuery query) =>
        query.SourceIsPattern && query.SourceTopics[0].Contains('*')
            ? SqlText.WildcardPattern(query.SourceTopics[0])
            : null;

    /// <summary>What the queries of one request share.</summary>
    /// <param name="SourceFilter">The condition on source events <c>s</c>.</param>
    /// <param name="Parameters">The parameters of every query of the request.</param>
    /// <param name="FromCursor">The walk of the queue: the same condition, from the consumer's cursor on (all of it without one).</param>
    /// <param name="WalkOrder">The walk's order, oldest first.</param>
    /// <param name="WalkSettings">The <c>SET LOCAL</c>s the walk runs after (<see cref="WalkInOrder"/>, and <see cref="PlanOnce"/> for one topic).</param>
    sealed record SourceQuery(DynamicParameters Parameters, string SourceFilter, string FromCursor, string WalkOrder, string WalkSettings);

    static SourceQuery Sources(EnrollQuery query)
    {
        var parameters = new DynamicParameters();
        var filter = SqlFilter.Build(query.Filter, SqlFilter.EventColumns, parameters, alias: "s.");
        parameters.Add("target", query.TargetTopic);
        parameters.Add("sender", query.Sender);
        parameters.Add("maxRetries", query.MaxRetries);
        parameters.Add("ignoreSenderTypes", query.IgnoreSenderTypes.ToArray());
        parameters.Add("maxAgeDays", query.IgnoreOlderThanDays);
        parameters.Add("consumer", ConsumerKey(query));
        var conditions = $"""
            s.status = 'finished'
              AND (@maxAgeDays = 0 OR s.updated_at > now() - make_interval(days => @maxAgeDays))
              AND NOT coalesce(s.sender_type = ANY(@ignoreSenderTypes), false)
              AND {filter}
            """;
        const string cursorAt = "coalesce((SELECT c.position_at FROM enroll_cursors c WHERE c.consumer = @consumer), '-infinity')";
        const string cursorOrder = "coalesce((SELECT c.position_order FROM enroll_cursors c WHERE c.consumer = @consumer), 0)";
        string sourceCondition;
        if (LikePattern(query) is { } pattern)
        {
            sourceCondition = "s.topic LIKE @sourcePattern";
            parameters.Add("sourcePattern", pattern);
        }
        else if (query.SourceTopics.Count == 1)
        {
            parameters.Add("sourceTopic", query.SourceTopics[0]);
            // One topic: the walk is a range of the (topic, created_at, creation_order) index, written so
            // that no other plan can give its order. With "s.topic = @sourceTopic" the topic drops out of
            // the order, and a generic plan of the prepared statement may walk every event since the
            // cursor by created_at instead, whatever its topic.
            return new SourceQuery(parameters, $"s.topic = @sourceTopic AND {conditions}", $"""
                (s.topic, s.created_at, s.creation_order) >= (@sourceTopic, {cursorAt}, {cursorOrder})
                  AND s.topic <= @sourceTopic
                  AND {conditions}
                """, "s.topic, s.created_at, s.creation_order", WalkInOrder + PlanOnce);
        }
        else
        {
            sourceCondition = "s.topic = ANY(@sourceTopics)";
            parameters.Add("sourceTopics", query.SourceTopics.ToArray());
        }
        return new SourceQuery(parameters, $"{sourceCondition} AND {conditions}", $"""
            {sourceCondition}
              AND (s.created_at, s.creation_order) >= ({cursorAt}, {cursorOrder})
              AND {conditions}
            """, "s.created_at, s.creation_order", WalkInOrder);
    }

    /// <summary>
    /// The job of source <c>s</c>, as <c>t</c>: by its hash alone, so the only index the planner can use
    /// is the unique one (one probe per source). With the topic in the same condition it may walk every
    /// job of the topic instead, as it does when the topic is newer than the table's statistics.
    /// </summary>
    const string JobOfSource = """
        LEFT JOIN LATERAL (
            SELECT j.id, j.sender, j.status, j.retries, j.depends_on, j.topic
            FROM events j
            WHERE j.hash = encode(sha256(convert_to(format('["%s","%s"]', @target::text, replace(s.id::text, '-', '')), 'UTF8')), 'hex')
            OFFSET 0
        ) t ON t.depends_on = s.id AND t.topic = @target
        """;

    /// <summary>
    /// Before a walk of the queue, in its transaction: the plan must walk the index in the queue's order
    /// and stop at the first source it takes. A prepared statement's generic plan knows neither the
    /// cursor nor the topic's size, and may otherwise read and probe every source after the cursor and
    /// sort them (a bitmap scan), which makes every enroll cost as much as the queue is long.
    /// No JIT either: the plan stops at the first source it takes, but its estimated cost is that of
    /// walking every source of the topic (the planner knows neither the cursor nor that a source near
    /// it will do), so past <c>jit_above_cost</c> — about 20,000 done sources — PostgreSQL compiled the
    /// walk at every enroll: 150 ms each, and 2 s past <c>jit_optimize_above_cost</c>, for a walk that
    /// runs in 0.3 ms.
    /// </summary>
    internal const string WalkInOrder = "SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off;";

    /// <summary>
    /// The walk of one topic keeps its prepared statement's generic plan, the same index walk as a custom
    /// plan's (<c>enroll_cost.cs</c> checks both). Left to choose, PostgreSQL re-planned it at every enroll:
    /// the generic plan's estimate is the whole topic's, far above a custom plan's for a topic its
    /// statistics barely know, and planning it (0.4 ms) cost more than running it (0.3 ms). Not for several
    /// topics or a pattern: their generic plan walks every event by <c>created_at</c>.
    /// </summary>
    internal const string PlanOnce = " SET LOCAL plan_cache_mode = force_generic_plan;";

    /// <summary>A job that is over: finished, or failed more often than it may be retried.</summary>
    const string JobIsDone = "(t.status = 'finished' OR (t.status = 'failed' AND t.retries > @maxRetries))";

    /// <summary>
    /// The two queries of an enroll: the caller's own unfinished job (a worker that crashed, or
    /// retries, gets it back), then the oldest source still to do. The second runs after
    /// <c>WalkSettings</c> and takes <c>@tried</c>, the sources tried already.
    /// </summary>
    internal static (string OwnJob, string Head, DynamicParameters Parameters, string WalkSettings) EnrollQueries(EnrollQuery query)
    {
        var sources = Sources(query);
        // From the caller's open jobs (an index of those alone), each source probed by its id: never a
        // walk of the source topic, however long its history.
        var ownJob = $"""
            SELECT {EventStore.ColumnsOf("t.")}
            FROM events t
            CROSS JOIN LATERAL (
                SELECT s.created_at, s.creation_order FROM events s
                WHERE s.id = t.depends_on AND {sources.SourceFilter}
                OFFSET 0
            ) s
            WHERE t.topic = @target AND t.sender = @sender AND t.status IN ('pending', 'in_progress')
            ORDER BY s.created_at, s.creation_order
            LIMIT 1
            """;
        // A parallel worker skips jobs others are working on, and sources other workers are taking
        // right now (row locks, SKIP LOCKED), so workers do not queue behind each other's commits. A
        // sequential worker looks at the head of the queue only, and must stop at another worker's job.
        var head = $"""
            SELECT s.id AS source_id, s.project_name AS source_project, t.id AS target_id, t.sender AS target_sender, t.status AS target_status,
                   now() AS now
            FROM events s
            {JobOfSource}
            WHERE {sources.FromCursor}
              AND (t.id IS NULL OR NOT {JobIsDone})
              {(query.Sequential ? "" : """
              AND (t.id IS NULL OR t.status IN ('failed', 'restarted'))
              AND s.id <> ALL(@tried)
              """)}
            ORDER BY {sources.WalkOrder}
            {(query.Sequential ? "LIMIT 1" : "LIMIT 1 FOR UPDATE OF s SKIP LOCKED")}
            """;
        return (ownJob, head, sources.Parameters, sources.WalkSettings);
    }

    /// <summary>
    /// Finds the caller's job. Each attempt is a transaction of two round trips: the first begins it and
    /// sends the request's lock, the own-job query and the walk; the second takes the source found (a new
    /// job's row and outbox row) and commits. The caller's connection is idle before and after.
    /// </summary>
    async Task<EventRecord?> FindJobAsync(NpgsqlConnection connection, EnrollQuery query, CurrentUser user, long? requestLock,
        CancellationToken cancellationToken)
    {
        var (ownJobSql, head, parameters, walkSettings) = EnrollQueries(query);
        parameters.Add("requestLock", requestLock);
        // The own-job query runs before the walk's settings, which are for the walk only; after the lock,
        // so that it sees the job of an identical request that held it.
        var sql = $"""
            BEGIN;
            {(requestLock is null ? "" : "SELECT 1 FROM pg_advisory_xact_lock(@requestLock);")}
            {(query.Sender is null ? "" : ownJobSql + ";")}
            {walkSettings}
            {head}
            """;
        var tried = new List<Guid>();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            parameters.Add("tried", tried.ToArray());
            EventRecord? own = null;
            Candidate? candidate;
            await using (var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)))
            {
                if (requestLock is not null)
                    await results.ReadSingleAsync<int>();
                if (query.Sender is not null)
                    own = await results.ReadFirstOrDefaultAsync<EventRecord>();
                candidate = await results.ReadSingleOrDefaultAsync<Candidate>();
            }
            if (own is not null || candidate is null)
            {
                await connection.ExecuteAsync(new CommandDefinition("COMMIT", cancellationToken: cancellationToken));
                return own;
            }
            tried.Add(candidate.SourceId);
            // Ends the transaction, whatever it finds.
            var job = await TakeAsync(connection, candidate, query, user, cancellationToken);
            if (job is not null)
                return job;
            // Another worker holds this source's job (or just took it): a sequential worker waits for it.
            if (query.Sequential)
                return null;
        }
        return null;
    }

    /// <summary>
    /// Moves the consumer's cursor up to its first source that is not done (a source with a job still
    /// open stops it too, so a sequential worker still sees the head of the queue), but never past a
    /// source made by a transaction that may still commit: none begins before the oldest transaction
    /// running now, so the cursor stays before that one's start (<c>created_at</c> is its
    /// transaction's start). It starts at the beginning and moves only once no transaction that was
    /// running when it was made can still lower it. A change that lowers it meanwhile (its
    /// <c>generation</c>) turns the move into a no-op. Losing a move costs nothing but a longer walk next
    /// time, so it does not wait for the disk. At most every <see cref="AdvanceInterval"/> per consumer
    /// and instance.
    /// </summary>
    async Task AdvanceCursorAsync(NpgsqlConnection connection, EnrollQuery query, CancellationToken cancellationToken)
    {
        var consumer = ConsumerKey(query);
        var now = Environment.TickCount64;
        if (_lastAdvance.TryGetValue(consumer, out var last) && now - last < AdvanceInterval.TotalMilliseconds)
            return;
        _lastAdvance[consumer] = now;
        try
        {
            var sources = Sources(query);
            var parameters = sources.Parameters;
            parameters.Add("targetTopic", query.TargetTopic);
            parameters.Add("cursorTopics", LikePattern(query) is null ? query.SourceTopics.ToArray() : Array.Empty<string>());
            parameters.Add("cursorPattern", LikePattern(query));
            // One round trip, statement by statement (each one's snapshot is taken when it starts): the
            // cursor (made the first time), its generation, then the oldest transaction running, before
            // the walk takes its snapshot: a transaction running now may commit a source after that
            // snapshot, so nothing from its start on may be passed. A cursor made after that start does
            // not move. It need not wait for the disk.
            await connection.ExecuteAsync(new CommandDefinition($"""
                BEGIN;
                SET LOCAL synchronous_commit TO off;
                INSERT INTO enroll_cursors (consumer, target_topic, source_topics, source_pattern)
                VALUES (@consumer, @targetTopic, @cursorTopics, @cursorPattern)
                ON CONFLICT (consumer) DO NOTHING;
                SELECT set_config('anvil.enroll_generation', generation::text, true) FROM enroll_cursors WHERE consumer = @consumer;
                SELECT set_config('anvil.enroll_safe', coalesce(min(xact_start), now())::text, true) FROM pg_stat_activity
                WHERE datname = current_database() AND xact_start IS NOT NULL AND backend_type = 'client backend';
                {sources.WalkSettings}
                WITH safe AS (
                    SELECT nullif(current_setting('anvil.enroll_safe', true), '')::timestamptz AS at
                ), head AS (
                    SELECT s.created_at, s.creation_order
                    FROM events s
                    {JobOfSource}
                    WHERE {sources.FromCursor}
                      AND s.created_at < (SELECT at FROM safe)
                      AND (t.id IS NULL OR NOT {JobIsDone})
                    ORDER BY {sources.WalkOrder}
                    LIMIT 1
                ), target AS (
                    SELECT coalesce((SELECT created_at FROM head), (SELECT at FROM safe)) AS position_at,
                           coalesce((SELECT creation_order FROM head), 0) AS position_order
                )
                UPDATE enroll_cursors c
                SET position_at = target.position_at, position_order = target.position_order, used_at = now()
                FROM target
                WHERE c.consumer = @consumer
                  AND c.generation = nullif(current_setting('anvil.enroll_generation', true), '')::bigint
                  AND c.created_at < (SELECT at FROM safe)
                  AND (c.position_at, c.position_order) < (target.position_at, target.position_order);
                DELETE FROM enroll_cursors WHERE used_at < now() - interval '7 days';
                COMMIT;
                """, parameters, cancellationToken: cancellationToken));
        }
        catch (Exception e) when (e is NpgsqlException && !cancellationToken.IsCancellationRequested)
        {
            // The job is handed out already; the cursor moves at the next enroll. (The connection's
            // failed transaction is rolled back when it goes back to the pool.)
            logger.LogWarning("Moving the enroll cursor of {Target} failed: {Error}", LogText.Sanitize(query.TargetTopic), e.Message);
        }
    }

    /// <summary>
    /// The job of this candidate source for the caller, or null when another worker has it. Ends the
    /// transaction: a new job's row goes in the same round trip as the commit.
    /// </summary>
    async Task<EventRecord?> TakeAsync(NpgsqlConnection connection, Candidate candidate, EnrollQuery query, CurrentUser user,
        CancellationToken cancellationToken)
    {
        if (candidate.TargetId is Guid targetId)
        {
            EventRecord? job = null;
            if (candidate.TargetStatus is "failed" or "restarted")
                job = await events.RestartJobAsync(connection, targetId, query.Sender, query.SenderType, user.Name, cancellationToken);
            else if (candidate.TargetSender == query.Sender)
                job = await connection.QuerySingleAsync<EventRecord>(new CommandDefinition(
                    $"SELECT {EventStore.Columns} FROM events WHERE id = @targetId", new { targetId }, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("COMMIT", cancellationToken: cancellationToken));
            if (job is not null)
                events.Committed();
            return job;
        }
        var made = await events.TryDispatchRecordAsync(connection, new NewEvent
        {
            Topic = query.TargetTopic,
            Hash = TargetHash(query.TargetTopic, candidate.SourceId),
            DependsOn = candidate.SourceId,
            Project = candidate.SourceProject,
            User = user.Name,
            Sender = query.Sender,
            SenderType = query.SenderType,
            Status = "pending",
            Description = query.Description ?? $"Convert from {string.Join(", ", query.SourceTopics)} to {query.TargetTopic}",
        }, candidate.Now, notifyOnCommit: false, cancellationToken, commit: true);
        if (made is not null)
            events.Committed();
        return made;
    }
}
