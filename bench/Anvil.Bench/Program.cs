using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

// anvil bench events: enroll throughput with N concurrent workers, and websocket delivery latency
// to M subscribers, against a running server (AYON_SERVER_URL, AYON_API_KEY of a service user).
var options = Options.Parse(args);
var url = Environment.GetEnvironmentVariable("AYON_SERVER_URL") ?? "http://127.0.0.1:5000";
var apiKey = Environment.GetEnvironmentVariable("AYON_API_KEY") ?? throw new InvalidOperationException("AYON_API_KEY is not set");
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
var run = Guid.NewGuid().ToString("N")[..10];

Console.WriteLine($"anvil bench events against {url}");
await EnrollAsync();
await WebSocketLatencyAsync();
return 0;

async Task<string> DispatchAsync(object body)
{
    using var response = await http.PostAsJsonAsync("/api/events", body);
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
}

async Task EnrollAsync()
{
    var source = $"bench.src.{run}";
    var target = $"bench.tgt.{run}";
    Console.WriteLine($"enroll: dispatching {options.Jobs} source events ...");
    await Parallel.ForEachAsync(Enumerable.Range(0, options.Jobs), new ParallelOptions { MaxDegreeOfParallelism = 32 },
        async (i, _) => await DispatchAsync(new { topic = source, summary = new { i } }));

    var done = 0;
    var taken = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
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
}

async Task WebSocketLatencyAsync()
{
    var topic = $"bench.ws.{run}";
    var wsUrl = new Uri(url.Replace("http", "ws", StringComparison.Ordinal).TrimEnd('/') + "/ws");
    Console.WriteLine($"websocket: connecting {options.Subscribers} subscribers ...");
    var sockets = new ClientWebSocket[options.Subscribers];
    await Parallel.ForEachAsync(Enumerable.Range(0, options.Subscribers), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(wsUrl, ct);
        var auth = JsonSerializer.SerializeToUtf8Bytes(new { topic = "auth", token = apiKey, subscribe = new[] { topic } });
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

    var all = samples.SelectMany(s => s).Order().ToArray();
    double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
    Console.WriteLine($"websocket: {all.Length} of {expected} deliveries; latency from POST /api/events to receipt: " +
        $"p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms, max {all.LastOrDefault():F1} ms");
    foreach (var socket in sockets)
        socket.Abort();
}

sealed record Options(int Workers, int Jobs, int Subscribers, int Events, int IntervalMs)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, int> { ["workers"] = 8, ["jobs"] = 2000, ["subscribers"] = 1000, ["events"] = 200, ["interval-ms"] = 10 };
        var rest = args.SkipWhile(a => a == "events").ToArray();
        for (var i = 0; i < rest.Length; i += 2)
        {
            var name = rest[i].TrimStart('-');
            if (!values.ContainsKey(name) || i + 1 >= rest.Length || !int.TryParse(rest[i + 1], out var value))
                throw new ArgumentException($"unknown argument {rest[i]} (expected --workers N, --jobs N, --subscribers N, --events N, --interval-ms N)");
            values[name] = value;
        }
        return new Options(values["workers"], values["jobs"], values["subscribers"], values["events"], values["interval-ms"]);
    }
}
