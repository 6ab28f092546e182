using System.Net.WebSockets;
using System.Text;
using Anvil.Server.Messaging;

namespace Anvil.Server.Tests.Messaging;

/// <summary>
/// One websocket client reading the stream log at its own pace, on a socket the test controls (an
/// in-process test server never lets a send block, so a slow or stuck network cannot be made through
/// HTTP here).
/// </summary>
public sealed class stream_client
{
    sealed class ScriptedSocket(bool stuck, TimeSpan perSend = default) : WebSocket
    {
        public List<string> Sent { get; } = [];
        public WebSocketCloseStatus? ClosedWith { get; private set; }
        WebSocketState _state = WebSocketState.Open;

        public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            if (stuck)
                await Task.Delay(Timeout.Infinite, cancellationToken);
            if (perSend > TimeSpan.Zero)
                await Task.Delay(perSend, cancellationToken);
            lock (Sent)
                Sent.Add(Encoding.UTF8.GetString(buffer.Span));
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            ClosedWith = closeStatus;
            _state = WebSocketState.CloseSent;
            return Task.CompletedTask;
        }

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override void Abort() => _state = WebSocketState.Aborted;
        public override void Dispose() { }
        public override WebSocketCloseStatus? CloseStatus => ClosedWith;
        public override string? CloseStatusDescription => null;
        public override WebSocketState State => _state;
        public override string? SubProtocol => null;
    }

    static StreamMessage Message(long sequence) =>
        new(sequence, "test.topic", null, null, Encoding.UTF8.GetBytes($$"""{"topic": "test.topic", "sequence": {{sequence}}}"""));

    static StreamSubscription Everything => new("service", false, ["*"], null, null);

    /// <summary>The outbox table of these tests: every message 1..<paramref name="upTo"/>, from <paramref name="from"/> on (older ones expired).</summary>
    static StoredStreamReader Table(long upTo, long from = 1) => (after, before, token) =>
        Task.FromResult<IReadOnlyList<StreamMessage>>([.. Enumerable.Range(1, (int)upTo).Select(i => (long)i)
            .Where(s => s > after && s < before && s >= from).Take(10).Select(Message)]);

    static async Task UntilSentAsync(ScriptedSocket socket, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            lock (socket.Sent)
                if (socket.Sent.Count >= count)
                    return;
            await Task.Delay(1, timeout.Token);
        }
    }

    static long[] Sequences(ScriptedSocket socket)
    {
        lock (socket.Sent)
            return [.. socket.Sent.Select(s => System.Text.Json.JsonDocument.Parse(s).RootElement)
                .Where(e => e.TryGetProperty("sequence", out _)).Select(e => e.GetProperty("sequence").GetInt64())];
    }

    [Fact]
    public void a_published_message_carries_its_sequence_first_and_the_position_reads_back_from_its_bytes()
    {
        string Sequenced(string message, long seq) => Encoding.UTF8.GetString(EventPublisher.WithSequence(Encoding.UTF8.GetBytes(message), seq));

        Assert.Equal("""{"sequence": 7}""", Sequenced("{}", 7));
        Assert.Equal("""{"sequence": 12345678901, "id": "x", "summary": {}}""", Sequenced("""{"id": "x", "summary": {}}""", 12345678901));
        Assert.Equal("""{"sequence": 3, "é": "ü"}""", EventPublisher.WithSequence("""{"é": "ü"}""", 3));
        foreach (var message in new[] { """{"sequence": 42, "id": "x"}""", """{"sequence": 42}""", """{"id": 1}""", """{"sequence": x}""", "" })
            Assert.Equal(StreamMessage.SequenceOf(message), StreamMessage.SequenceOf(Encoding.UTF8.GetBytes(message)));
        Assert.Equal((long?)42, StreamMessage.SequenceOf("""{"sequence": 42, "id": "x"}"""u8));
    }

    [Fact]
    public async Task a_slow_client_falls_behind_the_log_and_catches_up_from_the_table_while_a_fast_one_reads_the_log()
    {
        var log = new StreamLog(capacity: 8);
        var slowSocket = new ScriptedSocket(stuck: false, perSend: TimeSpan.FromMilliseconds(2));
        var fastSocket = new ScriptedSocket(stuck: false);
        var slow = new StreamClient(slowSocket, log, Table(upTo: 200));
        var fast = new StreamClient(fastSocket, log, Table(upTo: 200));
        slow.Subscribe(Everything, null);
        fast.Subscribe(Everything, null);
        var senders = new[] { slow.RunSenderAsync(), fast.RunSenderAsync() };

        for (var i = 1; i <= 200; i++)
            log.Append(Message(i));
        await UntilSentAsync(slowSocket, 200);
        await UntilSentAsync(fastSocket, 200);
        slow.Drop("test over");
        fast.Drop("test over");
        await Task.WhenAll(senders);

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), Sequences(slowSocket));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), Sequences(fastSocket));
        Assert.True(slow.StoredReads > 0, "the slow client should have read from the table");
    }

    [Fact]
    public async Task a_client_that_stops_reading_is_closed_with_a_policy_code_and_a_reason()
    {
        var log = new StreamLog(capacity: 8);
        var stuckSocket = new ScriptedSocket(stuck: true);
        var stuck = new StreamClient(stuckSocket, log, Table(upTo: 0));
        stuck.Subscribe(Everything, null);
        var sender = stuck.RunSenderAsync();
        log.Append(Message(1));
        await Task.Delay(100);

        stuck.DropIfStalled(Environment.TickCount64 + (long)StreamClient.StalledAfter.TotalMilliseconds + 1);
        await sender;

        Assert.Contains("did not read", stuck.DropReason);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, stuckSocket.ClosedWith);
    }

    [Fact]
    public async Task a_client_resuming_past_the_retention_is_told_of_the_gap()
    {
        var log = new StreamLog(capacity: 16);
        log.Skip(11);
        var socket = new ScriptedSocket(stuck: false);
        var client = new StreamClient(socket, log, Table(upTo: 11, from: 10));
        client.Subscribe(Everything, resumeAfter: 3);
        var sender = client.RunSenderAsync();

        await UntilSentAsync(socket, 3);
        client.Drop("test over");
        await sender;

        Assert.Contains("\"stream.gap\"", socket.Sent[0]);
        Assert.Contains("\"resumedFrom\": 10", socket.Sent[0]);
        Assert.Contains("\"sequence\": 11", socket.Sent[2]);
    }

    [Fact]
    public async Task a_repeated_or_older_sequence_is_not_sent_twice()
    {
        var log = new StreamLog(capacity: 16);
        var socket = new ScriptedSocket(stuck: false);
        var client = new StreamClient(socket, log, Table(upTo: 0));
        foreach (var sequence in new long[] { 1, 2 })
            log.Append(Message(sequence));
        client.Subscribe(Everything, resumeAfter: 2);
        var sender = client.RunSenderAsync();

        foreach (var sequence in new long[] { 1, 2, 3, 3, 4, 2, 5 })
            log.Append(Message(sequence));
        await UntilSentAsync(socket, 3);
        client.Drop("test over");
        await sender;

        Assert.Equal([3, 4, 5], Sequences(socket));
    }

    [Fact]
    public async Task a_server_shutting_down_closes_with_going_away_and_a_reason()
    {
        var log = new StreamLog(capacity: 16);
        var socket = new ScriptedSocket(stuck: false);
        var client = new StreamClient(socket, log, Table(upTo: 0));
        client.Subscribe(Everything, null);
        var sender = client.RunSenderAsync();

        client.Drop("Server is shutting down", WebSocketCloseStatus.EndpointUnavailable);
        await sender;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.ClosedWith);
    }
}
