using System.Collections.Concurrent;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Auth;

/// <summary>What a credential resolved to: the user, or why not.</summary>
public sealed record CredentialResult(CurrentUser? User, string? Failure);

/// <summary>
/// The one place a credential becomes a <see cref="CurrentUser"/>, for HTTP
/// (<see cref="AyonAuthenticationHandler"/>) and the websocket (<c>/ws</c>) alike: API keys, sessions
/// and users from <see cref="AuthCache"/>, expiry by time, inactive users refused, and
/// <c>X-As-User</c> honoured for service users only.
/// </summary>
public sealed class CredentialResolver(UserStore users, SessionStore sessions, AuthCache cache, AddonHostKey hostKey, AyonOptions options, TimeProvider clock)
{
    /// <summary>Last recorded use per API key, so a busy key writes <c>last_used_at</c> once a minute, not per request.</summary>
    static readonly ConcurrentDictionary<Guid, long> ApiKeyLastTouch = new();

    /// <summary>
    /// Resolves a credential of a known kind. Throws <see cref="Forbidden"/> when <paramref name="asUser"/>
    /// names no active user.
    /// </summary>
    public async Task<CredentialResult> ResolveAsync(string credential, CredentialKind kind, string? asUser, CancellationToken cancellationToken)
    {
        UserRecord? user;
        string? token = null;
        ApiKeyRecord? apiKey = null;
        if (kind == CredentialKind.ApiKey)
        {
            var match = await ApiKeyAsync(Secrets.HashApiKey(credential, options.AuthPassPepper), cancellationToken);
            // The query refuses expired keys; a cached key is refused here once its time has come.
            if (match is null || match.Key.ExpiresAt <= clock.GetUtcNow())
                return new(null, "Invalid API key");
            (user, apiKey) = (match.User, match.Key);
            RecordApiKeyUse(apiKey.Id);
        }
        else
        {
            var session = credential.Length == 64 ? await SessionAsync(credential) : null;
            if (session is null)
                return new(null, "Invalid session token, or the session has expired");
            user = await UserAsync(session.UserName, cancellationToken);
            token = credential;
        }
        if (user is null || !user.Active)
            return new(null, "User is not active");

        var current = new CurrentUser(user, kind, token) { ApiKey = apiKey };
        if (!string.IsNullOrEmpty(asUser) && user.IsService && !string.Equals(asUser, user.Name, StringComparison.OrdinalIgnoreCase))
        {
            var target = await UserAsync(asUser, cancellationToken);
            if (target is null || !target.Active)
                throw new Forbidden($"X-As-User: there is no active user '{asUser}'");
            // The key's scope and rate limit follow the key, not the user it acts as.
            current = current with { User = target, ServiceUser = user.Name };
        }
        return new(current, null);
    }

    /// <summary>The addon host calling back: as the forwarded user (<c>X-As-User</c>), or as its own service identity.</summary>
    public async Task<CredentialResult> ResolveAddonHostAsync(string presentedKey, string? asUser, CancellationToken cancellationToken)
    {
        if (!hostKey.Matches(presentedKey))
            return new(null, "Invalid addon host key");
        var current = new CurrentUser(AddonHostKey.ServiceUser, CredentialKind.ApiKey, null);
        if (!string.IsNullOrEmpty(asUser))
        {
            var target = await UserAsync(asUser, cancellationToken);
            if (target is null || !target.Active)
                throw new Forbidden($"X-As-User: there is no active user '{asUser}'");
            current = current with { User = target, ServiceUser = AddonHostKey.ServiceUserName };
        }
        return new(current, null);
    }

    /// <summary>
    /// Resolves a bare token (the websocket's <c>auth</c> message carries no kind): a session token
    /// when one is live under it, else an API key.
    /// </summary>
    public async Task<CredentialResult> ResolveTokenAsync(string token, string? asUser, CancellationToken cancellationToken)
    {
        if (token.Length == 64 && await SessionAsync(token) is not null)
            return await ResolveAsync(token, CredentialKind.Session, asUser, cancellationToken);
        return await ResolveAsync(token, CredentialKind.ApiKey, asUser, cancellationToken);
    }

    Task<ApiKeyMatch?> ApiKeyAsync(string keyHash, CancellationToken cancellationToken) =>
        cache.ApiKeys.GetOrLoadAsync(keyHash, (users, keyHash, cancellationToken), static async state =>
            await state.users.GetByApiKeyHashAsync(state.keyHash, state.cancellationToken) is { } match ? new ApiKeyMatch(AuthCache.Settled(match.User), match.Key) : null).AsTask();

    Task<UserRecord?> UserAsync(string name, CancellationToken cancellationToken) =>
        cache.Users.GetOrLoadAsync(name.ToLowerInvariant(), (users, name, cancellationToken), static async state =>
            await state.users.GetAsync(state.name, state.cancellationToken) is { } user ? AuthCache.Settled(user) : null).AsTask();

    Task<SessionInfo?> SessionAsync(string token)
    {
        var hash = Secrets.Sha256Hex(token);
        return cache.Sessions.GetOrLoadAsync(hash, (sessions, hash), static state => state.sessions.GetByHashAsync(state.hash)).AsTask();
    }

    void RecordApiKeyUse(Guid keyId)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var last = ApiKeyLastTouch.GetValueOrDefault(keyId);
        if (now - last < 60 || !ApiKeyLastTouch.TryUpdate(keyId, now, last) && !ApiKeyLastTouch.TryAdd(keyId, now))
            return;
        // Bookkeeping, not part of the request: it must not run in the request's context (its trace, its cancellation).
        using (ExecutionContext.SuppressFlow())
            _ = Task.Run(() => users.TouchApiKeyAsync(keyId));
    }
}
