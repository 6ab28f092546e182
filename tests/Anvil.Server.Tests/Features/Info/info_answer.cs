using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Info;
using Anvil.Server.Features.Sites;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Anvil.Server.Tests.Features.Sites.SiteHeaders;

namespace Anvil.Server.Tests.Features.Info;

/// <summary>
/// <c>GET /api/info</c> is written from parts serialized once per cached value: its bytes must stay
/// those the serializer writes for <see cref="InfoResponse"/>, and follow every change of the parts.
/// </summary>
public sealed class info_answer(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task the_answer_is_what_the_serializer_writes_for_it_with_and_without_a_user_and_says_its_length()
    {
        var artist = await app.ArtistAsync();
        var name = (await artist.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        artist.OnSite(NewSiteId(), "linux");
        await artist.GetAsync("/api/info");

        foreach (var (api, user, full) in new[] { (app.Anonymous(), (string?)null, false), (app.Anonymous(), null, true), (artist, name, false), (artist, name, true) })
        {
            var response = await api.Http.GetAsync(full ? "/api/info?full=true" : "/api/info");
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(await ExpectedAsync(user, full, JsonNode.Parse(body)!["uptime"]!.GetValue<double>()), body);
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), response.Content.Headers.ContentLength);
            Assert.Null(response.Headers.TransferEncodingChunked);
        }
    }

    [Fact]
    public async Task the_answer_follows_a_change_of_the_user_of_the_attribute_library_and_of_the_users_sites()
    {
        var artist = await app.ArtistAsync();
        var name = (await artist.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        var attribute = $"infoProbe{Guid.NewGuid():N}"[..20];
        await artist.GetAsync("/api/info");

        await app.Service().PatchAsync($"/api/users/{name}", new { attrib = new { fullName = "Renamed Artist" } }, expect: 204);
        await app.Service().PutAsync($"/api/attributes/{attribute}", new { scope = new[] { "folder" }, data = new { type = "string", title = "Probe" } }, expect: 204);
        var info = await artist.GetAsync("/api/info");
        artist.OnSite(NewSiteId(), "linux");
        var onSite = await artist.GetAsync("/api/info");

        Assert.Equal("Renamed Artist", info["user"]!["attrib"]!["fullName"]!.GetValue<string>());
        Assert.Contains(info["attributes"]!.AsArray(), a => a!["name"]!.GetValue<string>() == attribute);
        Assert.Empty(info["sites"]!.AsArray());
        Assert.Single(onSite["sites"]!.AsArray());
    }

    [Fact]
    public async Task full_stays_a_documented_query_flag_and_a_value_that_is_not_a_boolean_is_a_400_naming_it()
    {
        // The handler takes its services once rather than per request; its contract must not move with that.
        var document = await app.Anonymous().GetAsync("/openapi.json");
        var parameters = document["paths"]!["/api/info"]!["get"]!["parameters"]!.AsArray();
        var full = Assert.Single(parameters);
        Assert.Equal("full", full!["name"]!.GetValue<string>());
        Assert.Equal("query", full["in"]!.GetValue<string>());

        var refused = await app.Anonymous().Http.GetAsync("/api/info?full=maybe");
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Contains("full", await refused.Content.ReadAsStringAsync());
        Assert.True((await app.Anonymous().GetAsync("/api/info?full=true"))["noAdminUser"] is not null);
    }

    async Task<string> ExpectedAsync(string? userName, bool full, double uptime)
    {
        var services = app.Services;
        var user = userName is null ? null : await services.GetRequiredService<UserStore>().GetAsync(userName, default);
        var response = new InfoResponse
        {
            Version = InfoEndpoints.AyonVersion,
            ServerName = "Anvil",
            ServerVersion = InfoEndpoints.AnvilVersion,
            Uptime = uptime,
            User = user is null ? null : UserModel.From(user),
            Attributes = user is null ? null : [.. (await services.GetRequiredService<AttributeLibrary>().AllAsync()).Select(AttributeModel.From)],
            NoAdminUser = full ? !await services.GetRequiredService<UserStore>().AnyAdminAsync(default) : null,
            Sites = user is null ? [] : await services.GetRequiredService<SiteRegistry>().OfUserAsync(user.Name, default),
        };
        return JsonSerializer.Serialize(response, services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions);
    }
}
