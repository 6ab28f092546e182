using System.Collections.Concurrent;
using Anvil.Server.Hosting;
using StackExchange.Redis;

namespace Anvil.Server.Messaging;

/// <summary>
/// Keeps the process-local caches (<see cref="SharedCache{TValue}"/>) of every instance in step. Whoever
/// changes what a cache holds calls <see cref="InvalidateAsync"/> after the commit: this instance drops
/// its copy, publishes the cache's name on Redis, and waits until every subscribed instance has
/// acknowledged dropping its own (at most <see cref="AckBudget"/>). So when the request that made the
/// change answers, no instance serves the old value any more: a revoked key or an ended session fails
/// at once everywhere. While this instance is not subscribed (Redis away), its caches are off: it could
/// not hear the others' changes.
/// </summary>
public sealed class CacheInvalidation : IHostedService
{
    /// <summary>The longest a change waits for the other instances' acknowledgements before it answers anyway.</summary>
    static readonly TimeSpan AckBudget = TimeSpan.FromSeconds(2);

    /// <summary>The name that drops every cache (a restart request).</summary>
    public const string All = "*";

    readonly Redis _redis;
    readonly ILogger<CacheInvalidation> _logger;
    readonly RedisChannel _requests;
    readonly RedisChannel _acks;
    readonly ConcurrentDictionary<string, List<Action>> _drops = new();
    readonly ConcurrentDictionary<string, PendingAck> _pending = new();
    readonly CancellationTokenSource _stopping = new();
    volatile bool _listening;
    volatile bool _subscribed;

    public CacheInvalidation(Redis redis, AyonOptions options, ILogger<CacheInvalidation> logger)
    {
        _redis = redis;
        _logger = logger;
        _requests = RedisChannel.Literal(options.RedisKeyPrefix + "cache-invalidate");
        _acks = RedisChannel.Literal(options.RedisKeyPrefix + "cache-invalidated");
    }

    /// <summary>True while this instance hears the others' invalidations; caches serve nothing otherwise.</summary>
    public bool Listening => _listening;

    /// <summary>Registers what dropping the cache <paramref name="name"/> means here (several caches may share a name).</summary>
    public void Register(string name, Action drop)
    {
        var drops = _drops.GetOrAdd(name, _ => []);
        lock (drops)
            drops.Add(drop);
    }

    /// <summary>
    /// Drops the cache <paramref name="name"/> (or <see cref="All"/>) here and on every instance, and returns
    /// once they have all done it. Call it after the change is committed.
    /// </summary>
    public async Task InvalidateAsync(string name)
    {
        Drop(name);
        if (!_redis.Connection.IsConnected)
        {
            // The others cannot hear this instance either way; those cut off too have their caches off.
            _logger.LogWarning("Could not tell the other instances to drop the cache {Cache}: Redis does not answer", name);
            return;
        }
        var id = Guid.NewGuid().ToString("N");
        var pending = _pending[id] = new PendingAck();
        try
        {
            var receivers = await _redis.Connection.GetSubscriber().PublishAsync(_requests, $"{id} {name}").WaitAsync(AckBudget);
            if (!await pending.WaitAsync((int)receivers, AckBudget))
                _logger.LogWarning("Not every instance acknowledged dropping the cache {Cache} within {Budget} s", name, AckBudget.TotalSeconds);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Instances that cannot hear this are not listening, so their caches are off.
            _logger.LogWarning("Could not tell the other instances to drop the cache {Cache}: {Error}", name, e.Message);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    void Drop(string name)
    {
        foreach (var (cache, drops) in _drops)
        {
            if (name != All && cache != name)
                continue;
            lock (drops)
                foreach (var drop in drops)
                    drop();
        }
    }

    /// <summary>Subscribes in the background: a server must start (and serve, uncached) while Redis is away.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var connection = _redis.Connection;
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
                SetListening(false);
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription && _subscribed)
                SetListening(true);
        };
        _ = SubscribeAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var subscriber = _redis.Connection.GetSubscriber();
                (await subscriber.SubscribeAsync(_requests)).OnMessage(OnRequest);
                (await subscriber.SubscribeAsync(_acks)).OnMessage(OnAck);
                _subscribed = true;
                SetListening(subscriber.IsConnected(_requests));
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _logger.LogWarning("Caches are off until Redis answers: {Error}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    /// <summary>Whatever was missed while not listening may be stale: every transition drops everything.</summary>
    void SetListening(bool listening)
    {
        _listening = listening;
        Drop(All);
    }

    void OnRequest(ChannelMessage message)
    {
        var text = message.Message.ToString();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
            return;
        Drop(text[(space + 1)..]);
        _redis.Connection.GetSubscriber().Publish(_acks, text[..space], CommandFlags.FireAndForget);
    }

    void OnAck(ChannelMessage message)
    {
        if (_pending.TryGetValue(message.Message.ToString(), out var pending))
            pending.Add();
    }

    /// <summary>Acknowledgements counted for one invalidation; the number expected is known only once PUBLISH answers.</summary>
    sealed class PendingAck
    {
        readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int _received;
        int _expected = int.MaxValue;

        public void Add()
        {
            Interlocked.Increment(ref _received);
            Check();
        }

        public async Task<bool> WaitAsync(int expected, TimeSpan budget)
        {
            Volatile.Write(ref _expected, expected);
            Check();
            try
            {
                await _done.Task.WaitAsync(budget);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        void Check()
        {
            if (Volatile.Read(ref _received) >= Volatile.Read(ref _expected))
                _done.TrySetResult();
        }
    }
}
