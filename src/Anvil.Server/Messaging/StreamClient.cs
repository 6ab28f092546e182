using System.Net.WebSockets;
using System.Threading.Channels;

namespace Anvil.Server.Messaging;

/// <summary>What a websocket client asked for, and what it may see.</summary>
/// <param name="UserName">The authenticated user.</param>
/// <param name="IsGuest">Guests receive only a few activity topics.</param>
/// <param name="Topics">Topic prefixes; <c>*</c> is everything.</param>
/// <param name="Project">Only this project's messages (plus messages of no project), when set.</param>
/// <param name="Projects">Projects a non-manager may see; null = all.</param>
public sealed record StreamSubscription(string UserName, bool IsGuest, IReadOnlyList<string> Topics, string? Project, IReadOnlySet<string>? Projects)
{
    static readonly HashSet<string> AlwaysDelivered = ["heartbeat", "server.started", "server.restart_requested"];
    static readonly HashSet<string> GuestTopics = ["activity.created", "activity.updated", "entity.version.updated", "heartbeat"];

    public bool Accepts(StreamMessage message)
    {
        var topic = message.Topic;
        if (IsGuest && !GuestTopics.Contains(topic))
            return false;
        if (AlwaysDelivered.Contains(topic))
            return true;
        if (message.Recipients is { } recipients && !recipients.Contains(UserName, StringComparer.OrdinalIgnoreCase))
            return false;
        if (!Topics.Any(t => t == "*" || topic.StartsWith(t, StringComparison.Ordinal)))
            return false;
        if (message.Project is { } project && topic != "inbox.message")
        {
            if (Project is not null && !string.Equals(project, Project, StringComparison.OrdinalIgnoreCase))
                return false;
            if (Projects is not null && !Projects.Contains(project))
                return false;
        }
        return true;
    }
}

/// <summary>
/// One websocket connection: a bounded queue filled by the hub (never waiting) and one sender loop
/// draining it. A client whose queue is full has fallen behind and is dropped, so a slow or dead
/// client costs the others nothing.
/// </summary>
public sealed class StreamClient(WebSocket socket, int bufferSize)
{
    readonly Channel<StreamMessage> _queue = Channel.CreateBounded<StreamMessage>(
        new BoundedChannelOptions(bufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly CancellationTokenSource _dropped = new();
    readonly TaskCompletionSource<long?> _authenticated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    volatile StreamSubscription? _subscription;
    long _lastSent;

    public WebSocket Socket { get; } = socket;

    public StreamSubscription? Subscription => _subscription;

    /// <summary>Why the server closed the connection, once it did.</summary>
    public string? DropReason { get; private set; }

    public CancellationToken Dropped => _dropped.Token;

    /// <summary>Messages waiting to be sent to this client.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Called by the hub for every message; never blocks.</summary>
    public void Offer(StreamMessage message)
    {
        var subscription = _subscription;
        if (subscription is null || !subscription.Accepts(message))
            return;
        if (!_queue.Writer.TryWrite(message))
            Drop($"Client fell more than {bufferSize} messages behind the event stream", TryAgainLater);
    }

    /// <summary>(Re)subscribes. The first subscription starts the sender, from <paramref name="resumeAfter"/> when given.</summary>
    public void Subscribe(StreamSubscription subscription, long? resumeAfter)
    {
        _subscription = subscription;
        _authenticated.TrySetResult(resumeAfter);
    }

    /// <summary>Close code for a client that fell behind: 1013, try again later (and resume).</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;

    public void Drop(string reason, WebSocketCloseStatus status = WebSocketCloseStatus.PolicyViolation)
    {
        lock (_dropped)
        {
            if (DropReason is not null)
                return;
            DropReason = reason;
            _closeStatus = status;
        }
        _queue.Writer.TryComplete();
        _dropped.Cancel();
    }

    /// <summary>
    /// Sends until the client is dropped: first the stored messages after the resume point (the live
    /// ones wait in the queue meanwhile), then the queue, skipping what was already sent.
    /// </summary>
    public async Task RunSenderAsync(Func<long, CancellationToken, IAsyncEnumerable<StreamMessage>> stored)
    {
        var token = _dropped.Token;
        try
        {
            var resumeAfter = await _authenticated.Task.WaitAsync(token);
            if (resumeAfter is long after)
            {
                _lastSent = after;
                var first = true;
                await foreach (var message in stored(after, token))
                {
                    if (first && message.Sequence > after + 1)
                        await SendAsync(Gap(after, message.Sequence.Value), token);
                    first = false;
                    if (_subscription?.Accepts(message) == true)
                        await SendAsync(message, token);
                }
            }
            await foreach (var message in _queue.Reader.ReadAllAsync(token))
                await SendAsync(message, token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
            Drop("Connection lost", WebSocketCloseStatus.NormalClosure);
        }
        await CloseAsync();
    }

    /// <summary>Tells a resuming client that messages it asked for are no longer stored.</summary>
    static StreamMessage Gap(long after, long resumedFrom) => new(null, "stream.gap", null, null, System.Text.Encoding.UTF8.GetBytes(
        $$$"""{"topic": "stream.gap", "summary": {"lastSequence": {{{after}}}, "resumedFrom": {{{resumedFrom}}}}}"""));

    async Task SendAsync(StreamMessage message, CancellationToken token)
    {
        if (message.Sequence is long sequence)
        {
            if (sequence <= _lastSent)
                return;
            _lastSent = sequence;
        }
        await Socket.SendAsync(message.Utf8, WebSocketMessageType.Text, true, token);
    }

    async Task CloseAsync()
    {
        if (Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            var reason = DropReason ?? "Closing";
            await Socket.CloseOutputAsync(_closeStatus, reason.Length > 120 ? reason[..120] : reason, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            Socket.Abort();
        }
    }
}
