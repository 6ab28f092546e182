using System.Net.Http.Headers;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>
/// The official client's connection bootstrap (contract §1.2, §1.4), replayed request by request:
/// the availability probe, /api/info with whatever credentials, the Bearer-then-X-Api-Key probe of
/// /api/users/me, and the login.
/// </summary>
public sealed class connection_bootstrap(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task an_api_key_is_recognised_as_a_service_key()
    {
        var bare = app.Anonymous();
        await bare.GetAsync("/", expect: 200);

        var asBearer = app.Anonymous();
        asBearer.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AnvilApp.ServiceApiKey);
        var info = await asBearer.GetAsync("/api/info");
        Assert.Matches(@"^\d+\.\d+\.\d+$", info["version"]!.GetValue<string>());
        await asBearer.GetAsync("/api/users/me", expect: 401);

        var asKey = app.Service();
        var me = await asKey.GetAsync("/api/users/me");

        Assert.Equal("service", me["name"]!.GetValue<string>());
        Assert.NotNull(me["attrib"]!.AsObject());
        Assert.True(me["data"]!["isService"]!.GetValue<bool>());
    }

    [Fact]
    public async Task an_api_key_is_also_accepted_in_the_authorization_header()
    {
        var api = app.Anonymous();
        api.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", AnvilApp.ServiceApiKey);

        var me = await api.GetAsync("/api/users/me");

        Assert.Equal("service", me["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_login_token_is_recognised_as_a_user_token()
    {
        var anonymous = app.Anonymous();
        await anonymous.GetAsync("/");
        var login = await anonymous.PostAsync("/api/auth/login", new { name = "admin", password = AnvilApp.AdminPassword });
        var token = login["token"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{64}$", token);
        Assert.Equal("Logged in as admin", login["detail"]!.GetValue<string>());
        Assert.Equal("admin", login["user"]!["name"]!.GetValue<string>());

        var user = app.Anonymous();
        user.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var info = await user.GetAsync("/api/info");
        var me = await user.GetAsync("/api/users/me");

        Assert.Equal("admin", info["user"]!["name"]!.GetValue<string>());
        Assert.Equal("admin", me["name"]!.GetValue<string>());
        Assert.True(me["data"]!["isAdmin"]!.GetValue<bool>());
        Assert.Equal("Anvil", info["serverName"]!.GetValue<string>());
    }

    [Fact]
    public async Task info_answers_with_bad_credentials_and_without_any()
    {
        var bad = app.Anonymous();
        bad.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new string('a', 64));

        var anonymousInfo = await app.Anonymous().GetAsync("/api/info");
        var badInfo = await bad.GetAsync("/api/info");

        Assert.Null(anonymousInfo["user"]);
        Assert.Null(badInfo["user"]);
        Assert.Equal("1.16.0", badInfo["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_session_token_also_travels_as_cookie_or_query_parameter()
    {
        var token = (await app.LoginAsync()).Http.DefaultRequestHeaders.Authorization!.Parameter!;
        var withCookie = app.Anonymous();
        withCookie.Http.DefaultRequestHeaders.Add("Cookie", $"accessToken={token}");

        var byCookie = await withCookie.GetAsync("/api/users/me");
        var byQuery = await app.Anonymous().GetAsync($"/api/users/me?token={token}");

        Assert.Equal("admin", byCookie["name"]!.GetValue<string>());
        Assert.Equal("admin", byQuery["name"]!.GetValue<string>());
    }
}
