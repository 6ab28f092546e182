using System.Collections.Concurrent;
using System.Security.Claims;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Auth;

/// <summary>What a credential resolved to: the user, or why not.</summary>
public sealed class CredentialResult(CurrentUser? user, string? failure)
{
    ClaimsPrincipal? _principal;

    public CurrentUser? User { get; } = user;
    public string? Failure { get; } = failure;

    /// <summary>
    /// The user as ASP.NET's authorization sees it (an authenticated identity carrying the name), made
    /// when first asked: once per cached API key, not per request.
    /// </summary>
    public ClaimsPrincipal Principal => _principal ??= User is { } current
        ? new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, current.Name)], AyonAuthentication.SchemeName))
        : new ClaimsPrincipal(new ClaimsIdentity());
}

/// <summary>
/// The one place a credential becomes a <see cref="CurrentUser"/>, for HTTP
/// (<see cref="AyonAuthentication"/>) and the websocket (<c>/ws</c>) alike: API keys, sessions
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
    public ValueTask<CredentialResult> ResolveAsync(string credential, CredentialKind kind, string? asUser, CancellationToken cancellationToken)
    {
        if (kind != CredentialKind.ApiKey)
            return ResolveSessionAsync(credential, asUser, cancellationToken);
        // A known key costs a hash and a dictionary lookup, without an await: the common case of every
        // service and script polling with its key.
        var pending = ApiKeyAsync(Secrets.HashApiKey(credential, options.AuthPassPepper), cancellationToken);
        return pending.IsCompletedSuccessfully ? FromApiKeyAsync(pending.Result, asUser, cancellationToken) : AwaitApiKeyAsync(pending, asUser, cancellationToken);
    }

    async ValueTask<CredentialResult> AwaitApiKeyAsync(ValueTask<ApiKeyMatch?> pending, string? asUser, CancellationToken cancellationToken) =>
        await FromApiKeyAsync(await pending, asUser, cancellationToken);

    ValueTask<CredentialResult> FromApiKeyAsync(ApiKeyMatch? match, string? asUser, CancellationToken cancellationToken)
    {
        // The query refuses expired keys; a cached key is refused here once its time has come.
        if (match is null || match.Key.ExpiresAt <= clock.GetUtcNow())
            return ValueTask.FromResult(new CredentialResult(null, "Invalid API key"));
        RecordApiKeyUse(match.Key.Id);
        if (!match.User.Active)
            return ValueTask.FromResult(new CredentialResult(null, "User is not active"));
        if (!Impersonates(match.User, asUser))
            return ValueTask.FromResult(match.Resolved);
        return ActAsAsync(match.Resolved.User!, asUser!, match.User.Name, cancellationToken);
    }

    async ValueTask<CredentialResult> ResolveSessionAsync(string token, string? asUser, CancellationToken cancellationToken)
    {
        var session = token.Length == 64 ? await SessionAsync(token) : null;
        if (session is null)
            return new(null, "Invalid session token, or the session has expired");
        var user = await UserAsync(session.UserName, cancellationToken);
        if (user is null || !user.Active)
            return new(null, "User is not active");
        var current = new CurrentUser(user, CredentialKind.Session, token);
        return Impersonates(user, asUser) ? await ActAsAsync(current, asUser!, user.Name, cancellationToken) : new(current, null);
    }

    /// <summary>Whether <c>X-As-User</c> applies: a service user naming someone else.</summary>
    static bool Impersonates(UserRecord user, string? asUser) =>
        !string.IsNullOrEmpty(asUser) && user.IsService && !string.Equals(asUser, user.Name, StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="current"/> acting as <paramref name="asUser"/>; 403 when there is no such active user.</summary>
    async ValueTask<CredentialResult> ActAsAsync(CurrentUser current, string asUser, string serviceUser, CancellationToken cancellationToken)
    {
        var target = await UserAsync(asUser, cancellationToken);
        if (target is null || !target.Active)
            throw new Forbidden($"X-As-User: there is no active user '{asUser}'");
        // The key's scope and rate limit follow the key, not the user it acts as.
        return new(current with { User = target, ServiceUser = serviceUser }, null);
    }

    /// <summary>The addon host calling back: as the forwarded user (<c>X-As-User</c>), or as its own service identity.</summary>
    public ValueTask<CredentialResult> ResolveAddonHostAsync(string presentedKey, string? asUser, CancellationToken cancellationToken)
    {
        if (!hostKey.Matches(presentedKey))
            return ValueTask.FromResult(new CredentialResult(null, "Invalid addon host key"));
        var current = new CurrentUser(AddonHostKey.ServiceUser, CredentialKind.ApiKey, null);
        return string.IsNullOrEmpty(asUser)
            ? ValueTask.FromResult(new CredentialResult(current, null))
            : ActAsAsync(current, asUser, AddonHostKey.ServiceUserName, cancellationToken);
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

    ValueTask<ApiKeyMatch?> ApiKeyAsync(string keyHash, CancellationToken cancellationToken) =>
        cache.ApiKeys.GetOrLoadAsync(keyHash, (users, keyHash, cancellationToken), static async state =>
            await state.users.GetByApiKeyHashAsync(state.keyHash, state.cancellationToken) is { } match ? new ApiKeyMatch(AuthCache.Settled(match.User), match.Key) : null);

    ValueTask<UserRecord?> UserAsync(string name, CancellationToken cancellationToken) =>
        cache.Users.GetOrLoadAsync(name.ToLowerInvariant(), (users, name, cancellationToken), static async state =>
            await state.users.GetAsync(state.name, state.cancellationToken) is { } user ? AuthCache.Settled(user) : null);

    ValueTask<SessionInfo?> SessionAsync(string token)
    {
        var hash = Secrets.Sha256Hex(token);
        return cache.Sessions.GetOrLoadAsync(hash, (sessions, hash), static state => state.sessions.GetByHashAsync(state.hash));
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
