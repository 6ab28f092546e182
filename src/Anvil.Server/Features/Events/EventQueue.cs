using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
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
public sealed class EventQueue(Db db, EventStore events, Redis redis)
{
    static readonly TimeSpan InFlightLock = TimeSpan.FromSeconds(30);
    static readonly TimeSpan DuplicateWait = TimeSpan.FromSeconds(8);

    /// <summary>AYON's job hash: SHA-256 of the compact JSON <c>["targetTopic","sourceId"]</c>.</summary>
    public static string TargetHash(string targetTopic, Guid sourceId) =>
        Secrets.Sha256Hex(JsonSerializer.Serialize(new[] { targetTopic, sourceId.ToString("N") }));

    public async Task<EnrollResponse?> EnrollAsync(EnrollQuery query, CurrentUser user, CancellationToken cancellationToken)
    {
        var requestKey = Secrets.Sha256Hex(user.Name + "\n" + JsonSerializer.Serialize(query, AyonJson.Options));
        var lockKey = redis.Key("enroll-running", requestKey);
        var runId = Guid.NewGuid().ToString("N");
        while (!await redis.Database.StringSetAsync(lockKey, runId, InFlightLock, When.NotExists))
        {
            // The same request is being answered: answer what it answers (unless it just finished).
            if ((string?)await redis.Database.StringGetAsync(lockKey) is { } running)
                return await AwaitDuplicateAsync(requestKey, running, cancellationToken);
        }
        try
        {
            var job = await FindJobAsync(query, user, cancellationToken);
            await redis.Database.StringSetAsync(redis.Key("enroll-result", $"{requestKey}:{runId}"), job?.Id.ToString("N") ?? "", TimeSpan.FromSeconds(30));
            return job is null ? null : new EnrollResponse(job.Id, job.DependsOn, job.Hash, job.Status);
        }
        finally
        {
            await redis.Database.KeyDeleteAsync(lockKey);
        }
    }

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

    sealed record Candidate
    {
        public Guid SourceId { get; init; }
        public string? SourceProject { get; init; }
        public Guid? TargetId { get; init; }
        public string? TargetSender { get; init; }
        public string? TargetStatus { get; init; }
    }

    async Task<EventRecord?> FindJobAsync(EnrollQuery query, CurrentUser user, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        var filter = SqlFilter.Build(query.Filter, SqlFilter.EventColumns, parameters, alias: "s.");
        parameters.Add("target", query.TargetTopic);
        parameters.Add("sender", query.Sender);
        parameters.Add("maxRetries", query.MaxRetries);
        parameters.Add("ignoreSenderTypes", query.IgnoreSenderTypes.ToArray());
        parameters.Add("maxAgeDays", query.IgnoreOlderThanDays);
        string sourceCondition;
        if (query.SourceIsPattern)
        {
            var topic = query.SourceTopics[0];
            sourceCondition = topic.Contains('*') ? "s.topic LIKE @sourcePattern" : "s.topic = @sourcePattern";
            parameters.Add("sourcePattern", topic.Contains('*') ? topic.Replace("_", "\\_", StringComparison.Ordinal).Replace("*", "%", StringComparison.Ordinal) : topic);
        }
        else
        {
            sourceCondition = "s.topic = ANY(@sourceTopics)";
            parameters.Add("sourceTopics", query.SourceTopics.ToArray());
        }
        var sourceFilter = $"""
            {sourceCondition}
              AND s.status = 'finished'
              AND (@maxAgeDays = 0 OR s.updated_at > now() - make_interval(days => @maxAgeDays))
              AND NOT coalesce(s.sender_type = ANY(@ignoreSenderTypes), false)
              AND {filter}
            """;
        // A worker that already holds an unfinished job (it crashed, or retries) gets that one back.
        var ownJobSql = $"""
            SELECT {EventStore.ColumnsOf("t.")}
            FROM events t
            JOIN events s ON s.id = t.depends_on
            WHERE t.topic = @target AND t.sender = @sender AND t.status IN ('pending', 'in_progress')
              AND {sourceFilter}
            ORDER BY s.created_at, s.creation_order
            LIMIT 1
            """;
        // Otherwise the oldest source still to do. A parallel worker skips jobs others are working
        // on, and sources other workers are taking right now (row locks, SKIP LOCKED), so workers do
        // not queue behind each other's commits. A sequential worker looks at the head of the queue
        // only, and must stop at another worker's job.
        var headSql = $"""
            SELECT s.id AS source_id, s.project_name AS source_project, t.id AS target_id, t.sender AS target_sender, t.status AS target_status
            FROM events s
            -- A source's job is found by its hash (the unique index): one probe per source, whatever
            -- the planner believes about the topics. The hash is TargetHash() in SQL.
            LEFT JOIN events t
                ON t.hash = encode(sha256(convert_to(format('["%s","%s"]', @target::text, replace(s.id::text, '-', '')), 'UTF8')), 'hex')
               AND t.depends_on = s.id AND t.topic = @target
            WHERE {sourceFilter}
              AND (t.id IS NULL OR NOT (t.status = 'finished' OR (t.status = 'failed' AND t.retries > @maxRetries)))
              {(query.Sequential ? "" : """
              AND (t.id IS NULL OR t.status IN ('failed', 'restarted'))
              AND s.id <> ALL(@tried)
              """)}
            ORDER BY s.created_at, s.creation_order
            {(query.Sequential ? "LIMIT 1" : "LIMIT 1 FOR UPDATE OF s SKIP LOCKED")}
            """;

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (query.Sender is not null
            && await connection.QueryFirstOrDefaultAsync<EventRecord>(new CommandDefinition(ownJobSql, parameters, transaction, cancellationToken: cancellationToken)) is { } own)
            return own;
        var tried = new List<Guid>();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            parameters.Add("tried", tried.ToArray());
            var candidate = await connection.QuerySingleOrDefaultAsync<Candidate>(new CommandDefinition(headSql, parameters, transaction, cancellationToken: cancellationToken));
            if (candidate is null)
                return null;
            tried.Add(candidate.SourceId);
            var job = await TakeAsync(connection, candidate, query, user, transaction, cancellationToken);
            if (job is not null)
            {
                await transaction.CommitAsync(cancellationToken);
                events.Committed();
                return job;
            }
            // Another worker holds this source's job (or just took it): a sequential worker waits for it.
            if (query.Sequential)
                return null;
        }
        return null;
    }

    /// <summary>The job of this candidate source for the caller, or null when another worker has it.</summary>
    async Task<EventRecord?> TakeAsync(Npgsql.NpgsqlConnection connection, Candidate candidate, EnrollQuery query, CurrentUser user,
        Npgsql.NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (candidate.TargetId is Guid targetId)
        {
            if (candidate.TargetStatus is "failed" or "restarted")
                return await events.RestartJobAsync(connection, targetId, query.Sender, query.SenderType, user.Name, cancellationToken);
            if (candidate.TargetSender == query.Sender)
                return await connection.QuerySingleAsync<EventRecord>(new CommandDefinition(
                    $"SELECT {EventStore.Columns} FROM events WHERE id = @targetId", new { targetId }, transaction, cancellationToken: cancellationToken));
            return null;
        }
        return await events.TryDispatchRecordAsync(connection, new NewEvent
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
        }, cancellationToken, notifyOnCommit: false);
    }
}
