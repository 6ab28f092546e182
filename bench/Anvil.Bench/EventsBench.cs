using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>The figures of <see cref="EventsBench"/>.</summary>
public sealed record EventsFigures(int Workers, int Jobs, double JobsPerSecond, int Subscribers, long Deliveries, long Expected, Percentiles Latency);

/// <summary>
/// <c>anvil bench events</c>: enroll throughput with N concurrent workers, and websocket delivery
/// latency to M subscribers, against a running server.
/// </summary>
public sealed class EventsBench(Settings settings, HttpClient http, EventsOptions options)
{
    readonly string _run = Guid.NewGuid().ToString("N")[..10];

    public async Task<EventsFigures> RunAsync()
    {
        if (options.Filler > 0)
            await FillAsync();
        var (jobs, jobsPerSecond) = await EnrollAsync();
        if (options.Subscribers == 0)
            return new EventsFigures(options.Workers, jobs, jobsPerSecond, 0, 0, 0, Percentiles.Of([]));
        var (deliveries, expected, latency) = await WebSocketLatencyAsync();
        return new EventsFigures(options.Workers, jobs, jobsPerSecond, options.Subscribers, deliveries, expected, latency);
    }

    /// <summary>Tops the events table up to <c>--filler</c> rows with events of other topics, straight into the database.</summary>
    async Task FillAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync();
        var count = await Scalar(connection, "SELECT count(*) FROM events");
        var clock = Stopwatch.StartNew();
        while (count < options.Filler)
        {
            var batch = (int)Math.Min(100_000, options.Filler - count);
            await using (var insert = new Npgsql.NpgsqlCommand("""
                INSERT INTO events (id, hash, topic, sender, user_name, description, summary)
                SELECT id, replace(id::text, '-', ''), 'bench.filler.' || (i % 40), 'bench', 'service', 'filler', jsonb_build_object('i', i)
                FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, @n) i) g
                """, connection))
            {
                insert.Parameters.AddWithValue("n", batch);
                insert.CommandTimeout = 600;
                await insert.ExecuteNonQueryAsync();
            }
            count += batch;
            Console.WriteLine($"filler: {count:N0} events in the table ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        await using (var analyze = new Npgsql.NpgsqlCommand("ANALYZE events", connection) { CommandTimeout = 600 })
            await analyze.ExecuteNonQueryAsync();
        Console.WriteLine($"events table: {await Scalar(connection, "SELECT count(*) FROM events"):N0} rows");
    }

    static async Task<long> Scalar(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// <c>--history N</c> sources of the queue's topic whose jobs are finished already, straight into the
    /// database: what a queue worked through for days looks like, the part AYON's enroll walks again
    /// every time.
    /// </summary>
    async Task HistoryAsync(string source, string target)
    {
        await using var connection = new Npgsql.NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync();
        var clock = Stopwatch.StartNew();
        await using var insert = new Npgsql.NpgsqlCommand("""
            INSERT INTO events (id, hash, topic, sender, user_name, description)
            SELECT id, replace(id::text, '-', ''), @source, 'bench', 'service', 'history'
            FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, @n)) g;
            INSERT INTO events (id, hash, topic, sender, user_name, depends_on, status, description)
            SELECT gen_random_uuid(), encode(sha256(convert_to(format('["%s","%s"]', @target::text, replace(s.id::text, '-', '')), 'UTF8')), 'hex'),
                   @target, 'bench-history', 'service', s.id, 'finished', 'done before'
            FROM events s WHERE s.topic = @source;
            ANALYZE events;
            """, connection) { CommandTimeout = 600 };
        insert.Parameters.AddWithValue("source", source);
        insert.Parameters.AddWithValue("target", target);
        insert.Parameters.AddWithValue("n", options.History);
        await insert.ExecuteNonQueryAsync();
        Console.WriteLine($"enroll: {options.History:N0} sources already done in the queue's history ({clock.Elapsed.TotalSeconds:F0} s to write)");
    }

    async Task<string> DispatchAsync(object body)
    {
        using var response = await http.PostAsJsonAsync("/api/events", body);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    async Task<(int Jobs, double PerSecond)> EnrollAsync()
    {
        var source = $"bench.src.{_run}";
        var target = $"bench.tgt.{_run}";
        if (options.History > 0)
        {
            await HistoryAsync(source, target);
            // The first enroll of a queue walks its whole history once (what AYON does at every
            // enroll); Anvil's cursor then starts past it. Timed apart, before the timed run.
            var first = Stopwatch.StartNew();
            using (var walk = await http.PostAsJsonAsync("/api/enroll", new { sourceTopic = source, targetTopic = target, sender = "bench-warmup", ignoreOlderThan = 1 }))
                walk.EnsureSuccessStatusCode();
            Console.WriteLine($"enroll: the queue's first enroll walked its history in {first.Elapsed.TotalMilliseconds:F0} ms");
            for (var i = 0; i < 20; i++)
            {
                await Task.Delay(100);
                using var again = await http.PostAsJsonAsync("/api/enroll", new { sourceTopic = source, targetTopic = target, sender = "bench-warmup", ignoreOlderThan = 1 });
            }
        }
        Console.WriteLine($"enroll: dispatching {options.Jobs} source events ...");
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Jobs), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => await DispatchAsync(new { topic = source, summary = new { i } }));

        var done = 0;
        var taken = new ConcurrentDictionary<string, byte>();
        var duplicates = 0;
        var latencies = new ConcurrentBag<double>();
        var meter = await CpuMeter.LocalAsync(settings);
        Console.WriteLine($"enroll: {options.Workers} workers taking the jobs ...");
        var cpuBefore = meter.Read();
        var clock = Stopwatch.StartNew();
        // The workers share the two cores with the server and PostgreSQL: their bodies are made once,
        // and an answer is read for its two ids only.
        var finished = JsonSerializer.SerializeToUtf8Bytes(new { status = "finished" });
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(async worker =>
        {
            var enroll = JsonSerializer.SerializeToUtf8Bytes(new { sourceTopic = source, targetTopic = target, sender = $"bench-worker-{worker}", ignoreOlderThan = 1 });
            while (true)
            {
                var sent = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("/api/enroll", JsonBody(enroll));
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
                    return;
                response.EnsureSuccessStatusCode();
                using var job = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
                if (!taken.TryAdd(job.RootElement.GetProperty("dependsOn").GetString()!, 0))
                    Interlocked.Increment(ref duplicates);
                using var finish = await http.PatchAsync($"/api/events/{job.RootElement.GetProperty("id").GetString()}", JsonBody(finished));
                finish.EnsureSuccessStatusCode();
                Interlocked.Increment(ref done);
            }
        }));
        clock.Stop();
        var cpu = meter.Read() - cpuBefore;
        Console.WriteLine($"enroll: {done} jobs by {options.Workers} concurrent workers in {clock.Elapsed.TotalSeconds:F2} s = {done / clock.Elapsed.TotalSeconds:F0} jobs/s " +
            $"(each job = enroll + PATCH finished; {duplicates} handed out twice; last enroll of each worker answered 204)");
        var enrollLatency = Percentiles.Of(latencies);
        Console.WriteLine($"enroll: latency of one enroll p50 {enrollLatency.Median:F1} ms, p99 {enrollLatency.P99:F1} ms");
        Console.WriteLine($"enroll: CPU per job: {cpu.PerUnit(Math.Max(1, done))}; load average {LoadAverage()}");
        return (done, done / clock.Elapsed.TotalSeconds);
    }

