using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>
/// <c>anvil bench stream</c>: a bulk ingest through <c>/operations</c> (folders, in batches, some in
/// flight at once) while N websocket subscribers listen as AYON's clients do (no <c>lastSequence</c>).
/// Each must receive every created folder, in stream order, on the connection it opened: the figures
/// are what each one got against what was created, its reconnects (closes) and how long after the
/// ingest's last answer its last message arrived.
/// </summary>
public sealed class StreamBench(Settings settings, HttpClient http, StreamOptions options)
{
    sealed class Subscriber
    {
        public required ClientWebSocket Socket { get; init; }
        public int Received;
        public int OutOfOrder;
        public long LastSequence;
        public long LastAt;
        public string? ClosedWith;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    static readonly Stopwatch Clock = Stopwatch.StartNew();

    public async Task RunAsync()
    {
        var project = $"bench_stream_{Guid.NewGuid().ToString("N")[..8]}";
        using (var created = await http.PostAsJsonAsync("/api/projects", new { name = project, code = project }))
            created.EnsureSuccessStatusCode();
        var wsUrl = new Uri(settings.ServerUrl.ToString().Replace("http", "ws", StringComparison.Ordinal).TrimEnd('/') + "/ws");
        Console.WriteLine($"stream: {options.Subscribers} subscribers on {wsUrl}, ingest of {options.Entities} folders into {project} " +
            $"(batches of {options.Batch}, {options.Parallel} in flight)");

        var subscribers = new Subscriber[options.Subscribers];
        for (var i = 0; i < subscribers.Length; i++)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(wsUrl, CancellationToken.None);
            var auth = JsonSerializer.SerializeToUtf8Bytes(new { topic = "auth", token = settings.ApiKey, subscribe = new[] { "entity.folder.created" }, project });
            await socket.SendAsync(auth, WebSocketMessageType.Text, true, CancellationToken.None);
            subscribers[i] = new Subscriber { Socket = socket };
        }
        await Task.Delay(1000); // the auth message is not acknowledged: give the subscriptions a moment
        var readers = subscribers.Select(s => Task.Run(() => ReadAsync(s))).ToArray();

        var clock = Clock;
        var started = clock.Elapsed.TotalSeconds;
        var batches = (options.Entities + options.Batch - 1) / options.Batch;
        var failedBatches = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = options.Parallel }, async (b, ct) =>
        {
            var count = Math.Min(options.Batch, options.Entities - b * options.Batch);
            var operations = Enumerable.Range(0, count).Select(i => new { type = "create", entityType = "folder", data = new { name = $"f{b}_{i}", folderType = "Shot" } });
            using var response = await http.PostAsJsonAsync($"/api/projects/{project}/operations", new { operations }, ct);
            if (!response.IsSuccessStatusCode)
                Interlocked.Increment(ref failedBatches);
        });
        var ingestSeconds = clock.Elapsed.TotalSeconds - started;
        var ingestEnd = clock.ElapsedMilliseconds;
        Console.WriteLine($"ingest: {options.Entities} folders in {ingestSeconds:F1} s = {options.Entities / ingestSeconds:F0} /s ({failedBatches} batches failed)");

        var patience = Task.Delay(TimeSpan.FromSeconds(options.WaitSeconds));
        var done = Task.WhenAll(subscribers.Select(s => s.Done.Task));
        var lastProgress = -1L;
        while (await Task.WhenAny(done, patience, Task.Delay(5000)) is var finished && finished != done && finished != patience)
        {
            var total = subscribers.Sum(s => (long)Volatile.Read(ref s.Received));
            Console.WriteLine($"  ... {total} of {(long)options.Entities * subscribers.Length} delivered ({clock.Elapsed.TotalSeconds - started:F0} s)");
            if (total == lastProgress)
                break;
            lastProgress = total;
        }
        var expected = options.Entities;
        var whole = subscribers.Count(s => s.Received == expected && s.OutOfOrder == 0 && s.ClosedWith is null);
        var lags = subscribers.Where(s => s.Received == expected).Select(s => (s.LastAt - ingestEnd) / 1000.0).Order().ToList();
        Console.WriteLine($"delivered/expected per subscriber: min {subscribers.Min(s => s.Received)} / max {subscribers.Max(s => s.Received)} of {expected}");
        Console.WriteLine($"subscribers whole and in order: {whole} of {subscribers.Length}; out of order: {subscribers.Sum(s => s.OutOfOrder)}; " +
            $"closed by the server (a client would reconnect): {subscribers.Count(s => s.ClosedWith is not null)}" +
            (subscribers.FirstOrDefault(s => s.ClosedWith is not null) is { } closed ? $" (e.g. {closed.ClosedWith})" : ""));
        if (lags.Count > 0)
            Console.WriteLine($"lag of the last message after the ingest's last answer: median {lags[lags.Count / 2]:F1} s, max {lags[^1]:F1} s " +
                $"(total {clock.Elapsed.TotalSeconds - started:F1} s for {(long)expected * subscribers.Length} deliveries)");
        foreach (var s in subscribers)
            s.Socket.Abort();
        await Task.WhenAll(readers);
    }

    async Task ReadAsync(Subscriber subscriber)
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await subscriber.Socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                } while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    subscriber.ClosedWith = $"{(int?)subscriber.Socket.CloseStatus} {subscriber.Socket.CloseStatusDescription}";
                    break;
                }
                var message = JsonNode.Parse(buffer.AsSpan(0, length))!;
                if (message["topic"]?.GetValue<string>() != "entity.folder.created")
                    continue;
                var sequence = message["sequence"]!.GetValue<long>();
                if (sequence <= subscriber.LastSequence)
                    subscriber.OutOfOrder++;
                subscriber.LastSequence = sequence;
                subscriber.LastAt = Clock.ElapsedMilliseconds;
                if (Interlocked.Increment(ref subscriber.Received) == options.Entities)
                    subscriber.Done.TrySetResult();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            subscriber.ClosedWith ??= subscriber.Socket.State == WebSocketState.Aborted && subscriber.Done.Task.IsCompleted ? null : $"reset: {e.Message}";
        }
        subscriber.Done.TrySetResult();
    }
}

public sealed record StreamOptions(int Entities, int Batch, int Parallel, int Subscribers, int WaitSeconds)
{
    public static StreamOptions Parse(IEnumerable<string> args)
    {
        var values = Arguments.Parse(args, new() { ["entities"] = 100_000, ["batch"] = 1000, ["parallel"] = 4, ["subscribers"] = 100, ["wait-seconds"] = 600 });
        return new StreamOptions(values["entities"], values["batch"], values["parallel"], values["subscribers"], values["wait-seconds"]);
    }
}
