using System.Text.Json;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using StackExchange.Redis;

namespace Anvil.Server.Features.Auth;

/// <summary>What the server remembers of a login. Stored in Redis under the SHA-256 of the token, never the token.</summary>
public sealed record SessionInfo(string UserName, DateTimeOffset CreatedAt, string? ClientIp, string? UserAgent);

/// <summary>
/// Login sessions, shared by every instance through Redis. Each use slides the expiry (GETEX, one
/// round trip). A per-user set of session hashes lets every session of a user be ended at once.
/// Authentication keeps sessions it has read in <see cref="AuthCache"/>: ending sessions here drops
/// them there, on every instance, before the call returns.
/// </summary>
public sealed class SessionStore(Redis redis, AyonOptions options, TimeProvider clock, AuthCache cache)
{
    TimeSpan Ttl => TimeSpan.FromSeconds(options.SessionTtl);

    public async Task<string> CreateAsync(string userName, string? clientIp, string? userAgent)
    {
        var token = Secrets.NewToken();
        var hash = Secrets.Sha256Hex(token);
        var info = new SessionInfo(userName, clock.GetUtcNow(), clientIp, userAgent);
        var batch = redis.Database.CreateBatch();
        var set = batch.StringSetAsync(SessionKey(hash), JsonSerializer.Serialize(info, AyonJson.Options), Ttl);
        var index = batch.SetAddAsync(UserKey(userName), hash);
        var indexTtl = batch.KeyExpireAsync(UserKey(userName), Ttl);
        batch.Execute();
        await Task.WhenAll(set, index, indexTtl);
        return token;
    }

    /// <summary>The live session of a token, its expiry slid forward; null when unknown or expired.</summary>
    public Task<SessionInfo?> GetAsync(string token) => GetByHashAsync(Secrets.Sha256Hex(token));

    /// <summary>As <see cref="GetAsync"/>, by the SHA-256 of the token.</summary>
    public async Task<SessionInfo?> GetByHashAsync(string hash)
    {
        var value = await redis.Database.StringGetSetExpiryAsync(SessionKey(hash), Ttl);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<SessionInfo>(value.ToString(), AyonJson.Options);
    }

    public async Task DeleteAsync(string token)
    {
        var hash = Secrets.Sha256Hex(token);
        var key = SessionKey(hash);
        var value = await redis.Database.StringGetDeleteAsync(key);
        if (!value.IsNullOrEmpty && JsonSerializer.Deserialize<SessionInfo>(value.ToString(), AyonJson.Options) is { } info)
            await redis.Database.SetRemoveAsync(UserKey(info.UserName), hash);
        await cache.SessionsChangedAsync();
    }

    /// <summary>
    /// Ends every session of a user, on every instance (they all read the same Redis), but the one
    /// of <paramref name="keepToken"/> when given.
    /// </summary>
    public async Task DeleteAllAsync(string userName, string? keepToken = null)
    {
        var kept = keepToken is null ? null : Secrets.Sha256Hex(keepToken);
        var ended = (await redis.Database.SetMembersAsync(UserKey(userName))).Select(h => h.ToString()).Where(h => h != kept).ToList();
        if (kept is null)
            await redis.Database.KeyDeleteAsync([.. ended.Select(h => (RedisKey)SessionKey(h)), UserKey(userName)]);
        else if (ended.Count > 0)
        {
            await redis.Database.KeyDeleteAsync([.. ended.Select(h => (RedisKey)SessionKey(h))]);
            await redis.Database.SetRemoveAsync(UserKey(userName), [.. ended.Select(h => (RedisValue)h)]);
        }
        await cache.SessionsChangedAsync();
    }

    /// <summary>
    /// The live sessions of a user, each under an opaque id (a prefix of the SHA-256 of its token: it
    /// names the session, it cannot be used as one). Stale index entries are dropped on the way.
    /// </summary>
    public async Task<IReadOnlyList<(string Id, SessionInfo Info)>> ListAsync(string userName)
    {
        var hashes = (await redis.Database.SetMembersAsync(UserKey(userName))).Select(h => h.ToString()).ToArray();
        if (hashes.Length == 0)
            return [];
        var values = await redis.Database.StringGetAsync([.. hashes.Select(SessionKey)]);
        var result = new List<(string, SessionInfo)>();
        for (var i = 0; i < hashes.Length; i++)
        {
            if (values[i].IsNullOrEmpty)
            {
                await redis.Database.SetRemoveAsync(UserKey(userName), hashes[i]);
                continue;
            }
            if (JsonSerializer.Deserialize<SessionInfo>(values[i].ToString(), AyonJson.Options) is { } info)
                result.Add((SessionId(hashes[i]), info));
        }
        return [.. result.OrderBy(r => r.Item2.CreatedAt)];
    }

    /// <summary>Ends the session of a user with the given id (see <see cref="ListAsync"/>); false when there is none.</summary>
    public async Task<bool> DeleteByIdAsync(string userName, string id)
    {
        var hashes = await redis.Database.SetMembersAsync(UserKey(userName));
        var hash = hashes.Select(h => h.ToString()).FirstOrDefault(h => SessionId(h) == id);
        if (hash is null)
            return false;
        var deleted = await redis.Database.KeyDeleteAsync(SessionKey(hash));
        await redis.Database.SetRemoveAsync(UserKey(userName), hash);
        await cache.SessionsChangedAsync();
        return deleted;
    }

    /// <summary>The public id of a session: the first 32 hex digits of the token's hash.</summary>
    public static string SessionId(string hash) => hash[..32];

    /// <summary>The id of the session of a token.</summary>
    public static string SessionIdOfToken(string token) => SessionId(Secrets.Sha256Hex(token));

    RedisKey SessionKey(string hash) => redis.Key("session", hash);

    RedisKey UserKey(string userName) => redis.Key("user-sessions", userName.ToLowerInvariant());
}
