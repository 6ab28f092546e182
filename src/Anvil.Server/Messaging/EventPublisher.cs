using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;
using StackExchange.Redis;

namespace Anvil.Server.Messaging;

/// <summary>
/// Publishes the outbox (<c>event_stream</c>) on Redis. Runs in every instance; one at a time does
/// the work (a PostgreSQL advisory lock). It numbers committed rows in the order it finds them
/// (<c>seq</c>, strictly increasing, so a row that becomes visible never has a smaller number than one
/// already visible) and publishes them in that order, moving a watermark after each batch. Woken by
/// local commits, by NOTIFY from any instance's commits, and once a second regardless, so messages
/// held back while Redis was away go out when it returns.
/// </summary>
public sealed class EventPublisher(Db db, Redis redis, AyonOptions options, ILogger<EventPublisher> logger) : BackgroundService
{
    const long LockKey = 0x616e76696c_707562; // "anvil pub"
    const int BatchSize = 1000;
    static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    static readonly TimeSpan LockBusyRetry = TimeSpan.FromMilliseconds(10);
    static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    DateTimeOffset _lastCleanup = DateTimeOffset.MinValue;

    /// <summary>Asks for a publishing round soon (after a local commit that wrote to the outbox).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = ListenAsync(stoppingToken);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Another instance is publishing: its round may have begun before the commit that woke
                // this one, so try again shortly rather than at the next poll (commits of this instance
                // send no NOTIFY to wake that one). A few times, backing off: a holder busy for longer
                // is woken again by the next commit anyway.
                var retry = LockBusyRetry;
                for (var attempt = 0; await PumpAsync(stoppingToken) == PumpResult.LockBusy && attempt < 5; attempt++)
                {
                    await Task.Delay(retry, stoppingToken);
                    retry *= 2;
                }
                failures = 0;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                if (failures is 1 or 10 or 100 || failures % 1000 == 0)
                    logger.LogWarning("Publishing events failed ({Failures} times in a row), retrying: {Error}", failures, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * failures)), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(Poll);
            try
            {
                await _wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
        await listener;
    }

    /// <summary>LISTENs for commits of other instances (and of in-transaction dispatches here).</summary>
    async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenUnpooledAsync(stoppingToken);
                connection.Notification += (_, _) => Wake();
                await connection.ExecuteAsync("LISTEN anvil_event_stream");
                Wake();
                while (!stoppingToken.IsCancellationRequested)
                    await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogDebug("Event notification listener failed, reconnecting: {Error}", e.Message);
                await Task.Delay(Poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    internal enum PumpResult { Published, LockBusy, RedisAway }

    /// <summary>One round: number and publish everything committed so far.</summary>
    internal async Task<PumpResult> PumpAsync(CancellationToken cancellationToken)
    {
        // Without Redis this instance cannot publish: leave the work to an instance that can (or to
        // this one, once Redis is back; the outbox keeps everything until then).
        if (!redis.Connection.IsConnected)
            return PumpResult.RedisAway;
        await using var connection = await db.OpenAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key = LockKey }))
            return PumpResult.LockBusy;
        try
        {
            // A full batch means there may be more; anything committed after this round sends a NOTIFY.
            while (await NumberAsync(connection, cancellationToken) + await PublishAsync(connection, cancellationToken) > 0
                   && (_lastNumbered == BatchSize || _lastPublished >= BatchSize))
            {
            }
            if (DateTimeOffset.UtcNow - _lastCleanup > TimeSpan.FromMinutes(10))
            {
                _lastCleanup = DateTimeOffset.UtcNow;
                await connection.ExecuteAsync("""
                    DELETE FROM event_stream
                    WHERE seq + message_count - 1 <= (SELECT published_seq FROM event_stream_state WHERE id = 1)
                      AND created_at < now() - make_interval(secs => @seconds)
                    """, new { seconds = Retention.TotalSeconds });
            }
            return PumpResult.Published;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = LockKey });
        }
    }

    int _lastNumbered;
    int _lastPublished;

    /// <summary>
    /// Numbers the committed rows that have no seq yet, in id order, continuing the sequence without
    /// gaps: a row of n messages takes n positions, seq being its first.
    /// </summary>
    async Task<int> NumberAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        _lastNumbered = await connection.ExecuteAsync(new CommandDefinition("""
            WITH pending AS (
                SELECT id, message_count, sum(message_count) OVER (ORDER BY id) - message_count AS before
                FROM event_stream
                WHERE seq IS NULL
                ORDER BY id
                LIMIT @limit
            ), state AS (
                UPDATE event_stream_state
                SET assigned_seq = assigned_seq + (SELECT sum(message_count) FROM pending)
                WHERE id = 1 AND EXISTS (SELECT FROM pending)
                RETURNING assigned_seq - (SELECT sum(message_count) FROM pending) AS start
            )
            UPDATE event_stream s
            SET seq = state.start + pending.before + 1
            FROM pending, state
            WHERE s.id = pending.id
            """, new { limit = BatchSize }, cancellationToken: cancellationToken));
        return _lastNumbered;
    }

    async Task<int> PublishAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var published = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT published_seq FROM event_stream_state WHERE id = 1", cancellationToken: cancellationToken));
        Task[] sends;
        PooledBuffer sequenced;
        long last;
        using (var stored = await ReadStoredUtf8Async(connection, published, long.MaxValue, BatchSize, cancellationToken))
        {
            var rows = stored.Messages;
            _lastPublished = rows.Count;
            if (rows.Count == 0)
                return 0;
            last = rows[^1].Seq;
            // Every message with its position, side by side in one pooled array (no array per message),
            // sized up front so the slices handed to Redis stay where they are.
            var size = 0;
            foreach (var (_, message) in rows)
                size += message.Length + SequenceRoom;
            sequenced = new PooledBuffer(size);
            var span = sequenced.GetSpan(size);
            var written = 0;
            var lengths = new int[rows.Count];
            for (var i = 0; i < rows.Count; i++)
                written += lengths[i] = WriteWithSequence(rows[i].Message.Span, rows[i].Seq, span[written..]);
            sequenced.Advance(written);
            var channel = RedisChannel.Literal(options.RedisChannel);
            var subscriber = redis.Connection.GetSubscriber();
            // One connection keeps the order; the batch is pipelined, then confirmed before the watermark moves.
            sends = new Task[rows.Count];
            var start = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                sends[i] = subscriber.PublishAsync(channel, sequenced.WrittenMemory.Slice(start, lengths[i]));
                start += lengths[i];
            }
        }
        await Task.WhenAll(sends);
        // Only once every send is done: a failed round leaves the array to the collector, as a send
        // given up on may still sit in the Redis client's queue.
        sequenced.Dispose();
        Observability.AnvilMetrics.EventsPublished.Inc(sends.Length);
        // Losing this write in a crash only means publishing the batch again, and receivers drop
        // repeats by seq: it need not wait for the disk.
        await connection.ExecuteAsync(new CommandDefinition("""
            BEGIN;
            SET LOCAL synchronous_commit TO off;
            UPDATE event_stream_state SET published_seq = @seq WHERE id = 1;
            COMMIT;
            """, new { seq = last }, cancellationToken: cancellationToken));
        return sends.Length;
    }

    /// <summary>
    /// The stored messages after stream position <paramref name="after"/> and before
    /// <paramref name="before"/>, in order: whole outbox rows, until at least <paramref name="limit"/>
    /// messages (when there are that many); with <paramref name="origin"/>, only those written by that
    /// instance (<see cref="AyonOptions.InstanceId"/>).
    /// </summary>
    internal static async Task<List<(long Seq, string Message)>> ReadStoredAsync(NpgsqlConnection connection, long after, long before, int limit, CancellationToken cancellationToken,
        string? origin = null)
    {
        using var stored = await ReadStoredUtf8Async(connection, after, before, limit, cancellationToken, origin);
        return [.. stored.Messages.Select(m => (m.Seq, Encoding.UTF8.GetString(m.Message.Span)))];
    }

    /// <summary>
    /// As <see cref="ReadStoredAsync"/>, each message the UTF-8 bytes of its row (a slice, not a copy,
    /// of a pooled array that disposing gives back): what the publisher sends, without turning a bulk
    /// write's rows (hundreds of kilobytes each) into strings, a document, a string per message, or a
    /// large-object array per row.
    /// </summary>
    internal static async Task<StoredMessages> ReadStoredUtf8Async(NpgsqlConnection connection, long after, long before, int limit,
        CancellationToken cancellationToken, string? origin = null)
    {
        // One plan, the prepared statement's generic one (the same index range): left to choose,
        // PostgreSQL planned the read for its values at every publisher round, 0.26 ms for a 0.02 ms read
        // (the planner probes the index for the newest seq, which the read's lower bound sits at).
        await using var command = new NpgsqlCommand($"""
            BEGIN;
            SET LOCAL plan_cache_mode = force_generic_plan;
            SELECT seq, convert_to(messages, 'UTF8') FROM (
                SELECT seq, messages, message_count, sum(message_count) OVER (ORDER BY seq) AS upto
                FROM (
                    SELECT seq, messages, message_count FROM event_stream
                    WHERE seq + message_count - 1 > @after AND seq < @before {(origin is null ? "" : "AND origin = @origin")}
                    ORDER BY seq + message_count - 1
                    LIMIT @limit
                ) candidates
            ) counted
            WHERE upto - message_count < @limit
            ORDER BY seq;
            COMMIT;
            """, connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("limit", limit);
        if (origin is not null)
            command.Parameters.AddWithValue("origin", origin);
        var stored = new StoredMessages();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var position = reader.GetInt64(0);
                var length = (int)reader.GetBytes(1, 0, null, 0, 0);
                var row = stored.Rent(length);
                reader.GetBytes(1, 0, row, 0, length);
                // The row is a JSON array of messages (made by the server's JSON writer): each
                // top-level element is cut out as it stands.
                var json = new Utf8JsonReader(row.AsSpan(0, length));
                json.Read();
                while (json.Read() && json.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)json.TokenStartIndex;
                    json.Skip();
                    if (position > after && position < before)
                        stored.Messages.Add((position, row.AsMemory(start, (int)json.BytesConsumed - start)));
                    position++;
                }
            }
            return stored;
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    /// <summary>Messages read from the outbox: slices of pooled arrays, given back on <see cref="Dispose"/> (after which nothing may read them).</summary>
    internal sealed class StoredMessages : IDisposable
    {
        readonly List<byte[]> _rows = [];

        public List<(long Seq, ReadOnlyMemory<byte> Message)> Messages { get; } = [];

        internal byte[] Rent(int length)
        {
            var row = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
            _rows.Add(row);
            return row;
        }

        public void Dispose()
        {
            foreach (var row in _rows)
                System.Buffers.ArrayPool<byte>.Shared.Return(row);
            _rows.Clear();
            Messages.Clear();
        }
    }

    /// <summary>As <see cref="WithSequence(ReadOnlySpan{byte}, long)"/>, for a message as text (the replays, not the publisher's path).</summary>
    public static string WithSequence(string message, long seq) => Encoding.UTF8.GetString(WithSequence(Encoding.UTF8.GetBytes(message), seq));

    /// <summary>The stored message (UTF-8) with its stream position as the first member, <c>"sequence"</c>.</summary>
    public static byte[] WithSequence(ReadOnlySpan<byte> message, long seq)
    {
        Span<byte> joined = new byte[message.Length + SequenceRoom];
        return joined[..WriteWithSequence(message, seq, joined)].ToArray();
    }

    /// <summary>What <see cref="WriteWithSequence"/> may add to a message, at most.</summary>
    const int SequenceRoom = 13 + 20 + 1;

    /// <summary>
    /// Writes <see cref="WithSequence(ReadOnlySpan{byte}, long)"/> into <paramref name="destination"/>
    /// (at least <see cref="SequenceRoom"/> bytes longer than the message) and answers its length.
    /// </summary>
    static int WriteWithSequence(ReadOnlySpan<byte> message, long seq, Span<byte> destination)
    {
        // {"sequence": N, …rest of the message} (or {"sequence": N} for an empty one), written in place.
        ReadOnlySpan<byte> prefix = "{\"sequence\": "u8;
        prefix.CopyTo(destination);
        seq.TryFormat(destination[prefix.Length..], out var length, default, CultureInfo.InvariantCulture);
        var rest = destination[(prefix.Length + length)..];
        if (message.Length <= 2)
        {
            rest[0] = (byte)'}';
            return prefix.Length + length + 1;
        }
        rest[0] = (byte)',';
        rest[1] = (byte)' ';
        message[1..].CopyTo(rest[2..]);
        return prefix.Length + length + 2 + message.Length - 1;
    }
}
