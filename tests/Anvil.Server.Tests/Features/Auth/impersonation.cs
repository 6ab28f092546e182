using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>X-As-User: a service acts as another user; nobody else can.</summary>
public sealed class impersonation(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_service_user_acts_as_the_named_user()
    {
        var artist = await Users.CreateAsync(app);
        var service = app.Service();
        service.Http.DefaultRequestHeaders.Add("X-As-User", artist);

        var me = await service.GetAsync("/api/users/me");

        Assert.Equal(artist, me["name"]!.GetValue<string>());
        Assert.False(me["data"]!["isService"]!.GetValue<bool>());
    }

    [Fact]
    public async Task a_normal_user_cannot_act_as_someone_else()
    {
        var artist = await Users.CreateAsync(app);
        var api = await app.LoginAsync(artist, Users.Password);
        api.Http.DefaultRequestHeaders.Add("X-As-User", "admin");

        var me = await api.GetAsync("/api/users/me");

        Assert.Equal(artist, me["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task acting_as_an_unknown_user_is_forbidden_not_unauthorized()
    {
        var service = app.Service();
        service.Http.DefaultRequestHeaders.Add("X-As-User", "nobody_by_this_name");

        var error = await service.GetAsync("/api/users/me", expect: 403);

        Assert.Contains("nobody_by_this_name", error["detail"]!.GetValue<string>());
    }
}
