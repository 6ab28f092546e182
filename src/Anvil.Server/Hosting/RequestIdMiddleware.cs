namespace Anvil.Server.Hosting;

/// <summary>Every response carries <c>X-Request-ID</c>; it is also the trace identifier of the request's log lines.</summary>
public static class RequestIdMiddleware
{
    public static IApplicationBuilder UseRequestId(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var id = Guid.NewGuid().ToString("N");
        context.TraceIdentifier = id;
        context.Response.Headers["X-Request-ID"] = id;
        return next(context);
    });
}
