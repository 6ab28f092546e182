using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// Counts failed logins per user name and client address. A burst of failures answers 429 with
/// Retry-After for that pair only: an attacker elsewhere cannot lock the real user out.
/// </summary>
public sealed class LoginThrottle(Redis redis, AyonOptions options)
{
    public async Task EnsureAllowedAsync(string userName, string clientIp)
    {
        var key = Key(userName, clientIp);
        var failures = (int?)await redis.Database.StringGetAsync(key) ?? 0;
        if (failures < options.MaxFailedLoginAttempts)
            return;
        var retryAfter = await redis.Database.KeyTimeToLiveAsync(key) ?? TimeSpan.FromSeconds(options.FailedLoginBanTime);
        throw new TooManyRequests("Too many failed login attempts; try again later", retryAfter);
    }

    public async Task RecordFailureAsync(string userName, string clientIp)
    {
        var key = Key(userName, clientIp);
        var failures = await redis.Database.StringIncrementAsync(key);
        if (failures == 1)
            await redis.Database.KeyExpireAsync(key, TimeSpan.FromSeconds(options.FailedLoginBanTime));
    }

    public Task ResetAsync(string userName, string clientIp) => redis.Database.KeyDeleteAsync(Key(userName, clientIp));

    StackExchange.Redis.RedisKey Key(string userName, string clientIp) =>
        redis.Key("login-failures", $"{userName.ToLowerInvariant()}|{clientIp}");
}
