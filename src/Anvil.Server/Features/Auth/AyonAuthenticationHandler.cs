using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// AYON's credential rules: an API key in <c>X-Api-Key</c> or <c>Authorization: ApiKey</c>; a session
/// token as <c>Authorization: Bearer</c>, the <c>accessToken</c> cookie or <c>?token=</c>. An API key
/// sent as Bearer is not a session and fails (the client relies on that to detect API keys).
/// <c>X-As-User</c> is honoured for service users only. An API key's scope and rate limit travel on the
/// <see cref="CurrentUser"/>; <see cref="ApiKeyPolicy"/> enforces them.
/// </summary>
public sealed class AyonAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    UserStore users,
    SessionStore sessions,
    AuthCache cache,
    AddonHostKey hostKey,
    AyonOptions options,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "Ayon";
    const string FailureKey = "anvil.authFailure";

    /// <summary>Last recorded use per API key, so a busy key writes <c>last_used_at</c> once a minute, not per request.</summary>
    static readonly ConcurrentDictionary<Guid, long> ApiKeyLastTouch = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers[AddonHostKey.Header].ToString() is { Length: > 0 } presentedHostKey)
            return await AddonHostAsync(presentedHostKey);
        var (credential, kind) = ReadCredential(Request);
        if (credential is null)
            return AuthenticateResult.NoResult();

        UserRecord? user;
        string? token = null;
        ApiKeyRecord? apiKey = null;
        if (kind == CredentialKind.ApiKey)
        {
            var match = await ApiKeyAsync(Secrets.HashApiKey(credential, options.AuthPassPepper));
            // The query refuses expired keys; a cached key is refused here once its time has come.
            if (match is null || match.Key.ExpiresAt <= clock.GetUtcNow())
                return Failure("Invalid API key");
            (user, apiKey) = (match.User, match.Key);
            RecordApiKeyUse(apiKey.Id);
        }
        else
        {
            var session = credential.Length == 64 ? await SessionAsync(credential) : null;
            if (session is null)
                return Failure("Invalid session token, or the session has expired");
            user = await UserAsync(session.UserName);
            token = credential;
        }
        if (user is null || !user.Active)
            return Failure("User is not active");

        var current = new CurrentUser(user, kind, token) { ApiKey = apiKey };
        var asUser = Request.Headers["X-As-User"].ToString();
        if (asUser.Length > 0 && user.IsService && !string.Equals(asUser, user.Name, StringComparison.OrdinalIgnoreCase))
        {
            var target = await UserAsync(asUser);
            if (target is null || !target.Active)
                throw new Forbidden($"X-As-User: there is no active user '{asUser}'");
            // The key's scope and rate limit follow the key, not the user it acts as.
            current = current with { User = target, ServiceUser = user.Name };
        }
        current.AttachTo(Context);

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, current.Name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The addon host calling back: as the forwarded user (X-As-User), or as its own service identity.</summary>
    async Task<AuthenticateResult> AddonHostAsync(string presentedKey)
    {
        if (!hostKey.Matches(presentedKey))
            return Failure("Invalid addon host key");
        var current = new CurrentUser(AddonHostKey.ServiceUser, CredentialKind.ApiKey, null);
        var asUser = Request.Headers["X-As-User"].ToString();
        if (asUser.Length > 0)
        {
            var target = await UserAsync(asUser);
            if (target is null || !target.Active)
                throw new Forbidden($"X-As-User: there is no active user '{asUser}'");
            current = current with { User = target, ServiceUser = AddonHostKey.ServiceUserName };
        }
        current.AttachTo(Context);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, current.Name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    Task<ApiKeyMatch?> ApiKeyAsync(string keyHash) =>
        cache.ApiKeys.GetOrLoadAsync(keyHash, (users, keyHash, Context.RequestAborted), static async state =>
            await state.users.GetByApiKeyHashAsync(state.keyHash, state.RequestAborted) is { } match ? new ApiKeyMatch(AuthCache.Settled(match.User), match.Key) : null).AsTask();

    Task<UserRecord?> UserAsync(string name) =>
        cache.Users.GetOrLoadAsync(name.ToLowerInvariant(), (users, name, Context.RequestAborted), static async state =>
            await state.users.GetAsync(state.name, state.RequestAborted) is { } user ? AuthCache.Settled(user) : null).AsTask();

    Task<SessionInfo?> SessionAsync(string token)
    {
        var hash = Secrets.Sha256Hex(token);
        return cache.Sessions.GetOrLoadAsync(hash, (sessions, hash), static state => state.sessions.GetByHashAsync(state.hash)).AsTask();
    }

    static (string? Credential, CredentialKind Kind) ReadCredential(HttpRequest request)
    {
        var apiKey = request.Headers["X-Api-Key"].ToString();
        if (apiKey.Length > 0)
            return (apiKey, CredentialKind.ApiKey);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase))
            return (authorization["ApiKey ".Length..].Trim(), CredentialKind.ApiKey);
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return (authorization["Bearer ".Length..].Trim(), CredentialKind.Session);
        if (request.Cookies["accessToken"] is { Length: > 0 } cookie)
            return (cookie, CredentialKind.Session);
        if (request.Query["token"].ToString() is { Length: > 0 } query)
            return (query, CredentialKind.Session);
        return (null, CredentialKind.Session);
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

    AuthenticateResult Failure(string message)
    {
        Context.Items[FailureKey] = message;
        return AuthenticateResult.Fail(message);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ErrorResponse.WriteAsync(Context, new Unauthorized(Context.Items[FailureKey] as string ?? "Not logged in"));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorResponse.WriteAsync(Context, new Forbidden());
}
