using System.Net.WebSockets;

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

/// <summary>Reads one page of the outbox table: the stored messages after one position and before another, in order.</summary>
public delegate Task<IReadOnlyList<StreamMessage>> StoredStreamReader(long after, long before, CancellationToken cancellationToken);

/// <summary>
/// One websocket connection: a position in the stream and one sender loop that reads from the
/// instance's <see cref="StreamLog"/> at the client's own pace. A burst, or a client slower than the
/// stream, only moves it further behind: once the log no longer holds its next message it reads the
/// outbox table, page by page, until it is back inside the log. A client is closed only when it stops
/// reading altogether (one send stuck for <see cref="StalledAfter"/>), or when the database cannot be
/// read; never for a burst.
/// </summary>
public sealed class StreamClient(WebSocket socket, StreamLog log, StoredStreamReader readStored)
{
    const int ReadBatch = 256;

    /// <summary>A send that has not finished after this long means the client no longer reads.</summary>
    public static TimeSpan StalledAfter { get; set; } = TimeSpan.FromSeconds(60);

    readonly CancellationTokenSource _dropped = new();
    readonly TaskCompletionSource<long> _authenticated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    volatile StreamSubscription? _subscription;
    long _lastSent;
    long _read;
    long _sendStartedAt;
    WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;

    public WebSocket Socket { get; } = socket;

    public StreamSubscription? Subscription => _subscription;

    /// <summary>Why the server closed the connection, once it did.</summary>
    public string? DropReason { get; private set; }

    public CancellationToken Dropped => _dropped.Token;

    /// <summary>How many pages this client read from the outbox table because the log no longer held them.</summary>
    public int StoredReads { get; private set; }

    /// <summary>Messages of the instance's stream this client has not read yet (those it will skip included).</summary>
    public long Queued => _authenticated.Task.IsCompleted ? Math.Max(0, log.Position - Volatile.Read(ref _read)) : 0;

    /// <summary>
    /// (Re)subscribes. The first subscription starts the sender: after <paramref name="resumeAfter"/>
    /// when given, else with the next message the instance receives.
    /// </summary>
    public void Subscribe(StreamSubscription subscription, long? resumeAfter)
    {
        _subscription = subscription;
        if (!_authenticated.Task.IsCompleted)
            _authenticated.TrySetResult(resumeAfter ?? log.Position);
    }

    public void Drop(string reason, WebSocketCloseStatus status = WebSocketCloseStatus.PolicyViolation)
    {
        lock (_dropped)
        {
            if (DropReason is not null)
                return;
            DropReason = reason;
            _closeStatus = status;
        }
        _dropped.Cancel();
    }

    /// <summary>Closes the client when one send has been stuck too long (called once a second by the hub).</summary>
    public void DropIfStalled(long now)
    {
        var started = Interlocked.Read(ref _sendStartedAt);
        if (started != 0 && now - started > StalledAfter.TotalMilliseconds)
            Drop($"Client did not read the event stream for {StalledAfter.TotalSeconds:0} seconds", WebSocketCloseStatus.PolicyViolation);
    }

    /// <summary>Sends until the client is dropped or the connection ends.</summary>
    public async Task RunSenderAsync()
    {
        var token = _dropped.Token;
        try
        {
            var cursor = await _authenticated.Task.WaitAsync(token);
            _lastSent = cursor;
            Volatile.Write(ref _read, cursor);
            var heartbeats = log.Heartbeats;
            var batch = new List<StreamMessage>(ReadBatch);
            while (true)
            {
                batch.Clear();
                switch (log.Read(cursor, batch, ReadBatch, out var before))
                {
                    case StreamLogRead.Messages:
                        foreach (var message in batch)
                        {
                            if (_subscription?.Accepts(message) == true)
                                await SendAsync(message, token);
                            cursor = message.Sequence!.Value;
                        }
                        Volatile.Write(ref _read, cursor);
                        break;
                    case StreamLogRead.Evicted:
                        cursor = await SendStoredAsync(cursor, before, token);
                        Volatile.Write(ref _read, cursor);
                        break;
                    default:
                        if (log.Heartbeats != heartbeats)
                        {
                            heartbeats = log.Heartbeats;
                            await SendAsync(StreamMessage.Heartbeat, token);
                            break;
                        }
                        await log.WaitAsync(cursor, heartbeats, token);
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
            Drop("Connection lost", WebSocketCloseStatus.NormalClosure);
        }
        catch (StoredStreamUnavailable)
        {
            Drop("The event stream cannot be read from the database; reconnect", WebSocketCloseStatus.InternalServerError);
        }
        await CloseAsync();
    }

    /// <summary>One page from the outbox table; a gap message when the table no longer holds what the client needs.</summary>
    async Task<long> SendStoredAsync(long cursor, long before, CancellationToken token)
    {
        IReadOnlyList<StreamMessage> stored;
        try
        {
            stored = await readStored(cursor, before, token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new StoredStreamUnavailable(e);
        }
        StoredReads++;
        var next = stored.Count > 0 ? stored[0].Sequence!.Value : before;
        if (next > cursor + 1)
            await SendAsync(Gap(cursor, next), token);
        if (stored.Count == 0)
            return before - 1;
        foreach (var message in stored)
        {
            if (_subscription?.Accepts(message) == true)
                await SendAsync(message, token);
            cursor = message.Sequence!.Value;
        }
        return cursor;
    }

    sealed class StoredStreamUnavailable(Exception inner) : Exception(inner.Message, inner);

    /// <summary>Tells a client that messages it needs are no longer stored.</summary>
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
        Interlocked.Exchange(ref _sendStartedAt, Environment.TickCount64);
        await Socket.SendAsync(message.Utf8, WebSocketMessageType.Text, true, token);
        Interlocked.Exchange(ref _sendStartedAt, 0);
    }

    async Task CloseAsync()
    {
        if (Socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
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
