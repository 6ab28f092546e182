using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Events;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Events;

/// <summary>
/// What one enroll reads, however PostgreSQL plans it (a prepared statement's generic plan knows neither
/// the topic's size nor the cursor; a custom plan may rest on statistics that do not know the topic yet):
/// a few pages, however long the queue's history.
/// </summary>
public sealed class enroll_cost(AnvilApp app) : IClassFixture<AnvilApp>
{
    const int History = 3000;
    const int MostPagesReadByOneEnroll = 200;

    readonly string _source = TestUsers.Unique("test.src.");
    readonly string _target = TestUsers.Unique("test.tgt.");

    /// <summary>
    /// <see cref="History"/> sources whose jobs are finished, then a few still to do (one held by the
    /// worker asking), and the consumer's cursor at the first of those, as enrolls leave it.
    /// </summary>
    async Task<EnrollQuery> QueueWithHistoryAsync(Npgsql.NpgsqlConnection connection)
    {
        // Statistics from before the queue, as on a server whose table autovacuum analyzed before these topics existed.
        await connection.ExecuteAsync("ANALYZE events");
        await connection.ExecuteAsync("""
            INSERT INTO events (id, hash, topic, sender, user_name, description, created_at)
            SELECT id, replace(id::text, '-', ''), @source, 'test', 'service', 'history', now() - interval '1 hour' + i * interval '1 ms'
            FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, @history) i) g;
            INSERT INTO events (id, hash, topic, sender, user_name, depends_on, status, description)
            SELECT gen_random_uuid(), encode(sha256(convert_to(format('["%s","%s"]', @target::text, replace(s.id::text, '-', '')), 'UTF8')), 'hex'),
                   @target, 'history', 'service', s.id, 'finished', 'done before'
            FROM events s WHERE s.topic = @source;
            INSERT INTO events (id, hash, topic, sender, user_name, description)
            SELECT id, replace(id::text, '-', ''), @source, 'test', 'service', 'to do'
            FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 5)) g;
            INSERT INTO events (id, hash, topic, sender, user_name, depends_on, status, description)
            SELECT gen_random_uuid(), encode(sha256(convert_to(format('["%s","%s"]', @target::text, replace(s.id::text, '-', '')), 'UTF8')), 'hex'),
                   @target, 'worker', 'service', s.id, 'pending', 'held'
            FROM events s WHERE s.topic = @source AND s.description = 'to do'
            ORDER BY s.created_at, s.creation_order LIMIT 1;
            """, new { source = _source, target = _target, history = History });
        var query = new EnrollQuery { SourceTopics = [_source], SourceIsPattern = true, TargetTopic = _target, Sender = "worker", IgnoreOlderThanDays = 1 };
        await connection.ExecuteAsync("""
            INSERT INTO enroll_cursors (consumer, target_topic, source_topics, position_at, position_order)
            SELECT @consumer, @target, ARRAY[@source], s.created_at, s.creation_order
            FROM events s WHERE s.topic = @source AND s.description = 'to do'
            ORDER BY s.created_at, s.creation_order LIMIT 1
            """, new { consumer = EventQueue.ConsumerKey(query), source = _source, target = _target });
        return query;
    }

    /// <summary>
    /// The pages a query reads (hit or read), from EXPLAIN ANALYZE: the most of its generic plan and of its
    /// custom plan (planned for these values, while the table's statistics do not know the new topics yet).
    /// </summary>
    static async Task<long> PagesReadAsync(Npgsql.NpgsqlConnection connection, string sql, DynamicParameters parameters, string? before = null)
    {
        long most = 0;
        foreach (var mode in new[] { "force_generic_plan", "force_custom_plan" })
        {
            await using var transaction = await connection.BeginTransactionAsync();
            // The mode after the query's own settings, which may choose one.
            await connection.ExecuteAsync((before ?? "") + $"SET LOCAL plan_cache_mode = {mode};", transaction: transaction);
            var plan = await connection.ExecuteScalarAsync<string>("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, parameters, transaction);
            await transaction.RollbackAsync();
            var top = JsonNode.Parse(plan!)![0]!["Plan"]!;
            most = Math.Max(most, top["Shared Hit Blocks"]!.GetValue<long>() + top["Shared Read Blocks"]!.GetValue<long>());
        }
        return most;
    }

    [Fact]
    public async Task a_worker_finds_its_own_unfinished_job_without_walking_the_queues_history()
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var query = await QueueWithHistoryAsync(connection);
        var (ownJob, _, parameters, _) = EventQueue.EnrollQueries(query);

        var pages = await PagesReadAsync(connection, ownJob, parameters);

        Assert.True(pages < MostPagesReadByOneEnroll, $"finding the worker's own job read {pages} pages");
    }

