using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>
/// A server whose API keys may make three requests per minute: a refused key waits twenty seconds
/// for its next request, long enough that a slow, busy test machine cannot blur the limit.
/// </summary>
public sealed class RateLimitedApp : AnvilApp
{
    public const int Limit = 3;
    public const int Window = 60;

    protected override IEnumerable<(string, string)> Settings =>
        [("AYON_API_KEY_RATE_LIMIT", $"{Limit}"), ("AYON_API_KEY_RATE_WINDOW", $"{Window}")];
}

public sealed class api_key_rate_limits(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    /// <summary>A client with a new personal API key of a new user, made through the API; the admin's session sets it up.</summary>
    async Task<(string User, string KeyId, Api Key)> PersonalKeyAsync(AnvilApp server, object? settings = null)
    {
        var user = await Users.CreateAsync(app);
        var session = await server.LoginAsync(user, Users.Password);
        var created = await session.PostAsync($"/api/users/{user}/apikeys", settings ?? new { label = "script" });
        return (user, created["id"]!.GetValue<string>(), WithKey(server, created["key"]!.GetValue<string>()));
    }

    static Api WithKey(AnvilApp server, string key)
    {
        var api = server.Anonymous();
        api.Http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return api;
    }

    static int RetryAfter(Api api) => (int)api.LastResponse!.Headers.RetryAfter!.Delta!.Value.TotalSeconds;

    [Fact]
    public async Task a_key_over_its_limit_gets_429_with_retry_after_and_recovers_after_waiting()
    {
        var (_, _, key) = await PersonalKeyAsync(app);
        for (var i = 0; i < RateLimitedApp.Limit; i++)
            await key.GetAsync("/api/users/me");

        var refused = await key.GetAsync("/api/users/me", expect: 429);

        Assert.Equal(429, refused["code"]!.GetValue<int>());
        Assert.Contains($"{RateLimitedApp.Limit} requests per minute", refused["detail"]!.GetValue<string>());
        var retryAfter = RetryAfter(key);
        Assert.InRange(retryAfter, 1, RateLimitedApp.Window);
        await Task.Delay(TimeSpan.FromSeconds(retryAfter));
        await key.GetAsync("/api/users/me");
    }

    [Fact]
    public async Task refused_requests_do_nothing()
    {
        var (user, _, key) = await PersonalKeyAsync(app);
        for (var i = 0; i < RateLimitedApp.Limit; i++)
            await key.GetAsync("/api/users/me");

        await key.PatchAsync($"/api/users/{user}", new { attrib = new { fullName = "Too Late" } }, expect: 429);

        Assert.Null(await Sql.ScalarAsync<string>(app, "SELECT attrib->>'fullName' FROM users WHERE name = @user", new { user }));
    }

    [Fact]
    public async Task each_key_has_its_own_budget_and_sessions_have_none()
    {
        var (user, _, first) = await PersonalKeyAsync(app);
        var session = await app.LoginAsync(user, Users.Password);
        var second = WithKey(app, (await session.PostAsync($"/api/users/{user}/apikeys", new { label = "second" }))["key"]!.GetValue<string>());
        for (var i = 0; i < RateLimitedApp.Limit; i++)
            await first.GetAsync("/api/users/me");
        await first.GetAsync("/api/users/me", expect: 429);

        await second.GetAsync("/api/users/me");
        for (var i = 0; i < 3 * RateLimitedApp.Limit; i++)
            await session.GetAsync("/api/users/me");
    }

    [Fact]
    public async Task the_limit_is_shared_by_every_instance()
    {
        await using var other = new RateLimitedApp();
        await other.InitializeAsync();
        var (_, _, here) = await PersonalKeyAsync(app);
        var there = WithKey(other, here.Http.DefaultRequestHeaders.GetValues("X-Api-Key").Single());

        await here.GetAsync("/api/users/me");
        await there.GetAsync("/api/users/me");
        await here.GetAsync("/api/users/me");

        await there.GetAsync("/api/users/me", expect: 429);
        await here.GetAsync("/api/users/me", expect: 429);
    }

    [Fact]
    public async Task a_keys_own_limit_replaces_the_default()
    {
        var admin = await app.LoginAsync();
        var (user, keyId, key) = await PersonalKeyAsync(app);
        const int ownLimit = RateLimitedApp.Limit + 1;
        await admin.PatchAsync($"/api/users/{user}/apikeys/{keyId}", new { rateLimit = ownLimit }, expect: 204);

        for (var i = 0; i < ownLimit; i++)
            await key.GetAsync("/api/users/me");
        var refused = await key.GetAsync("/api/users/me", expect: 429);

        Assert.Contains($"{ownLimit} requests per", refused["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task service_keys_are_unlimited_unless_given_a_limit()
    {
        var admin = await app.LoginAsync();
        var serviceKey = Secrets.NewApiKey();
        var service = await Users.CreateServiceAsync(app, serviceKey);
        var api = WithKey(app, serviceKey);

        for (var i = 0; i < 4 * RateLimitedApp.Limit; i++)
            await api.GetAsync("/api/users/me");
        var keyId = (await admin.GetAsync($"/api/users/{service}/apikeys"))[0]!["id"]!.GetValue<string>();
        await admin.PatchAsync($"/api/users/{service}/apikeys/{keyId}", new { rateLimit = 1 }, expect: 204);

        await api.GetAsync("/api/users/me");
        await api.GetAsync("/api/users/me", expect: 429);
    }

    [Fact]
    public async Task the_limiter_lets_requests_through_when_redis_does_not_answer()
    {
        var options = TestEnvironment.Options(("AYON_API_KEY_RATE_LIMIT", "1"));
        var nowhere = new ConfigurationOptions { AbortOnConnectFail = false, ConnectTimeout = 200 };
        nowhere.EndPoints.Add("127.0.0.1", 1);
        await using var deadRedis = new Redis(await ConnectionMultiplexer.ConnectAsync(nowhere), options);
        var limiter = new ApiKeyRateLimiter(deadRedis, options, NullLogger<ApiKeyRateLimiter>.Instance);
        var user = new CurrentUser(new UserRecord { Name = "script" }, CredentialKind.ApiKey, null) { ApiKey = new ApiKeyRecord { Id = Guid.NewGuid() } };
        var started = DateTime.UtcNow;

        for (var i = 0; i < 3; i++)
            await limiter.EnsureAllowedAsync(user);

        Assert.Equal(1, limiter.LimitOf(user));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "a dead Redis must not hold requests for long");
    }
}
