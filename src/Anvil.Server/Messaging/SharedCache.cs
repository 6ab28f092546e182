using System.Collections.Concurrent;

namespace Anvil.Server.Messaging;

/// <summary>
/// A process-local cache of values read from PostgreSQL or Redis, dropped on every instance at once
/// through <see cref="CacheInvalidation"/> whenever what it holds changes. An entry also ends after
/// <c>lifetime</c>, which bounds the damage of a change written behind the server's back or of an
/// invalidation lost with Redis. A read that began before an invalidation never stores its (possibly
/// old) value after it: each store checks the generation the read started in.
/// </summary>
public sealed class SharedCache<TValue> where TValue : class
{
    readonly CacheInvalidation _invalidation;
    readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    readonly long _lifetimeMs;
    readonly Lock _sync = new();
    long _generation;
    int _storesSinceSweep;

    const int SweepThreshold = 4096;

    readonly record struct Entry(TValue Value, long ExpiresAtMs);

    readonly Prometheus.Counter.Child _hits, _misses;

    /// <param name="invalidation">The bus that drops this cache on every instance.</param>
    /// <param name="name">The invalidation name: changes announced under it drop this cache.</param>
    /// <param name="lifetime">The longest an entry is served; zero or less turns the cache off.</param>
    public SharedCache(CacheInvalidation invalidation, string name, TimeSpan lifetime)
    {
        _invalidation = invalidation;
        _lifetimeMs = (long)lifetime.TotalMilliseconds;
        _hits = Observability.AnvilMetrics.CacheLookups.WithLabels(name, "hit");
        _misses = Observability.AnvilMetrics.CacheLookups.WithLabels(name, "miss");
        invalidation.Register(name, Clear);
    }

    bool Enabled => _lifetimeMs > 0 && _invalidation.Listening;

    /// <summary>The value under <paramref name="key"/>, read by <paramref name="load"/> unless cached; null values are not cached.</summary>
    public async ValueTask<TValue?> GetOrLoadAsync<TState>(string key, TState state, Func<TState, Task<TValue?>> load)
    {
        if (TryGet(key, out var cached))
            return cached;
        var generation = Volatile.Read(ref _generation);
        var value = await load(state);
        if (value is not null)
            Store(key, value, generation);
        return value;
    }

    public bool TryGet(string key, out TValue value)
    {
        if (Enabled && _entries.TryGetValue(key, out var entry) && entry.ExpiresAtMs > Environment.TickCount64)
        {
            value = entry.Value;
            _hits.Inc();
            return true;
        }
        _misses.Inc();
        value = null!;
        return false;
    }

    /// <summary>The generation to pass to <see cref="Store"/> for a value about to be read.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Keeps a value read during <paramref name="generation"/>, unless the cache was dropped since.</summary>
    public void Store(string key, TValue value, long generation)
    {
        if (!Enabled)
            return;
        lock (_sync)
        {
            if (generation != _generation)
                return;
            var now = Environment.TickCount64;
            // Entries end by time but leave only when dropped: a large cache sheds its dead ones now and then.
            if (_entries.Count >= SweepThreshold && ++_storesSinceSweep >= SweepThreshold / 4)
            {
                _storesSinceSweep = 0;
                foreach (var (oldKey, old) in _entries)
                    if (old.ExpiresAtMs <= now)
                        _entries.TryRemove(oldKey, out _);
            }
            _entries[key] = new Entry(value, now + _lifetimeMs);
        }
    }

    /// <summary>Forgets one entry here only (another instance's copy is untouched).</summary>
    public void Remove(string key) => _entries.TryRemove(key, out _);

    /// <summary>Drops every entry here; <see cref="CacheInvalidation"/> calls it on every instance.</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _generation++;
            _entries.Clear();
        }
    }
}
