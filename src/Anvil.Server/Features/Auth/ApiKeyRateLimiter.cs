using System.Globalization;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using StackExchange.Redis;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// Requests per API key, counted in Redis so that every instance spends the same budget. The
/// algorithm is GCRA, a token bucket kept as one timestamp per key: a key may spend its whole limit
/// at once, then regains one request every window/limit, and a refusal knows exactly when the next
/// request fits (a fixed INCR+EXPIRE window would allow twice the limit across a window's edge and
/// send every refused client back at the same instant). One Lua script reads Redis' clock and
/// updates the key atomically, so instances with drifting clocks still agree.
/// </summary>
public sealed class ApiKeyRateLimiter(Redis redis, AyonOptions options, ILogger<ApiKeyRateLimiter> logger)
{
    // KEYS[1]: the key's "theoretical arrival time", in microseconds of Redis' clock.
    // ARGV[1]: microseconds per request (window / limit); ARGV[2]: the window in microseconds.
    // Answers 0 when the request fits, else the microseconds until it would.
    // '%.0f': Lua would write a 16-digit number in exponent notation, losing precision.
    const string Script = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local interval = tonumber(ARGV[1])
        local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
        local wait = tat + interval - tonumber(ARGV[2]) - now
        if wait > 0 then
            return wait
        end
        redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', math.ceil((tat + interval - now) / 1000))
        return 0
        """;

    /// <summary>How long a request waits for the limiter before going ahead without it.</summary>
    static readonly TimeSpan RedisBudget = TimeSpan.FromMilliseconds(500);

    int _failingOpen;

    /// <summary>The requests per window the key of this request may make; 0: unlimited.</summary>
    public int LimitOf(CurrentUser user) =>
        user.ApiKey?.RateLimit ?? (user.IsService || user.ServiceUser is not null ? 0 : options.ApiKeyRateLimit);

    /// <summary>
    /// Counts a request made with an API key; 429 with Retry-After once the key has spent its limit.
    /// When Redis cannot answer, the request goes ahead: the limiter protects the server, it must not
    /// take it down.
    /// </summary>
    public async Task EnsureAllowedAsync(CurrentUser user)
    {
        var limit = LimitOf(user);
        if (user.ApiKey is not { } key || limit == 0)
            return;
        var windowMicroseconds = options.ApiKeyRateWindow * 1_000_000L;
        long waitMicroseconds;
        try
        {
            waitMicroseconds = (long)await redis.Database
                .ScriptEvaluateAsync(Script, [redis.Key("api-key-rate", key.Id.ToString("N"))], [Math.Max(1, windowMicroseconds / limit), windowMicroseconds])
                .WaitAsync(RedisBudget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            if (Interlocked.Exchange(ref _failingOpen, 1) == 0)
                logger.LogWarning("API-key rate limits are not enforced while Redis does not answer: {Error}", e.Message);
            return;
        }
        if (Interlocked.Exchange(ref _failingOpen, 0) == 1)
            logger.LogWarning("API-key rate limits are enforced again");
        if (waitMicroseconds > 0)
            throw new TooManyRequests($"Rate limit of this API key exceeded: {limit} requests per {WindowText()}",
                TimeSpan.FromMicroseconds(waitMicroseconds));
    }

    string WindowText() => options.ApiKeyRateWindow == 60
        ? "minute"
        : string.Create(CultureInfo.InvariantCulture, $"{options.ApiKeyRateWindow} seconds");
}
