using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Dapper;
using StackExchange.Redis;

namespace Anvil.Server.Messaging;

/// <summary>
/// This instance's end of the live stream: one Redis subscription on <c>AYON_REDIS_CHANNEL</c>,
/// appended to the <see cref="StreamLog"/> the websocket clients connected here read from, each at its
/// own pace. Messages arrive in sequence order; a gap (this instance's subscription broke while
/// others published) is filled from the outbox table, and a repeat (a batch published twice after a
/// Redis failure) is dropped.
/// </summary>
public sealed class EventStreamHub(Db db, Redis redis, AyonOptions options, ILogger<EventStreamHub> logger) : BackgroundService
{
    const int MaxGapFill = 10_000;
    static readonly TimeSpan HeartbeatAfter = TimeSpan.FromSeconds(5);

    readonly ConcurrentDictionary<StreamClient, byte> _clients = new();
    long _lastDelivery = Environment.TickCount64;

    /// <summary>The recent stream, shared by every client of this instance.</summary>
    public StreamLog Log { get; } = new(options.WebSocketBufferSize);

    /// <summary>A new client reading from this instance's log, and from the outbox table when it falls behind it.</summary>
    public StreamClient NewClient(System.Net.WebSockets.WebSocket socket) => new(socket, Log, ReadStoredPageAsync);

    public int ClientCount => _clients.Count;

    /// <summary>Messages of the stream this instance's clients have not read yet, all clients together.</summary>
    public long QueuedMessages => _clients.Keys.Sum(client => client.Queued);

    public void Add(StreamClient client) => _clients.TryAdd(client, 0);

    public void Remove(StreamClient client) => _clients.TryRemove(client, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ChannelMessageQueue? queue = null;
        try
        {
            // Redis may be away at start: keep trying (StackExchange.Redis resubscribes by itself after a later outage).
            while (queue is null)
            {
                try
                {
                    queue = await redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(options.RedisChannel));
                }
                catch (RedisException e)
                {
                    logger.LogWarning("Cannot subscribe to the event channel yet: {Error}", e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
            await StartAtPublishedPositionAsync(stoppingToken);
            queue.OnMessage(message => ReceiveAsync(message.Message));
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                if (Environment.TickCount64 - Interlocked.Read(ref _lastDelivery) >= HeartbeatAfter.TotalMilliseconds)
                {
                    Interlocked.Exchange(ref _lastDelivery, Environment.TickCount64);
                    Log.Heartbeat();
                }
                var now = Environment.TickCount64;
                foreach (var client in _clients.Keys)
                    client.DropIfStalled(now);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (queue is not null)
                await queue.UnsubscribeAsync().ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var client in _clients.Keys)
                client.Drop("Server is shutting down", System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable);
        }
    }

    /// <summary>
    /// Starts the log at the stream's published position, so that clients connecting before the first
    /// message arrives start there too (rather than at 0, which would replay the stored stream).
    /// </summary>
    async Task StartAtPublishedPositionAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            Log.Skip(await connection.ExecuteScalarAsync<long?>("SELECT published_seq FROM event_stream_state WHERE id = 1") ?? 0);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Cannot read the event stream's position yet: {Error}", e.Message);
        }
    }

    /// <summary>Handles one Redis message (called in order, one at a time).</summary>
    Task ReceiveAsync(RedisValue message)
    {
        if (_clients.IsEmpty)
        {
            // Nobody to deliver to (a bulk ingest publishes thousands a second): keep the position
            // only, read from the bytes, so that the gap check of the next delivery starts from here.
            if (StreamMessage.SequenceOf(((ReadOnlyMemory<byte>)message).Span) is long position)
                Log.Skip(position);
            return Task.CompletedTask;
        }
        return ReceiveAsync(message.ToString());
    }

    async Task ReceiveAsync(string json)
    {
        var message = StreamMessage.Parse(json);
        if (message is null)
            return;
        if (message.Sequence is long sequence)
        {
            var last = Log.Position;
            if (last > 0 && sequence <= last)
                return;
            if (last > 0 && sequence > last + 1 && sequence - last <= MaxGapFill)
            {
                try
                {
                    await foreach (var missed in ReadStoredAsync(last, CancellationToken.None, before: sequence))
                        Deliver(missed);
                }
                catch (Exception e)
                {
                    logger.LogWarning("Could not fill a gap of the event stream ({From}..{To}): {Error}", last + 1, sequence - 1, e.Message);
                }
            }
        }
        Deliver(message);
    }

    void Deliver(StreamMessage message)
    {
        Interlocked.Exchange(ref _lastDelivery, Environment.TickCount64);
        // A message without a sequence is not one of the outbox's (nothing publishes those): ignored.
        if (message.Sequence is not null)
            Log.Append(message);
    }

    /// <summary>One page of stored stream messages after <paramref name="after"/> and before <paramref name="before"/>.</summary>
    async Task<IReadOnlyList<StreamMessage>> ReadStoredPageAsync(long after, long before, CancellationToken cancellationToken)
    {
        List<(long Seq, string Message)> rows;
        await using (var connection = await db.OpenAsync(cancellationToken))
            rows = await EventPublisher.ReadStoredAsync(connection, after, before, 1000, cancellationToken);
        var messages = new List<StreamMessage>(rows.Count);
        foreach (var (seq, text) in rows)
            if (StreamMessage.Parse(EventPublisher.WithSequence(text, seq)) is { } message)
                messages.Add(message);
        return messages;
    }

    /// <summary>The stored stream messages after <paramref name="after"/> (and before <paramref name="before"/>), in order.</summary>
    public async IAsyncEnumerable<StreamMessage> ReadStoredAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken, long before = long.MaxValue)
    {
        while (true)
        {
            List<(long Seq, string Message)> rows;
            await using (var connection = await db.OpenAsync(cancellationToken))
                rows = await EventPublisher.ReadStoredAsync(connection, after, before, 500, cancellationToken);
            foreach (var (seq, text) in rows)
                if (StreamMessage.Parse(EventPublisher.WithSequence(text, seq)) is { } message)
                    yield return message;
            if (rows.Count == 0)
                yield break;
            after = rows[^1].Seq;
        }
    }
}
