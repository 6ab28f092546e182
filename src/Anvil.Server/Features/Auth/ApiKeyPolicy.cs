using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// What an API key's owner chose for it, enforced in one place for every route: its rate limit, then
/// read-only. Its project limit is enforced where projects are reached, through
/// <see cref="CurrentUser.Scope"/>. Sessions pass untouched.
/// </summary>
public static class ApiKeyPolicy
{
    /// <summary>
    /// The POST routes that only read, which a read-only key may use. Every other POST, PUT, PATCH and
    /// DELETE changes state. A new POST route that only reads belongs here. GraphQL has no mutations;
    /// should it get some, they must check <see cref="TokenScope.ReadOnly"/> themselves.
    /// </summary>
    static readonly HashSet<string> ReadingPostRoutes = new(StringComparer.OrdinalIgnoreCase)
    {
        "/graphql",
        "/api/query",
        "/api/projects/{projectName}/folders/search",
    };

    /// <summary>
    /// Studio-wide routes a key limited to projects may still write to: the event log and the job
    /// queue, which services use for the work of their projects.
    /// </summary>
    static readonly HashSet<string> ProjectWorkRoutes = new(StringComparer.OrdinalIgnoreCase)
    {
        "/api/events",
        "/api/events/{eventId}",
        "/api/enroll",
    };

    /// <summary>
    /// Applies the key's rate limit, then its access, to a request authenticated with it
    /// (<see cref="AyonAuthentication"/> calls this before any endpoint runs).
    /// </summary>
    public static ValueTask EnforceAsync(HttpContext context, CurrentUser user, ApiKeyRateLimiter limiter)
    {
        if (user.ApiKey is not { } key)
            return ValueTask.CompletedTask;
        if (limiter.LimitOf(user) == 0)
        {
            CheckAccess(context, key);
            return ValueTask.CompletedTask;
        }
        return LimitedAsync(context, user, key, limiter);
    }

    static async ValueTask LimitedAsync(HttpContext context, CurrentUser user, ApiKeyRecord key, ApiKeyRateLimiter limiter)
    {
        await limiter.EnsureAllowedAsync(user);
        CheckAccess(context, key);
    }

    static void CheckAccess(HttpContext context, ApiKeyRecord key)
    {
        if (key.ReadOnly && ChangesState(context))
            throw new Forbidden("This API key is read-only");
        if (key.Projects is not null && ChangesState(context) && !InsideProjects(context))
            throw new Forbidden("This API key is limited to projects: it may not change studio-wide data");
    }

    /// <summary>Routes of one project (whose name the access layer checks against the key), or project work.</summary>
    static bool InsideProjects(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route }
        && (route.StartsWith("/api/projects/{projectName}", StringComparison.OrdinalIgnoreCase) || ProjectWorkRoutes.Contains(route.TrimEnd('/')));

    static bool ChangesState(HttpContext context)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
            return false;
        return !(HttpMethods.IsPost(method)
            && context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route }
            && ReadingPostRoutes.Contains(route));
    }
}
