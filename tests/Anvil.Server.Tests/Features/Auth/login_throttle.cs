using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>A server that throttles after three failed logins.</summary>
public sealed class ThrottledLoginApp : AnvilApp
{
    protected override IEnumerable<(string, string)> Settings => [("AYON_MAX_FAILED_LOGIN_ATTEMPTS", "3"), ("AYON_FAILED_LOGIN_BAN_TIME", "120")];
}

public sealed class login_throttle(ThrottledLoginApp app) : IClassFixture<ThrottledLoginApp>
{
    static Api From(Api api, string address)
    {
        api.Http.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return api;
    }

    [Fact]
    public async Task a_burst_of_wrong_passwords_answers_429_with_retry_after()
    {
        var user = await Users.CreateAsync(app);
        var attacker = From(app.Anonymous(), "10.1.1.1");
        for (var i = 0; i < 3; i++)
            await attacker.PostAsync("/api/auth/login", new { name = user, password = "guess" + i }, expect: 403);

        var error = await attacker.PostAsync("/api/auth/login", new { name = user, password = Users.Password }, expect: 429);

        Assert.Equal(429, error["code"]!.GetValue<int>());
        var retryAfter = int.Parse(attacker.LastResponse!.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ToString("0"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 120);
    }

    [Fact]
    public async Task the_real_user_from_another_address_is_not_locked_out()
    {
        var user = await Users.CreateAsync(app);
        var attacker = From(app.Anonymous(), "10.2.2.2");
        for (var i = 0; i < 4; i++)
            await attacker.PostAsync("/api/auth/login", new { name = user, password = "guess" + i }, expect: i < 3 ? 403 : 429);

        var real = From(app.Anonymous(), "10.3.3.3");
        var login = await real.PostAsync("/api/auth/login", new { name = user, password = Users.Password });

        Assert.Equal(user, login["user"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_successful_login_clears_the_count()
    {
        var user = await Users.CreateAsync(app);
        var api = From(app.Anonymous(), "10.4.4.4");
        await api.PostAsync("/api/auth/login", new { name = user, password = "guess1" }, expect: 403);
        await api.PostAsync("/api/auth/login", new { name = user, password = "guess2" }, expect: 403);
        await api.PostAsync("/api/auth/login", new { name = user, password = Users.Password });

        await api.PostAsync("/api/auth/login", new { name = user, password = "guess3" }, expect: 403);
        await api.PostAsync("/api/auth/login", new { name = user, password = "guess4" }, expect: 403);

        await api.PostAsync("/api/auth/login", new { name = user, password = Users.Password }, expect: 200);
    }

    [Fact]
    public async Task unknown_users_are_throttled_like_known_ones()
    {
        var api = From(app.Anonymous(), "10.5.5.5");
        for (var i = 0; i < 3; i++)
            await api.PostAsync("/api/auth/login", new { name = "ghost_user", password = "guess" + i }, expect: 403);

        await api.PostAsync("/api/auth/login", new { name = "ghost_user", password = "guess" }, expect: 429);
    }
}
