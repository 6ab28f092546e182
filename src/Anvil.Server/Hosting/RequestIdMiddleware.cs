using System.Security.Cryptography;

namespace Anvil.Server.Hosting;

/// <summary>Every response carries <c>X-Request-ID</c>; it is also the trace identifier of the request's log lines.</summary>
public static class RequestIdMiddleware
{
    /// <summary>Random per process, so ids of several instances (and restarts) do not meet.</summary>
    static readonly ulong InstancePart = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    static long _counter;

    public static IApplicationBuilder UseRequestId(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var id = NextId();
        context.TraceIdentifier = id;
        context.Response.Headers["X-Request-ID"] = id;
        return next(context);
    });

    /// <summary>
    /// 32 hex digits, as a GUID's "N" form: the instance's random half, then a counter. Unique is all a
    /// request id must be; a random GUID per request costs a system call for randomness nobody needs.
    /// </summary>
    public static string NextId() => string.Create(32, (InstancePart, (ulong)Interlocked.Increment(ref _counter)), static (chars, parts) =>
    {
        parts.InstancePart.TryFormat(chars, out _, "x16");
        parts.Item2.TryFormat(chars[16..], out _, "x16");
    });
}
