using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.UserApi;

/// <summary>What the web UI needs of the user: exposure level, attributes, avatar and preferences.</summary>
public sealed class web_ui_user(AnvilApp app) : IClassFixture<AnvilApp>
{
    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    [Theory]
    [InlineData("isAdmin", 900)]
    [InlineData("isManager", 700)]
    [InlineData("isGuest", 100)]
    [InlineData(null, 500)]
    public async Task the_ui_exposure_level_follows_the_role_in_me_info_and_login(string? role, int level)
    {
        var data = role is null ? new JsonObject() : new JsonObject { [role] = true };
        var name = await Users.CreateAsync(app, "exposed", data);

        var login = await app.Anonymous().PostAsync("/api/auth/login", new { name, password = Users.Password });
        var api = await app.LoginAsync(name, Users.Password);

        Assert.Equal(level, login["user"]!["uiExposureLevel"]!.GetValue<int>());
        Assert.Equal(level, (await api.GetAsync("/api/users/me"))["uiExposureLevel"]!.GetValue<int>());
        Assert.Equal(level, (await api.GetAsync("/api/info"))["user"]!["uiExposureLevel"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_level_in_the_users_data_lowers_it_but_never_raises_it()
    {
        var lowered = await app.LoginAsync(await Users.CreateAsync(app, "lowered", new JsonObject { ["isManager"] = true, ["uiExposureLevel"] = 100 }), Users.Password);
        var raised = await app.LoginAsync(await Users.CreateAsync(app, "raised", new JsonObject { ["uiExposureLevel"] = 900 }), Users.Password);

        Assert.Equal(100, (await lowered.GetAsync("/api/users/me"))["uiExposureLevel"]!.GetValue<int>());
        Assert.Equal(500, (await raised.GetAsync("/api/users/me"))["uiExposureLevel"]!.GetValue<int>());
    }

    [Fact]
    public async Task info_carries_the_attribute_library_for_a_logged_in_user_only()
    {
        var artist = await app.ArtistAsync();

        var attributes = (await artist.GetAsync("/api/info?full=true"))["attributes"]!.AsArray();
        var anonymous = await app.Anonymous().GetAsync("/api/info?full=true");

        Assert.Contains(attributes, a => a!["name"]!.GetValue<string>() == "fullName" && a["scope"]!.AsArray().Any(s => s!.GetValue<string>() == "user"));
        Assert.Equal((await artist.GetAsync("/api/attributes"))["attributes"]!.AsArray().Count, attributes.Count);
        Assert.Null(anonymous["attributes"]);
    }

    [Fact]
    public async Task without_a_picture_the_avatar_is_an_svg_of_the_initials()
    {
        var name = await Users.CreateAsync(app, "avatar");
        await (await app.LoginAsync()).PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "Jane Doe" } }, expect: 204);
        var artist = await app.ArtistAsync();

        var response = await artist.Http.GetAsync($"/api/users/{name}/avatar");

        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(">JD</text>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_user_uploads_and_removes_their_own_picture_but_not_anothers()
    {
        var name = await Users.CreateAsync(app, "picture");
        var self = await app.LoginAsync(name, Users.Password);
        var other = await app.ArtistAsync();

        var upload = new HttpRequestMessage(HttpMethod.Put, $"/api/users/{name}/avatar") { Content = new ByteArrayContent(Png) };
        await self.SendAsync(upload, expect: 204);
        var stored = await other.Http.GetAsync($"/api/users/{name}/avatar");
        Assert.Equal("image/png", stored.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Png, await stored.Content.ReadAsByteArrayAsync());

        await other.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/users/{name}/avatar") { Content = new ByteArrayContent(Png) }, expect: 403);
        await self.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/users/{name}/avatar") { Content = new ByteArrayContent("not an image"u8.ToArray()) }, expect: 415);
        await self.DeleteAsync($"/api/users/{name}/avatar");
        Assert.Equal("image/svg+xml", (await other.Http.GetAsync($"/api/users/{name}/avatar")).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task frontend_preferences_merge_key_by_key_and_a_null_removes_one()
    {
        var name = await Users.CreateAsync(app, "prefs");
        var self = await app.LoginAsync(name, Users.Password);

        await self.PatchAsync($"/api/users/{name}/frontendPreferences", new { pinnedProjects = new[] { "demo" }, theme = "dark" }, expect: 204);
        await self.PatchAsync($"/api/users/{name}/frontendPreferences", new Dictionary<string, object?> { ["theme"] = null, ["notifications"] = true }, expect: 204);

        var preferences = (await self.GetAsync("/api/users/me"))["data"]!["frontendPreferences"]!.AsObject();
        Assert.Equal(["notifications", "pinnedProjects"], preferences.Select(p => p.Key).Order());
        await (await app.ArtistAsync()).PatchAsync($"/api/users/{name}/frontendPreferences", new { theme = "light" }, expect: 403);
    }
}
