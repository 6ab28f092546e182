using System.ComponentModel.DataAnnotations;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Auth;

/// <summary>Credentials for <c>POST /api/auth/login</c>.</summary>
public sealed record LoginRequest
{
    /// <summary>User name (matched case-insensitively).</summary>
    [Required, MaxLength(128)] public string? Name { get; init; }

    /// <summary>The user's password.</summary>
    [Required, MaxLength(1024)] public string? Password { get; init; }
}

/// <summary>A successful login: the session token and the user.</summary>
public sealed record LoginResponse(string Detail, string Token, UserModel User);

/// <summary>A plain confirmation message.</summary>
public sealed record DetailResponse(string Detail);

public static class AuthEndpoints
{
    public static void MapAuthEndpoints(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Authentication");
        auth.MapPost("/login", LoginAsync).WithName("login").AllowAnonymous()
            .WithSummary("Log in with a name and password; answers a session token.");
        auth.MapPost("/logout", LogoutAsync).WithName("logout")
            .WithSummary("End the session of the token that made the request.");
    }

    static async Task<LoginResponse> LoginAsync(LoginRequest request, HttpContext context, UserStore users, SessionStore sessions,
        LoginThrottle throttle, AyonOptions options, ILogger<LoginRequest> logger)
    {
        var name = request.Name!;
        var address = ClientAddress.Of(context);
        await throttle.EnsureAllowedAsync(name, address);

        var user = await users.GetAsync(name, context.RequestAborted);
        // Verify against a dummy hash when there is no such user, so the answer's timing does not tell.
        var stored = user?.PasswordHash ?? Secrets.DummyPasswordHash(options.PasswordHashIterations);
        var valid = Secrets.VerifyPassword(request.Password!, stored, options.AuthPassPepper, options.PasswordHashIterations, out var needsRehash);
        if (user?.PasswordHash is null || !valid)
        {
            await throttle.RecordFailureAsync(name, address);
            logger.LogInformation("Failed login for {User} from {Address}", LogText.Sanitize(name), address);
            throw new Forbidden("Invalid login or password");
        }
        if (user.IsService)
            throw new Forbidden("Service users cannot log in with a password");
        if (!user.Active)
            throw new Unauthorized("User is not active");

        await throttle.ResetAsync(name, address);
        if (needsRehash)
            await users.SetPasswordHashAsync(user.Name, Secrets.HashPassword(request.Password!, options.PasswordHashIterations), context.RequestAborted);
        var token = await sessions.CreateAsync(user.Name, address, context.Request.Headers.UserAgent.ToString());
        logger.LogInformation("{User} logged in from {Address}", user.Name, address);
        return new LoginResponse($"Logged in as {user.Name}", token, UserModel.From(user));
    }

    static async Task<DetailResponse> LogoutAsync(CurrentUser user, SessionStore sessions)
    {
        if (user.SessionToken is not null)
            await sessions.DeleteAsync(user.SessionToken);
        return new DetailResponse("Logged out");
    }
}