    [Fact]
    public async Task the_next_source_is_found_from_the_cursor_probing_each_source_by_its_jobs_hash()
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var query = await QueueWithHistoryAsync(connection);
        var (_, head, parameters, walkSettings) = EventQueue.EnrollQueries(query with { Sender = "another" });
        parameters.Add("tried", Array.Empty<Guid>());

        var pages = await PagesReadAsync(connection, head, parameters, walkSettings);

        Assert.True(pages < MostPagesReadByOneEnroll, $"finding the next source read {pages} pages");
    }

    /// <summary>Whether PostgreSQL compiled the query (JIT), from EXPLAIN ANALYZE, under its generic plan.</summary>
    static async Task<bool> CompiledAsync(Npgsql.NpgsqlConnection connection, string sql, DynamicParameters parameters, string before)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("SET LOCAL plan_cache_mode = force_generic_plan;" + before, transaction: transaction);
        var plan = await connection.ExecuteScalarAsync<string>("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters, transaction);
        await transaction.RollbackAsync();
        return JsonNode.Parse(plan!)![0]!.AsObject().ContainsKey("JIT");
    }

    [Fact]
    public async Task the_walk_is_never_compiled_however_costly_the_planner_thinks_it()
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var query = await QueueWithHistoryAsync(connection);
        var (_, head, parameters, walkSettings) = EventQueue.EnrollQueries(query with { Sender = "another" });
        parameters.Add("tried", Array.Empty<Guid>());
        // The walk's estimated cost is the whole topic's: with a long enough history it passes
        // jit_above_cost, which a cost threshold of 0 stands in for here.
        const string anyCostIsHigh = "SET LOCAL jit = on; SET LOCAL jit_above_cost = 0;";

        var compiledWithout = await CompiledAsync(connection, head, parameters, anyCostIsHigh);
        var compiled = await CompiledAsync(connection, head, parameters, anyCostIsHigh + walkSettings);

        Assert.True(compiledWithout, "this PostgreSQL does not compile queries: the test shows nothing");
        Assert.False(compiled, "the walk was compiled (JIT) at an enroll");
    }

    /// <summary>
    /// Runs the walk <paramref name="runs"/> times on one connection after <paramref name="before"/>, as
    /// enrolls do (the server's connections prepare a statement run twice), and counts how many of its
    /// prepared executions were planned anew for their values (custom plans) and how many reused one plan.
    /// </summary>
    static async Task<(long Custom, long Generic)> PlansOfTheWalkAsync(Npgsql.NpgsqlConnection connection, string head, DynamicParameters parameters,
        string before, int runs)
    {
        const string plans = """
            SELECT coalesce(sum(custom_plans), 0) AS custom, coalesce(sum(generic_plans), 0) AS generic
            FROM pg_prepared_statements WHERE statement LIKE '%LIMIT 1 FOR UPDATE OF s SKIP LOCKED%'
            """;
        var (customBefore, genericBefore) = await connection.QuerySingleAsync<(long, long)>(plans);
        for (var run = 0; run < runs; run++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(before, transaction: transaction);
            await connection.QueryAsync(head, parameters, transaction);
            await transaction.RollbackAsync();
        }
        var (custom, generic) = await connection.QuerySingleAsync<(long, long)>(plans);
        return (custom - customBefore, generic - genericBefore);
    }

    [Fact]
    public async Task the_walk_of_one_topic_is_planned_once_not_at_every_enroll()
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var query = await QueueWithHistoryAsync(connection);
        var (_, head, parameters, walkSettings) = EventQueue.EnrollQueries(query with { Sender = "another" });
        parameters.Add("tried", Array.Empty<Guid>());

        var (custom, generic) = await PlansOfTheWalkAsync(connection, head, parameters, walkSettings, runs: 12);

        Assert.True(generic >= 5, $"the walk ran prepared {generic} times with one plan: the test shows nothing");
        Assert.Equal(0, custom);
    }

    [Fact]
    public async Task the_queries_measured_here_find_what_enroll_finds()
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var query = await QueueWithHistoryAsync(connection);

        var held = await app.Service().PostAsync("/api/enroll", new { sourceTopic = _source, targetTopic = _target, sender = "worker", ignoreOlderThan = 1 });
        var next = await app.Service().PostAsync("/api/enroll", new { sourceTopic = _source, targetTopic = _target, sender = "another", ignoreOlderThan = 1 });

        Assert.Equal("held", (await app.Service().GetAsync($"/api/events/{held["id"]}"))["description"]!.GetValue<string>());
        Assert.NotEqual(held["dependsOn"]!.GetValue<string>(), next["dependsOn"]!.GetValue<string>());
        Assert.Equal("to do", (await app.Service().GetAsync($"/api/events/{next["dependsOn"]}"))["description"]!.GetValue<string>());
        Assert.Equal(_target, query.TargetTopic);
    }
}