    static ByteArrayContent JsonBody(byte[] json)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), to read a rate by.</summary>
    static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    async Task<(long Deliveries, long Expected, Percentiles Latency)> WebSocketLatencyAsync()
    {
        var topic = $"bench.ws.{_run}";
        var wsUrl = new Uri(settings.ServerUrl.ToString().Replace("http", "ws", StringComparison.Ordinal).TrimEnd('/') + "/ws");
        Console.WriteLine($"websocket: connecting {options.Subscribers} subscribers ...");
        var sockets = new ClientWebSocket[options.Subscribers];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Subscribers), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(wsUrl, ct);
            var auth = JsonSerializer.SerializeToUtf8Bytes(new { topic = "auth", token = settings.ApiKey, subscribe = new[] { topic } });
            await socket.SendAsync(auth, WebSocketMessageType.Text, true, ct);
            sockets[i] = socket;
        });

        var samples = new List<double>[options.Subscribers];
        var ready = new int[options.Subscribers];
        var received = 0L;
        using var stop = new CancellationTokenSource();
        var readers = sockets.Select((socket, i) => Task.Run(async () =>
        {
            samples[i] = new List<double>(options.Events);
            var buffer = new byte[16 * 1024];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(length), stop.Token);
                        length += result.Count;
                    } while (!result.EndOfMessage);
                    var now = Stopwatch.GetTimestamp();
                    if (result.MessageType == WebSocketMessageType.Close)
                        return;
                    var message = JsonNode.Parse(buffer.AsSpan(0, length))!;
                    var messageTopic = message["topic"]!.GetValue<string>();
                    if (messageTopic == topic + ".ready")
                        Volatile.Write(ref ready[i], 1);
                    else if (messageTopic == topic && message["summary"]?["sent"] is { } sent)
                    {
                        samples[i].Add(Stopwatch.GetElapsedTime(sent.GetValue<long>(), now).TotalMilliseconds);
                        Interlocked.Increment(ref received);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        // No acknowledgement in AYON's protocol: markers until every subscriber has one.
        var wait = Stopwatch.StartNew();
        while (ready.Sum() < options.Subscribers)
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException($"only {ready.Sum()} of {options.Subscribers} subscribers became ready");
            await DispatchAsync(new { topic = topic + ".ready", store = false });
            await Task.Delay(200);
        }

        Console.WriteLine($"websocket: {options.Events} events, one every {options.IntervalMs} ms, to {options.Subscribers} subscribers ...");
        for (var i = 0; i < options.Events; i++)
        {
            await DispatchAsync(new { topic, summary = new { sent = Stopwatch.GetTimestamp(), i } });
            await Task.Delay(options.IntervalMs);
        }
        var expected = (long)options.Events * options.Subscribers;
        var drain = Stopwatch.StartNew();
        while (Interlocked.Read(ref received) < expected && drain.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(readers);

        var latency = Percentiles.Of(samples.SelectMany(s => s));
        Console.WriteLine($"websocket: {latency.Count} of {expected} deliveries; latency from POST /api/events to receipt: " +
            $"p50 {latency.Median:F1} ms, p99 {latency.P99:F1} ms, max {latency.Max:F1} ms");
        foreach (var socket in sockets)
            socket.Abort();
        return (latency.Count, expected, latency);
    }
}

/// <param name="History">Sources already done in the queue's topic before the run (<c>--history</c>).</param>
/// <param name="Filler">Rows the events table is topped up to with other topics before the run (<c>--filler</c>).</param>
public sealed record EventsOptions(int Workers, int Jobs, int Subscribers, int Events, int IntervalMs, int History = 0, int Filler = 0)
{
    public static EventsOptions Parse(IEnumerable<string> args)
    {
        var values = Arguments.Parse(args, new()
        {
            ["workers"] = 8,
            ["jobs"] = 2000,
            ["subscribers"] = 1000,
            ["events"] = 200,
            ["interval-ms"] = 10,
            ["history"] = 0,
            ["filler"] = 0,
        });
        return new EventsOptions(values["workers"], values["jobs"], values["subscribers"], values["events"], values["interval-ms"], values["history"], values["filler"]);
    }
}
