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
        var (jobs, jobsPerSecond) = await EnrollAsync();
        var (deliveries, expected, latency) = await WebSocketLatencyAsync();
        return new EventsFigures(options.Workers, jobs, jobsPerSecond, options.Subscribers, deliveries, expected, latency);
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
        Console.WriteLine($"enroll: dispatching {options.Jobs} source events ...");
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Jobs), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => await DispatchAsync(new { topic = source, summary = new { i } }));

        var done = 0;
        var taken = new ConcurrentDictionary<string, byte>();
        var duplicates = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(async worker =>
        {
            while (true)
            {
                using var response = await http.PostAsJsonAsync("/api/enroll", new { sourceTopic = source, targetTopic = target, sender = $"bench-worker-{worker}", ignoreOlderThan = 1 });
                if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
                    return;
                response.EnsureSuccessStatusCode();
                var job = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                if (!taken.TryAdd(job["dependsOn"]!.GetValue<string>(), 0))
                    Interlocked.Increment(ref duplicates);
                using var finish = await http.PatchAsJsonAsync($"/api/events/{job["id"]}", new { status = "finished" });
                finish.EnsureSuccessStatusCode();
                Interlocked.Increment(ref done);
            }
        }));
        clock.Stop();
        Console.WriteLine($"enroll: {done} jobs by {options.Workers} concurrent workers in {clock.Elapsed.TotalSeconds:F2} s = {done / clock.Elapsed.TotalSeconds:F0} jobs/s " +
            $"(each job = enroll + PATCH finished; {duplicates} handed out twice; last enroll of each worker answered 204)");
        return (done, done / clock.Elapsed.TotalSeconds);
    }

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

public sealed record EventsOptions(int Workers, int Jobs, int Subscribers, int Events, int IntervalMs)
{
    public static EventsOptions Parse(IEnumerable<string> args)
    {
        var values = Arguments.Parse(args, new() { ["workers"] = 8, ["jobs"] = 2000, ["subscribers"] = 1000, ["events"] = 200, ["interval-ms"] = 10 });
        return new EventsOptions(values["workers"], values["jobs"], values["subscribers"], values["events"], values["interval-ms"]);
    }
}
