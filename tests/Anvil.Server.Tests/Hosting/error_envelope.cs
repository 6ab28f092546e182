using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Hosting;

/// <summary>One error model: {code, detail}, 401 only for credentials, 400 naming the field, X-Request-ID everywhere.</summary>
public sealed class error_envelope(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_protected_endpoint_without_credentials_answers_401_in_the_envelope()
    {
        var error = await app.Anonymous().GetAsync("/api/users/me", expect: 401);

        Assert.Equal(401, error["code"]!.GetValue<int>());
        Assert.Equal("Not logged in", error["detail"]!.GetValue<string>());
        Assert.Equal(2, error.AsObject().Count);
    }

    [Fact]
    public async Task an_unknown_session_token_answers_401_and_an_unknown_api_key_too()
    {
        var badToken = app.Anonymous();
        badToken.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new string('0', 64));
        var badKey = app.Anonymous();
        badKey.Http.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key-of-this-server");

        await badToken.GetAsync("/api/users/me", expect: 401);
        var error = await badKey.GetAsync("/api/users/me", expect: 401);

        Assert.Equal("Invalid API key", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_wrong_password_is_forbidden_not_unauthorized()
    {
        var error = await app.Anonymous().PostAsync("/api/auth/login", new { name = "admin", password = "wrong" }, expect: 403);

        Assert.Equal(403, error["code"]!.GetValue<int>());
        Assert.Equal("Invalid login or password", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_service_user_cannot_log_in_with_a_password()
    {
        await app.Anonymous().PostAsync("/api/auth/login", new { name = "service", password = "anything-at-all" }, expect: 403);
    }

    [Fact]
    public async Task an_unknown_api_path_answers_404_in_the_envelope()
    {
        var error = await app.Service().GetAsync("/api/no/such/endpoint", expect: 404);

        Assert.Equal(404, error["code"]!.GetValue<int>());
        Assert.Equal("/api/no/such/endpoint", error["path"]!.GetValue<string>());
        Assert.Contains("not found", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_missing_field_answers_400_naming_it()
    {
        var error = await app.Anonymous().PostAsync("/api/auth/login", new { name = "admin" }, expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.StartsWith("password:", error["detail"]!.GetValue<string>());
        var loc = error["errors"]![0]!["loc"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["body", "password"], loc);
    }

    [Fact]
    public async Task a_field_of_the_wrong_type_answers_400_naming_it()
    {
        var error = await app.Anonymous().PostRawAsync("/api/auth/login", """{"name": ["admin"], "password": "x"}""", expect: 400);

        Assert.StartsWith("name:", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task malformed_json_answers_400()
    {
        var error = await app.Anonymous().PostRawAsync("/api/auth/login", """{"name": "admin", """, expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(error["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task an_empty_json_body_answers_400()
    {
        var error = await app.Anonymous().PostRawAsync("/api/auth/login", "", expect: 400);

        Assert.Contains("body", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_body_that_is_not_json_answers_415_in_the_envelope()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = new StringContent("name=admin") };

        var error = await app.Anonymous().SendAsync(request, expect: 415);

        Assert.Equal(415, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_wrong_method_answers_405_in_the_envelope()
    {
        var error = await app.Service().SendAsync(HttpMethod.Delete, "/api/info", null, expect: 405);

        Assert.Equal(405, error["code"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/info")]
    [InlineData("/api/users/me")]
    [InlineData("/api/nothing/here")]
    public async Task every_response_carries_a_request_id(string path)
    {
        var api = app.Anonymous();

        var response = await api.Http.GetAsync(path);

        Assert.True(response.Headers.TryGetValues("X-Request-ID", out var ids));
        Assert.Matches("^[0-9a-f]{32}$", ids.Single());
    }

    [Fact]
    public async Task two_requests_get_different_request_ids()
    {
        var api = app.Anonymous();

        var first = await api.Http.GetAsync("/api/info");
        var second = await api.Http.GetAsync("/api/info");

        Assert.NotEqual(first.Headers.GetValues("X-Request-ID").Single(), second.Headers.GetValues("X-Request-ID").Single());
    }

    [Fact]
    public async Task json_responses_use_camel_case_and_omit_nulls()
    {
        var info = (await app.Anonymous().GetAsync("/api/info")).AsObject();

        Assert.True(info.ContainsKey("serverVersion"));
        Assert.False(info.ContainsKey("user"));
        Assert.DoesNotContain(info, p => p.Value is null);
        Assert.IsType<JsonObject>(info);
    }
}
