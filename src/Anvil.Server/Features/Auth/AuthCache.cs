using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Auth;

/// <summary>An API key as authentication needs it: its owner and its settings.</summary>
public sealed class ApiKeyMatch(UserRecord user, ApiKeyRecord key)
{
    public UserRecord User { get; } = user;
    public ApiKeyRecord Key { get; } = key;

    /// <summary>
    /// The key's own identity (no <c>X-As-User</c>), made once per cached key rather than per request:
    /// it lives exactly as long as this entry, so a change of the key or its user drops it too.
    /// </summary>
    internal CredentialResult Resolved { get; } = new(new CurrentUser(user, CredentialKind.ApiKey, null) { ApiKey = key }, null);
}

/// <summary>
/// What authentication reads on every request, kept in this process so that a request with known
/// credentials reaches PostgreSQL and Redis only now and then: API keys (by hash) with their users,
/// users by name (sessions and X-As-User) and sessions (by token hash). Any change of a user or a key
/// calls <see cref="UsersChangedAsync"/> after its commit; any ended session
/// <see cref="SessionsChangedAsync"/>: both return once every instance has dropped its copies (see
/// <see cref="CacheInvalidation"/>). An expired key is refused by time, cached or not; a cached session
/// is checked against Redis (sliding its expiry) after a tenth of its time to live at most, so the cache
/// never outlives it.
/// </summary>
public sealed class AuthCache
{
    /// <summary>The name under which user changes (renames, deletes, rights) drop caches.</summary>
    public const string UsersName = "users";
    const string SessionsName = "sessions";

    readonly CacheInvalidation _invalidation;

    public AuthCache(CacheInvalidation invalidation, AyonOptions options)
    {
        _invalidation = invalidation;
        var lifetime = TimeSpan.FromSeconds(options.CacheTtl);
        ApiKeys = new(invalidation, UsersName, lifetime);
        Users = new(invalidation, UsersName, lifetime);
        var sessionRecheck = TimeSpan.FromSeconds(Math.Min(SessionRecheckSeconds, options.SessionTtl / 10.0));
        Sessions = new(invalidation, SessionsName, sessionRecheck < lifetime ? sessionRecheck : lifetime);
    }

    /// <summary>The longest a session is trusted without asking Redis (which also slides its expiry).</summary>
    const double SessionRecheckSeconds = 30;

    /// <summary>API keys by the hash of the key.</summary>
    public SharedCache<ApiKeyMatch> ApiKeys { get; }

    /// <summary>Users by lower-cased name.</summary>
    public SharedCache<UserRecord> Users { get; }

    /// <summary>Sessions by the SHA-256 of the token.</summary>
    public SharedCache<SessionInfo> Sessions { get; }

    /// <summary>A user or an API key changed (any field: its data shows in responses); call after the commit.</summary>
    public Task UsersChangedAsync() => _invalidation.InvalidateAsync(UsersName);

    /// <summary>Sessions ended; call after they are gone from Redis.</summary>
    public Task SessionsChangedAsync() => _invalidation.InvalidateAsync(SessionsName);

    /// <summary>The record with its JSON parsed through (<see cref="AyonJson.Settle"/>), ready to be shared.</summary>
    public static UserRecord Settled(UserRecord user)
    {
        AyonJson.Settle(user.Attrib);
        AyonJson.Settle(user.Data);
        return user;
    }
}
