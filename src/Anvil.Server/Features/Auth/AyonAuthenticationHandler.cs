using System.Security.Claims;
using System.Text.Encodings.Web;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// AYON's credential rules: an API key in <c>X-Api-Key</c> or <c>Authorization: ApiKey</c>; a session
/// token as <c>Authorization: Bearer</c>, the <c>accessToken</c> cookie or <c>?token=</c>. An API key
/// sent as Bearer is not a session and fails (the client relies on that to detect API keys).
/// <c>X-As-User</c> is honoured for service users only (<see cref="CredentialResolver"/>, shared with
/// <c>/ws</c>). An API key's scope and rate limit travel on the <see cref="CurrentUser"/>;
/// <see cref="ApiKeyPolicy"/> enforces them.
/// </summary>
public sealed class AyonAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    CredentialResolver resolver) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "Ayon";
    const string FailureKey = "anvil.authFailure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var asUser = Request.Headers["X-As-User"].ToString();
        CredentialResult result;
        if (Request.Headers[AddonHostKey.Header].ToString() is { Length: > 0 } presentedHostKey)
            result = await resolver.ResolveAddonHostAsync(presentedHostKey, asUser, Context.RequestAborted);
        else if (ReadCredential(Request) is (string credential, var kind))
            result = await resolver.ResolveAsync(credential, kind, asUser, Context.RequestAborted);
        else
            return AuthenticateResult.NoResult();
        if (result.User is not { } current)
            return Failure(result.Failure ?? "Not logged in");
        current.AttachTo(Context);

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, current.Name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
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
