namespace Anvil.Server.Messaging;

/// <summary>What <see cref="StreamLog.Read"/> found after a position.</summary>
public enum StreamLogRead
{
    /// <summary>Messages were copied (the ones held right after the position).</summary>
    Messages,

    /// <summary>Nothing newer yet: wait for <see cref="StreamLog.WaitAsync"/>.</summary>
    UpToDate,

    /// <summary>The log no longer (or never) held what follows the position: read the outbox table up to <c>before</c>.</summary>
    Evicted,
}

/// <summary>
/// The recent live stream of this instance, held once for every websocket client: the last
/// <c>capacity</c> messages by sequence (always contiguous), the newest position seen, and a signal
/// for readers waiting for more. Each client keeps only its own position and reads from here at its
/// own pace; a client that falls further behind than the log holds reads the outbox table
/// (<c>event_stream</c>) instead, so a burst or a slow reader costs memory once, not per client,
/// and never loses a message.
/// </summary>
public sealed class StreamLog(int capacity)
{
    readonly StreamMessage[] _items = new StreamMessage[Math.Max(capacity, 1)];
    readonly Lock _gate = new();
    long _first;
    long _last;
    long _position;
    long _heartbeats;
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Capacity => _items.Length;

    /// <summary>The newest sequence this instance has seen (held or not); 0 before the first.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
                return _position;
        }
    }

    /// <summary>How many heartbeats were signalled so far.</summary>
    public long Heartbeats => Interlocked.Read(ref _heartbeats);

    /// <summary>Holds a message with a sequence (in order, one at a time) and wakes the readers.</summary>
    public void Append(StreamMessage message)
    {
        var sequence = message.Sequence ?? throw new ArgumentException("Only messages with a sequence are held", nameof(message));
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (sequence <= _position)
                return;
            // Held messages stay contiguous: after a gap the log starts afresh, and readers before it use the table.
            if (_last == 0 || sequence != _last + 1)
                _first = sequence;
            else if (sequence - _first >= _items.Length)
                _first = sequence - _items.Length + 1;
            _items[sequence % _items.Length] = message;
            _last = sequence;
            _position = sequence;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>Moves the position without holding the message (nobody is connected to read it, or the stream's published position at start).</summary>
    public void Skip(long sequence)
    {
        lock (_gate)
            if (sequence > _position)
                _position = sequence;
    }

    /// <summary>Wakes every waiting reader to send a heartbeat.</summary>
    public void Heartbeat()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            Interlocked.Increment(ref _heartbeats);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> held messages after <paramref name="after"/> into
    /// <paramref name="into"/>.
    /// When the result is <see cref="StreamLogRead.Evicted"/>, <paramref name="before"/> bounds the
    /// table read: what follows it is (or will be) held here.
    /// </summary>
    public StreamLogRead Read(long after, List<StreamMessage> into, int max, out long before)
    {
        lock (_gate)
        {
            before = 0;
            if (_last > 0 && after + 1 >= _first && after < _last)
            {
                var end = Math.Min(_last, after + max);
                for (var sequence = after + 1; sequence <= end; sequence++)
                    into.Add(_items[sequence % _items.Length]);
                return StreamLogRead.Messages;
            }
            if (_last > 0 && after + 1 < _first)
            {
                before = _first;
                return StreamLogRead.Evicted;
            }
            if (after < _position)
            {
                before = _position + 1;
                return StreamLogRead.Evicted;
            }
            return StreamLogRead.UpToDate;
        }
    }

    /// <summary>Completes when a message after <paramref name="after"/> is held, or a heartbeat after <paramref name="heartbeatsSeen"/> is due.</summary>
    public Task WaitAsync(long after, long heartbeatsSeen, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            if ((_last > 0 && after < _last) || Heartbeats != heartbeatsSeen)
                return Task.CompletedTask;
            changed = _changed.Task;
        }
        return changed.WaitAsync(cancellationToken);
    }
}
