using GraphQL.DataLoader;

namespace Anvil.Server.GraphQL;

/// <summary>
/// A per-request batch loader: resolvers ask for keys (<see cref="Load"/>) and get a deferred result;
/// GraphQL.NET completes every deferred result of a level after the level's resolvers ran, so the
/// first one to be awaited fetches every key asked for so far with one call of <c>fetch</c>.
/// Keys fetched once are remembered for the rest of the request.
/// </summary>
public sealed class BatchLoader<TKey, TValue>(Func<IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> fetch, TValue missing)
    where TKey : notnull
{
    readonly Dictionary<TKey, TValue> _loaded = [];
    readonly HashSet<TKey> _pending = [];
    readonly SemaphoreSlim _gate = new(1, 1);

    public IDataLoaderResult<TValue> Load(TKey key)
    {
        lock (_pending)
        {
            if (!_loaded.ContainsKey(key))
                _pending.Add(key);
        }
        return new Deferred(this, key);
    }

    async Task<TValue> GetAsync(TKey key, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            lock (_pending)
                if (_loaded.TryGetValue(key, out var known))
                    return known;
            TKey[] keys;
            lock (_pending)
            {
                _pending.Add(key);
                keys = [.. _pending];
                _pending.Clear();
            }
            var fetched = await fetch(keys, cancellationToken);
            lock (_pending)
            {
                foreach (var k in keys)
                    _loaded[k] = fetched.TryGetValue(k, out var value) ? value : missing;
                return _loaded[key];
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    sealed class Deferred(BatchLoader<TKey, TValue> loader, TKey key) : IDataLoaderResult<TValue>
    {
        public Task<TValue> GetResultAsync(CancellationToken cancellationToken = default) => loader.GetAsync(key, cancellationToken);

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}
