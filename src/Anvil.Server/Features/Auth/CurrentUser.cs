using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Auth;

/// <summary>How the request proved who it is.</summary>
public enum CredentialKind
{
    Session,
    ApiKey,
}

/// <summary>
/// The user a request acts as, resolved once by <see cref="AyonAuthentication"/>. A handler
/// that takes a <c>CurrentUser</c> parameter gets it, or the request answers 401.
/// </summary>
/// <param name="User">Whom the request acts as (the X-As-User target when a service impersonates).</param>
/// <param name="Credential">Session token or API key.</param>
/// <param name="SessionToken">The session's token, for logout; null for API keys. Never serialised.</param>
/// <param name="ServiceUser">The service user behind an X-As-User request, else null.</param>
public sealed record CurrentUser(UserRecord User, CredentialKind Credential, string? SessionToken, string? ServiceUser = null)
{
    const string ItemKey = "anvil.currentUser";

    public string Name => User.Name;
    public bool IsAdmin => User.IsAdmin || User.IsService;
    public bool IsManager => IsAdmin || User.IsManager;
    public bool IsService => User.IsService;

    /// <summary>The API key the request came with (also through X-As-User); null for sessions.</summary>
    public ApiKeyRecord? ApiKey { get; init; }

    /// <summary>
    /// What the request's credential may reach: the API key's scope, null for sessions. Project
    /// access checks call <see cref="TokenScope.AllowsProject"/>; read-only keys cannot change state.
    /// </summary>
    public TokenScope? Scope => ApiKey?.Scope;

    /// <summary>403 with "Only managers may {action}" unless the user is a manager (or admin, or service).</summary>
    public void RequireManager(string action)
    {
        if (!IsManager)
            throw new Forbidden($"Only managers may {action}");
    }

    /// <summary>Minimal-API binding: the user resolved by authentication, or 401.</summary>
    public static ValueTask<CurrentUser?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<CurrentUser?>(Of(context) ?? throw new Unauthorized());

    public static CurrentUser? Of(HttpContext context) => context.Items[ItemKey] as CurrentUser;

    internal void AttachTo(HttpContext context) => context.Items[ItemKey] = this;

    // The token must never reach a log line through a record's generated ToString.
    public override string ToString() => $"CurrentUser {{ Name = {Name}, Credential = {Credential}, ServiceUser = {ServiceUser}, ApiKey = {ApiKey?.Id} }}";
}
