using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Messaging;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Events;

/// <summary>POST /api/enroll, the service job queue, rule by rule. Every test has its own topics.</summary>
public sealed class job_enrollment(AnvilApp app) : IClassFixture<AnvilApp>
{
    readonly string _source = TestUsers.Unique("test.src.");
    readonly string _target = TestUsers.Unique("test.tgt.");

    async Task<List<string>> SourcesAsync(int count, object? summary = null, string? senderType = null)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
            ids.Add((await app.Service().SendAsync(HttpMethod.Post, "/api/events", new { topic = _source, summary = summary ?? new { i } }, 200,
                request => { if (senderType is not null) request.Headers.Add("X-Sender-Type", senderType); }))["id"]!.GetValue<string>());
        return ids;
    }

    async Task<JsonObject?> EnrollAsync(string sender, bool sequential = false, object? extra = null, Api? api = null)
    {
        var body = new JsonObject { ["sourceTopic"] = _source, ["targetTopic"] = _target, ["sender"] = sender, ["sequential"] = sequential };
        if (extra is not null)
            foreach (var (key, value) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra))!.AsObject())
                body[key] = value?.DeepClone();
        var response = await (api ?? app.Service()).Http.PostAsync("/api/enroll", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is 200 or 204, $"enroll answered {(int)response.StatusCode}: {text}");
        return (int)response.StatusCode == 204 ? null : JsonNode.Parse(text)!.AsObject();
    }

    Task SetStatusAsync(JsonObject job, string status) =>
        app.Service().PatchAsync($"/api/events/{job["id"]}", new { status }, expect: 204);

    static string Id(JsonObject? job) => job!["id"]!.GetValue<string>();

    static string DependsOn(JsonObject? job) => job!["dependsOn"]!.GetValue<string>();

    [Fact]
    public async Task a_job_is_a_pending_event_on_the_oldest_source_with_ayons_hash()
    {
        var sources = await SourcesAsync(2);

        var job = await EnrollAsync("worker");
        var stored = await app.Service().GetAsync($"/api/events/{Id(job)}");

        Assert.Equal(["id", "dependsOn", "hash", "status"], job!.Select(p => p.Key).ToArray());
        Assert.Equal(sources[0], DependsOn(job));
        Assert.Equal("pending", job!["status"]!.GetValue<string>());
        var expectedHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"[\"{_target}\",\"{sources[0]}\"]")));
        Assert.Equal(expectedHash, job!["hash"]!.GetValue<string>());
        Assert.Equal(_target, stored["topic"]!.GetValue<string>());
        Assert.Equal("worker", stored["sender"]!.GetValue<string>());
        Assert.Equal("service", stored["user"]!.GetValue<string>());
    }

    [Fact]
    public async Task nothing_to_do_is_a_204()
    {
        Assert.Null(await EnrollAsync("worker"));
    }

    [Fact]
    public async Task only_service_users_may_enroll()
    {
        var admin = await app.LoginAsync();

        await admin.PostAsync("/api/enroll", new { sourceTopic = _source, targetTopic = _target, sender = "x" }, expect: 403);
    }

    [Theory]
    [InlineData("""{"sourceTopic": null, "targetTopic": "test.target.topic"}""")]
    [InlineData("""{"sourceTopic": [], "targetTopic": "test.target.topic"}""")]
    [InlineData("""{"sourceTopic": "test.source.topic", "targetTopic": "test.*"}""")]
    [InlineData("""{"sourceTopic": "a", "targetTopic": "test.target.topic"}""")]
    [InlineData("""{"sourceTopic": "test.source.topic"}""")]
    public async Task a_bad_request_is_a_400(string body)
    {
        await app.Service().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/enroll")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        }, 400);
    }

    [Fact]
    public async Task the_same_sender_gets_its_unfinished_job_back()
    {
        await SourcesAsync(2);

        var first = await EnrollAsync("worker");
        var again = await EnrollAsync("worker");
        await SetStatusAsync(first!, "in_progress");
        var third = await EnrollAsync("worker");

        Assert.True(JsonNode.DeepEquals(first, again));
        Assert.Equal(Id(first), Id(third));
        Assert.Equal("in_progress", third!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task parallel_workers_take_different_sources_and_a_finished_source_is_done()
    {
        var sources = await SourcesAsync(2);

        var one = await EnrollAsync("worker-1");
        var two = await EnrollAsync("worker-2");
        var three = await EnrollAsync("worker-3");
        await SetStatusAsync(one!, "finished");
        await SetStatusAsync(two!, "finished");
        var none = await EnrollAsync("worker-1");

        Assert.Equal(sources, [DependsOn(one), DependsOn(two)]);
        Assert.Null(three);
        Assert.Null(none);
    }

    [Fact]
    public async Task a_sequential_worker_never_overtakes_another_workers_unfinished_job()
    {
        var sources = await SourcesAsync(2);

        var one = await EnrollAsync("worker-1", sequential: true);
        var blocked = await EnrollAsync("worker-2", sequential: true);
        await SetStatusAsync(one!, "in_progress");
        var stillBlocked = await EnrollAsync("worker-2", sequential: true);
        await SetStatusAsync(one!, "finished");
        var next = await EnrollAsync("worker-2", sequential: true);

        Assert.Equal(sources[0], DependsOn(one));
        Assert.Null(blocked);
        Assert.Null(stillBlocked);
        Assert.Equal(sources[1], DependsOn(next));
    }

    [Fact]
    public async Task a_failed_job_is_handed_out_again_with_one_more_retry()
    {
        await SourcesAsync(1);
        var first = await EnrollAsync("worker-1", sequential: true);
        await SetStatusAsync(first!, "failed");

        var again = await EnrollAsync("worker-2", sequential: true);
        var stored = await app.Service().GetAsync($"/api/events/{Id(first)}");

        Assert.True(JsonNode.DeepEquals(first, again));
        Assert.Equal(1, stored["retries"]!.GetValue<int>());
        Assert.Equal("worker-2", stored["sender"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_restarted_job_is_handed_out_again_without_a_retry()
    {
        await SourcesAsync(1);
        var first = await EnrollAsync("worker-1");
        await SetStatusAsync(first!, "finished");
        await SetStatusAsync(first!, "restarted");

        var again = await EnrollAsync("worker-2");
        var stored = await app.Service().GetAsync($"/api/events/{Id(first)}");

        Assert.Equal(Id(first), Id(again));
        Assert.Equal("pending", stored["status"]!.GetValue<string>());
        Assert.Equal(0, stored["retries"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_job_that_failed_more_than_max_retries_times_is_given_up()
    {
        await SourcesAsync(1);
        var job = await EnrollAsync("worker", extra: new { maxRetries = 1 });
        await SetStatusAsync(job!, "failed");
        var retry1 = await EnrollAsync("worker", extra: new { maxRetries = 1 });
        await SetStatusAsync(retry1!, "failed");
        var retry2 = await EnrollAsync("worker", extra: new { maxRetries = 1 });
        await SetStatusAsync(retry2!, "failed");

        var none = await EnrollAsync("worker", extra: new { maxRetries = 1 });

        Assert.Equal(Id(job), Id(retry2));
        Assert.Null(none);
    }

    [Fact]
    public async Task sources_are_filtered_by_filter_and_ignored_sender_types()
    {
        await SourcesAsync(1, summary: new { kind = "skip" });
        await SourcesAsync(1, summary: new { kind = "take" }, senderType: "noisy");
        var wanted = await SourcesAsync(1, summary: new { kind = "take" });
        var filter = JsonNode.Parse("""{"conditions": [{"key": "summary/kind", "value": "take"}]}""");

        var job = await EnrollAsync("worker", extra: new { filter, ignoreSenderTypes = new[] { "noisy" } });

        Assert.Equal(wanted[0], DependsOn(job));
    }

    [Fact]
    public async Task sources_older_than_ignore_older_than_days_are_left_alone_unless_it_is_zero()
    {
        var sources = await SourcesAsync(1);
        await using (var connection = await app.Services.GetRequiredService<Db>().OpenAsync())
            await connection.ExecuteAsync("UPDATE events SET updated_at = now() - interval '5 days' WHERE id = @id", new { id = Guid.Parse(sources[0]) });

        var withinThreeDays = await EnrollAsync("worker", extra: new { ignoreOlderThan = 3 });
        var withinTenDays = await EnrollAsync("worker", extra: new { ignoreOlderThan = 10 });
        var noLimit = await EnrollAsync("worker", extra: new { ignoreOlderThan = 0 });

        Assert.Null(withinThreeDays);
        Assert.Equal(sources[0], DependsOn(withinTenDays));
        Assert.Equal(Id(withinTenDays), Id(noLimit));
    }

    [Fact]
    public async Task a_wildcard_or_a_list_selects_the_source_topics()
    {
        var sources = await SourcesAsync(1);
        var pattern = _source[..^4] + "*";

        var byPattern = await EnrollAsync("worker-1", extra: new { sourceTopic = pattern });
        var byList = await EnrollAsync("worker-1", extra: new { sourceTopic = new[] { "test.other.topic", _source } });
        var byExactListMiss = await EnrollAsync("worker-2", extra: new { sourceTopic = new[] { pattern } });

        Assert.Equal(sources[0], DependsOn(byPattern));
        Assert.Equal(Id(byPattern), Id(byList));
        Assert.Null(byExactListMiss);
    }

    [Fact]
    public async Task two_workers_racing_on_one_queue_never_get_the_same_job()
    {
        var sources = await SourcesAsync(12);
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();

        async Task Worker(string sender)
        {
            while (await EnrollAsync(sender) is { } job)
            {
                taken.Add(DependsOn(job));
                await SetStatusAsync(job, "finished");
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Worker($"racer-{i}")));

        Assert.Equal(sources.Order(), taken.Order());
    }

    [Fact]
    public async Task sequential_workers_racing_take_the_sources_in_order_one_at_a_time()
    {
        var sources = await SourcesAsync(6);
        var order = new List<string>();
        var running = 0;
        var overlap = false;

        async Task Worker(string sender)
        {
            for (var idle = 0; idle < 40 && order.Count < sources.Count;)
            {
                var job = await EnrollAsync(sender, sequential: true);
                if (job is null)
                {
                    idle++;
                    await Task.Delay(20);
                    continue;
                }
                if (Interlocked.Increment(ref running) > 1)
                    overlap = true;
                lock (order)
                    order.Add(DependsOn(job));
                Interlocked.Decrement(ref running);
                await SetStatusAsync(job, "finished");
            }
        }
        await Task.WhenAll(Worker("seq-1"), Worker("seq-2"), Worker("seq-3"));

        Assert.False(overlap);
        Assert.Equal(sources, order);
    }

    /// <summary>Works through the whole queue, then checks the consumer's cursor moved past <paramref name="past"/>.</summary>
    async Task DrainAsync(string sender, string past, object? extra = null)
    {
        while (await EnrollAsync(sender, extra: extra) is { } job)
            await SetStatusAsync(job, "finished");
        // The cursor waits for transactions still running (other tests' too): give it a moment.
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            await Task.Delay(30);
            Assert.Null(await EnrollAsync(sender, extra: extra));
            var passed = await connection.ExecuteScalarAsync<bool>("""
                SELECT EXISTS (
                    SELECT FROM enroll_cursors c, events s
                    WHERE c.target_topic = @target AND s.id = @past
                      AND (c.position_at, c.position_order) > (s.created_at, s.creation_order))
                """, new { target = _target, past = Guid.Parse(past) });
            if (passed)
                return;
            Assert.True(DateTime.UtcNow < deadline, "the queue's cursor did not move past the done sources");
        }
    }

    /// <summary>
    /// <paramref name="count"/> sources whose jobs are finished, written straight into the database (as
    /// <c>bench events --history</c> does): a queue worked through for days. Returns them oldest first.
    /// </summary>
    async Task<List<Guid>> FinishedHistoryAsync(int count)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        return (await connection.QueryAsync<Guid>("""
            WITH sources AS (
                INSERT INTO events (id, hash, topic, sender, user_name, description, created_at)
                SELECT id, replace(id::text, '-', ''), @source, 'test', 'service', 'history', now() - interval '1 hour' + i * interval '1 ms'
                FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, @count) i) g
                RETURNING id, created_at
            ), jobs AS (
                INSERT INTO events (id, hash, topic, sender, user_name, depends_on, status, description)
                SELECT gen_random_uuid(), encode(sha256(convert_to(format('["%s","%s"]', @target::text, replace(s.id::text, '-', '')), 'UTF8')), 'hex'),
                       @target, 'history', 'service', s.id, 'finished', 'done before'
                FROM sources s
            )
            SELECT id FROM sources ORDER BY created_at
            """, new { source = _source, target = _target, count })).ToList();
    }

    /// <summary>The job of a source, from the database.</summary>
    async Task<JsonObject> JobOfAsync(Guid source)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var id = await connection.ExecuteScalarAsync<Guid>("SELECT id FROM events WHERE depends_on = @source AND topic = @target", new { source, target = _target });
        return new JsonObject { ["id"] = id.ToString("N") };
    }

    [Fact]
    public async Task after_a_long_finished_history_every_new_source_is_handed_out_exactly_once()
    {
        var history = await FinishedHistoryAsync(3000);
        var sources = await SourcesAsync(12);
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            while (await EnrollAsync($"history-{i}") is { } job)
            {
                taken.Add(DependsOn(job));
                await SetStatusAsync(job, "finished");
            }
        }));

        Assert.Equal(sources.Order(), taken.Order());
        Assert.Equal(3000, history.Count);
    }

    [Fact]
    public async Task a_job_failing_behind_a_long_finished_history_is_retried_until_max_retries()
    {
        var history = await FinishedHistoryAsync(3000);
        var last = await SourcesAsync(1);
        var retries = new { maxRetries = 1 };
        await DrainAsync("worker", last[0], extra: retries);
        var middle = await JobOfAsync(history[1500]);

        await SetStatusAsync(middle, "failed");
        var retry1 = await EnrollAsync("worker-2", extra: retries);
        await SetStatusAsync(retry1!, "failed");
        var retry2 = await EnrollAsync("worker-3", extra: retries);
        await SetStatusAsync(retry2!, "failed");
        var none = await EnrollAsync("worker-4", extra: retries);

        Assert.Equal(history[1500].ToString("N"), DependsOn(retry1));
        Assert.Equal(Id(middle), Id(retry1));
        Assert.Equal(Id(middle), Id(retry2));
        Assert.Null(none);
        Assert.Equal(2, (await app.Service().GetAsync($"/api/events/{Id(middle)}"))["retries"]!.GetValue<int>());
    }

    [Fact]
    public async Task the_cursor_stops_at_an_unfinished_source_behind_a_long_finished_history()
    {
        var history = await FinishedHistoryAsync(3000);
        var open = await SourcesAsync(1);
        var held = await EnrollAsync("holder");
        var after = await SourcesAsync(3);
        while (await EnrollAsync("worker") is { } job)
            await SetStatusAsync(job, "finished");
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(30);
            Assert.Null(await EnrollAsync("worker"));
        }
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var passed = await connection.ExecuteScalarAsync<bool>("""
            SELECT EXISTS (
                SELECT FROM enroll_cursors c, events s
                WHERE c.target_topic = @target AND s.id = @open
                  AND (c.position_at, c.position_order) > (s.created_at, s.creation_order))
            """, new { target = _target, open = Guid.Parse(open[0]) });

        Assert.Equal(open[0], DependsOn(held));
        Assert.False(passed, "the cursor moved past a source whose job is still pending");
        Assert.Null(await EnrollAsync("sequential", sequential: true));
        await SetStatusAsync(held!, "failed");
        Assert.Equal(open[0], DependsOn(await EnrollAsync("worker")));
        Assert.Equal(3, after.Count);
        Assert.Equal(3000, history.Count);
    }

    [Fact]
    public async Task a_job_restarted_after_the_queue_moved_past_it_is_handed_out_again()
    {
        var sources = await SourcesAsync(3);
        var first = await EnrollAsync("worker");
        await SetStatusAsync(first!, "finished");
        await DrainAsync("worker", sources[2]);

        await SetStatusAsync(first!, "restarted");
        var again = await EnrollAsync("worker-2", sequential: true);

        Assert.Equal(Id(first), Id(again));
        Assert.Equal(sources[0], DependsOn(again));
    }

    [Fact]
    public async Task a_deleted_job_makes_its_source_a_source_again()
    {
        var sources = await SourcesAsync(2);
        var first = await EnrollAsync("worker");
        await SetStatusAsync(first!, "finished");
        await DrainAsync("worker", sources[1]);

        await (await app.LoginAsync()).DeleteAsync($"/api/events/{Id(first)}");
        var again = await EnrollAsync("worker");

        Assert.Equal(sources[0], DependsOn(again));
        Assert.NotEqual(Id(first), Id(again));
    }

    [Fact]
    public async Task a_source_that_comes_to_match_the_filter_after_the_queue_moved_past_it_is_taken()
    {
        var filter = JsonNode.Parse("""{"conditions": [{"key": "summary/kind", "value": "take"}]}""");
        var late = await SourcesAsync(1, summary: new { kind = "later" });
        var sources = await SourcesAsync(2, summary: new { kind = "take" });
        await DrainAsync("worker", sources[1], extra: new { filter });

        await app.Service().PatchAsync($"/api/events/{late[0]}", new { summary = new { kind = "take" } }, expect: 204);
        var job = await EnrollAsync("worker", extra: new { filter });

        Assert.Equal(late[0], DependsOn(job));
    }

    [Fact]
    public async Task a_source_committed_late_by_a_transaction_begun_earlier_is_not_skipped()
    {
        var db = app.Services.GetRequiredService<Db>();
        var store = app.Services.GetRequiredService<EventStore>();
        await using var connection = await db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // created_at is the transaction's start: older than every source below, visible only at commit.
        var lateId = await store.DispatchAsync(connection, new NewEvent { Topic = _source, Summary = new JsonObject { ["late"] = true } });
        var sources = await SourcesAsync(3);
        while (await EnrollAsync("worker") is { } job)
            await SetStatusAsync(job, "finished");
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(30);
            Assert.Null(await EnrollAsync("worker"));
        }

        await transaction.CommitAsync();
        var taken = await EnrollAsync("worker");

        Assert.Equal(lateId.ToString("N"), DependsOn(taken));
        Assert.Equal(3, sources.Count);
    }

    [Fact]
    public async Task parallel_workers_on_a_long_queue_take_every_source_exactly_once_while_sources_keep_coming()
    {
        var first = await SourcesAsync(20);
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();
        var more = Task.Run(async () => await SourcesAsync(20));

        async Task Worker(string sender)
        {
            var idle = 0;
            while (idle < 5)
            {
                var job = await EnrollAsync(sender);
                if (job is null)
                {
                    idle++;
                    await Task.Delay(50);
                    continue;
                }
                idle = 0;
                // A quarter of the jobs fail once (and come back), none more often than maxRetries.
                var firstTime = !taken.Contains(DependsOn(job));
                taken.Add(DependsOn(job));
                await SetStatusAsync(job, firstTime && Random.Shared.Next(4) == 0 ? "failed" : "finished");
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Worker($"long-{i}")).Append(more));
        var all = first.Concat(await more).ToHashSet();
        while (await EnrollAsync("sweeper") is { } job)
        {
            taken.Add(DependsOn(job));
            await SetStatusAsync(job, "finished");
        }

        Assert.Equal(all.Order(), taken.Distinct().Order());
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var openJobs = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM events WHERE topic = @target AND status <> 'finished'", new { target = _target });
        Assert.Equal(0, openJobs);
    }

    [Fact]
    public async Task a_retried_request_gets_the_job_of_the_first_one()
    {
        await SourcesAsync(5);

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => EnrollAsync("impatient")));

        Assert.All(answers, answer => Assert.Equal(Id(answers[0]), Id(answer)));
    }

    [Fact]
    public async Task a_retried_request_without_a_sender_gets_the_job_of_the_first_one()
    {
        await SourcesAsync(5);
        // The first request is held at its job's outbox row until the others have arrived: they are retries
        // of one still being answered, however fast the first would otherwise be done.
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var hold = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("LOCK TABLE event_stream IN EXCLUSIVE MODE", transaction: hold);

        var requests = Enumerable.Range(0, 4).Select(_ => EnrollAsync(sender: null!)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await hold.CommitAsync();
        var answers = await Task.WhenAll(requests);

        Assert.All(answers, answer => Assert.Equal(Id(answers[0]), Id(answer)));
        Assert.True((await app.Service().GetAsync($"/api/events/{Id(answers[0])}"))["sender"] is null);
    }

    [Fact]
    public async Task a_worker_retrying_while_its_first_request_waits_gets_that_job_and_the_next_request_a_new_one()
    {
        var sources = await SourcesAsync(3);

        var retried = await Task.WhenAll(EnrollAsync("retrier"), EnrollAsync("retrier"));
        await SetStatusAsync(retried[0]!, "finished");
        var next = await EnrollAsync("retrier");

        Assert.Equal(Id(retried[0]), Id(retried[1]));
        Assert.Equal(sources[0], DependsOn(retried[0]));
        Assert.Equal(sources[1], DependsOn(next));
    }
}
