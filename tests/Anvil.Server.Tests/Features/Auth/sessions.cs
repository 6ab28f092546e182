using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>A server whose sessions expire after two seconds of inactivity.</summary>
public sealed class ShortSessionApp : AnvilApp
{
    protected override IEnumerable<(string, string)> Settings => [("AYON_SESSION_TTL", "2")];
}

public sealed class sessions(ShortSessionApp app) : IClassFixture<ShortSessionApp>
{
    [Fact]
    public async Task logout_ends_the_session()
    {
        var api = await app.LoginAsync();
        await api.GetAsync("/api/users/me");

        var answer = await api.PostAsync("/api/auth/logout", null);

        Assert.Equal("Logged out", answer["detail"]!.GetValue<string>());
        var after = await api.GetAsync("/api/users/me", expect: 401);
        Assert.Equal(401, after["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task logout_ends_only_its_own_session()
    {
        var first = await app.LoginAsync();
        var second = await app.LoginAsync();

        await first.PostAsync("/api/auth/logout", null);

        await first.GetAsync("/api/users/me", expect: 401);
        await second.GetAsync("/api/users/me", expect: 200);
    }

    [Fact]
    public async Task every_request_slides_the_expiry_and_inactivity_ends_the_session()
    {
        var api = await app.LoginAsync();

        // Used every 0.7 s for 3.5 s: well past the 2 s TTL, alive because each use slides it.
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(700);
            await api.GetAsync("/api/users/me", expect: 200);
        }
        await Task.Delay(2600);

        var expired = await api.GetAsync("/api/users/me", expect: 401);
        Assert.Contains("expired", expired["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_inactive_user_loses_access_with_a_live_session()
    {
        var name = await Users.CreateAsync(app);
        var api = await app.LoginAsync(name, Users.Password);
        await api.GetAsync("/api/users/me");

        // Written behind the server's back, which keeps the users it has read: a restart drops them. (Through the
        // API, deactivating also ends the sessions: users_on_two_instances.)
        await Sql.ExecuteAsync(app, "UPDATE users SET active = false WHERE name = @name", new { name });
        await app.Service().PostAsync("/api/system/restart", null, expect: 204);

        await api.GetAsync("/api/users/me", expect: 401);
    }
}
