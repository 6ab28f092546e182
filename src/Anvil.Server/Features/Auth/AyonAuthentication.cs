using System.Collections.Concurrent;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Authorization;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// Authentication in the request pipeline, by AYON's credential rules: an API key in <c>X-Api-Key</c>
/// or <c>Authorization: ApiKey</c>; a session token as <c>Authorization: Bearer</c>, the
/// <c>accessToken</c> cookie or <c>?token=</c>; the addon host's own key. An API key sent as Bearer is
/// not a session and fails (the client relies on that to detect API keys). <see cref="CredentialResolver"/>
/// (shared with <c>/ws</c>) resolves the credential, honouring <c>X-As-User</c> for service users only;
/// the <see cref="CurrentUser"/> is attached; a request without a valid credential to an endpoint that
/// requires a login (<c>RequireAuthorization</c>, unless <c>AllowAnonymous</c>) is answered 401, with why
/// the credential failed; then <see cref="ApiKeyPolicy"/> applies an API key's rate limit and access.
/// </summary>
/// <remarks>
/// In place of ASP.NET's authentication and authorization middlewares, which make a handler, a ticket,
/// a principal and an authorization context for every request: here a known API key costs a hash and a
/// dictionary lookup, its identity and principal are made once per cached key (<see cref="ApiKeyMatch"/>),
/// and an endpoint's requirement is read once. The only requirement Anvil's endpoints state is a login;
/// an endpoint asking for more (a policy, roles, schemes) is refused with a 500 rather than let through
/// unchecked (<see cref="RequirementOf"/>).
/// </remarks>
public sealed class AyonAuthentication(RequestDelegate next, CredentialResolver resolver, ApiKeyRateLimiter limiter)
{
    /// <summary>The authentication type of an authenticated principal.</summary>
    public const string SchemeName = "Ayon";

    enum Requirement { None, Login, Unsupported }

    /// <summary>Each endpoint's requirement, read from its metadata once (endpoints live as long as the process).</summary>
    static readonly ConcurrentDictionary<Endpoint, Requirement> Requirements = new();

    public Task InvokeAsync(HttpContext context)
    {
        var pending = ResolveAsync(context, resolver);
        return pending.IsCompletedSuccessfully ? ContinueAsync(context, pending.Result) : AwaitAsync(context, pending);
    }

    async Task AwaitAsync(HttpContext context, ValueTask<CredentialResult?> pending) => await ContinueAsync(context, await pending);

    Task ContinueAsync(HttpContext context, CredentialResult? result)
    {
        if (result?.User is not { } user)
        {
            return RequiresLogin(context)
                ? ErrorResponse.WriteAsync(context, new Unauthorized(result?.Failure ?? "Not logged in"))
                : next(context);
        }
        _ = RequiresLogin(context); // a logged-in user is refused an unsupported requirement too
        user.AttachTo(context);
        context.User = result.Principal;
        var allowed = ApiKeyPolicy.EnforceAsync(context, user, limiter);
        return allowed.IsCompletedSuccessfully ? next(context) : AfterPolicyAsync(context, allowed);
    }

    async Task AfterPolicyAsync(HttpContext context, ValueTask allowed)
    {
        await allowed;
        await next(context);
    }

    /// <summary>Whether the request's endpoint needs a logged-in user; throws for a requirement Anvil does not check.</summary>
    static bool RequiresLogin(HttpContext context) =>
        context.GetEndpoint() is { } endpoint && Requirements.GetOrAdd(endpoint, RequirementOf) switch
        {
            Requirement.None => false,
            Requirement.Login => true,
            _ => throw new InvalidOperationException($"{endpoint.DisplayName} asks for an authorization policy, roles or schemes: Anvil checks only that a user is logged in"),
        };

    /// <summary>
    /// <c>RequireAuthorization()</c> without arguments (ASP.NET's default policy: an authenticated user)
    /// is a login; <c>AllowAnonymous</c> lifts it; anything more is unsupported, never ignored.
    /// </summary>
    static Requirement RequirementOf(Endpoint endpoint)
    {
        var metadata = endpoint.Metadata;
        var authorize = metadata.GetOrderedMetadata<IAuthorizeData>();
        if (authorize.Any(a => a.Policy is not null || a.Roles is not null || a.AuthenticationSchemes is not null)
            || metadata.GetMetadata<AuthorizationPolicy>() is not null
            || metadata.GetMetadata<IAuthorizationRequirementData>() is not null)
            return Requirement.Unsupported;
        if (authorize.Count == 0 || metadata.GetMetadata<IAllowAnonymous>() is not null)
            return Requirement.None;
        return Requirement.Login;
    }

    /// <summary>
    /// The request's credential resolved; null when it carries none. Throws <see cref="Forbidden"/>
    /// when <c>X-As-User</c> names no active user.
    /// </summary>
    public static ValueTask<CredentialResult?> ResolveAsync(HttpContext context, CredentialResolver resolver)
    {
        var headers = context.Request.Headers;
        if (headers[AddonHostKey.Header].ToString() is { Length: > 0 } presentedHostKey)
            return Nullable(resolver.ResolveAddonHostAsync(presentedHostKey, headers["X-As-User"].ToString(), context.RequestAborted));
        if (ReadCredential(context.Request) is (string credential, var kind))
            return Nullable(resolver.ResolveAsync(credential, kind, headers["X-As-User"].ToString(), context.RequestAborted));
        return ValueTask.FromResult<CredentialResult?>(null);
    }

    static ValueTask<CredentialResult?> Nullable(ValueTask<CredentialResult> pending) =>
        pending.IsCompletedSuccessfully ? ValueTask.FromResult<CredentialResult?>(pending.Result) : AwaitNullable(pending);

    static async ValueTask<CredentialResult?> AwaitNullable(ValueTask<CredentialResult> pending) => await pending;

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
}
