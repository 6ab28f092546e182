using System.Net.WebSockets;
using System.Text;
using Anvil.Server.Messaging;

namespace Anvil.Server.Tests.Messaging;

/// <summary>
/// Back-pressure of one websocket client, on a socket the test controls (an in-process test
/// server never lets a send block, so a stuck network cannot be made through HTTP here).
/// </summary>
public sealed class stream_client
{
    sealed class ScriptedSocket(bool stuck) : WebSocket
    {
        public List<string> Sent { get; } = [];
        public WebSocketCloseStatus? ClosedWith { get; private set; }
        WebSocketState _state = WebSocketState.Open;

        public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            if (stuck)
                await Task.Delay(Timeout.Infinite, cancellationToken);
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

    static async IAsyncEnumerable<StreamMessage> NothingStored(long after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
    {
        await Task.CompletedTask;
        yield break;
    }

    [Fact]
    public async Task a_client_that_falls_behind_is_dropped_with_a_reason_while_another_gets_everything()
    {
        var stuckSocket = new ScriptedSocket(stuck: true);
        var fastSocket = new ScriptedSocket(stuck: false);
        var slow = new StreamClient(stuckSocket, bufferSize: 4);
        var fast = new StreamClient(fastSocket, bufferSize: 4);
        slow.Subscribe(Everything, null);
        fast.Subscribe(Everything, null);
        var slowSender = slow.RunSenderAsync(NothingStored);
        var fastSender = fast.RunSenderAsync(NothingStored);

        for (var i = 1; i <= 20; i++)
        {
            slow.Offer(Message(i));
            fast.Offer(Message(i));
            await Task.Yield();
            while (true)
            {
                lock (fastSocket.Sent)
                    if (fastSocket.Sent.Count == i)
                        break;
                await Task.Delay(1);
            }
        }
        await slowSender;
        fast.Drop("test over");
        await fastSender;

        Assert.Contains("behind", slow.DropReason);
        Assert.Equal(StreamClient.TryAgainLater, stuckSocket.ClosedWith);
        Assert.Equal(20, fastSocket.Sent.Count);
    }

    [Fact]
    public async Task a_client_resuming_past_the_retention_is_told_of_the_gap()
    {
        var socket = new ScriptedSocket(stuck: false);
        var client = new StreamClient(socket, bufferSize: 16);
        client.Subscribe(Everything, resumeAfter: 3);
        async IAsyncEnumerable<StreamMessage> StoredFrom10(long after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
        {
            await Task.CompletedTask;
            yield return Message(10);
            yield return Message(11);
        }
        var sender = client.RunSenderAsync(StoredFrom10);

        while (true)
        {
            lock (socket.Sent)
                if (socket.Sent.Count >= 3)
                    break;
            await Task.Delay(1);
        }
        client.Drop("test over");
        await sender;

        Assert.Contains("\"stream.gap\"", socket.Sent[0]);
        Assert.Contains("\"resumedFrom\": 10", socket.Sent[0]);
        Assert.Contains("\"sequence\": 11", socket.Sent[2]);
    }

    [Fact]
    public async Task a_repeated_or_older_sequence_is_not_sent_twice()
    {
        var socket = new ScriptedSocket(stuck: false);
        var client = new StreamClient(socket, bufferSize: 16);
        client.Subscribe(Everything, resumeAfter: 2);
        var sender = client.RunSenderAsync(NothingStored);

        foreach (var sequence in new long[] { 1, 2, 3, 3, 4, 2, 5 })
            client.Offer(Message(sequence));
        while (true)
        {
            lock (socket.Sent)
                if (socket.Sent.Count >= 3)
                    break;
            await Task.Delay(1);
        }
        client.Drop("test over");
        await sender;

        Assert.Equal([3, 4, 5], socket.Sent.Select(s => System.Text.Json.JsonDocument.Parse(s).RootElement.GetProperty("sequence").GetInt64()));
    }
}
