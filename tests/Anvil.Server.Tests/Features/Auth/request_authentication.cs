using Anvil.Server.Features.Auth;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>
/// <see cref="AyonAuthentication"/>: a known key's identity is made once and dropped with the key's cache
/// entry, and an endpoint's requirement is a login or nothing — never a requirement left unchecked.
/// </summary>
public sealed class request_authentication(AnvilApp app) : IClassFixture<AnvilApp>
{
    async Task<CredentialResult> ResolveAsync(string key)
    {
        using var scope = app.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers["X-Api-Key"] = key;
        return (await AyonAuthentication.ResolveAsync(context, app.Services.GetRequiredService<CredentialResolver>()))!;
    }

    /// <summary>Runs the middleware for a request to an endpoint with <paramref name="metadata"/>; the status it answered, or 200 when it let the request through.</summary>
    async Task<int> RunAsync(string? key, params object[] metadata)
    {
        using var scope = app.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Response.Body = new MemoryStream();
        if (key is not null)
            context.Request.Headers["X-Api-Key"] = key;
        context.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(metadata), "test endpoint"));
        var reached = false;
        var middleware = new AyonAuthentication(
            _ => { reached = true; return Task.CompletedTask; },
            app.Services.GetRequiredService<CredentialResolver>(),
            app.Services.GetRequiredService<ApiKeyRateLimiter>());
        await middleware.InvokeAsync(context);
        return reached ? 200 : context.Response.StatusCode;
    }

    [Fact]
    public async Task a_known_key_keeps_one_identity_until_the_key_changes()
    {
        var admin = await app.LoginAsync();
        var user = await Users.CreateAsync(app);
        var created = await admin.PostAsync($"/api/users/{user}/apikeys", new { label = "poller" });
        var key = created["key"]!.GetValue<string>();

        var first = await ResolveAsync(key);
        var second = await ResolveAsync(key);
        await admin.PatchAsync($"/api/users/{user}/apikeys/{created["id"]!.GetValue<string>()}", new { access = "read" }, expect: 204);
        var afterChange = await ResolveAsync(key);

        Assert.Same(first.User, second.User);
        Assert.Same(first.Principal, second.Principal);
        Assert.True(first.Principal.Identity!.IsAuthenticated);
        Assert.Equal(user, first.Principal.Identity.Name);
        Assert.False(first.User!.Scope!.ReadOnly);
        Assert.NotSame(first.User, afterChange.User);
        Assert.True(afterChange.User!.Scope!.ReadOnly);
    }

    [Fact]
    public async Task a_wrong_key_is_refused_without_touching_the_cache_of_the_right_one()
    {
        var right = await ResolveAsync(AnvilApp.ServiceApiKey);

        var wrong = await ResolveAsync(AnvilApp.ServiceApiKey + "x");

        Assert.Null(wrong.User);
        Assert.Equal("Invalid API key", wrong.Failure);
        Assert.False(wrong.Principal.Identity!.IsAuthenticated);
        Assert.Same(right.User, (await ResolveAsync(AnvilApp.ServiceApiKey)).User);
    }

    [Fact]
    public async Task an_endpoint_requiring_authorization_needs_a_valid_credential_and_anonymous_ones_do_not()
    {
        Assert.Equal(401, await RunAsync(null, new AuthorizeAttribute()));
        Assert.Equal(401, await RunAsync("not a key", new AuthorizeAttribute()));
        Assert.Equal(200, await RunAsync(AnvilApp.ServiceApiKey, new AuthorizeAttribute()));
        Assert.Equal(200, await RunAsync(null, new AuthorizeAttribute(), new AllowAnonymousAttribute()));
        Assert.Equal(200, await RunAsync("not a key", new AllowAnonymousAttribute()));
        Assert.Equal(200, await RunAsync(null));
    }

    [Fact]
    public async Task an_endpoint_asking_for_more_than_a_login_is_refused_not_let_through()
    {
        foreach (var metadata in new object[] { new AuthorizeAttribute("SomePolicy"), new AuthorizeAttribute { Roles = "admin" }, new AuthorizeAttribute { AuthenticationSchemes = "Other" } })
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(AnvilApp.ServiceApiKey, metadata));
            await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(null, metadata));
        }
    }

    [Fact]
    public async Task through_http_a_protected_route_answers_401_naming_why_and_a_public_one_answers()
    {
        var anonymous = app.Anonymous();
        var badKey = app.Anonymous();
        badKey.Http.DefaultRequestHeaders.Add("X-Api-Key", "not a key");

        var none = await anonymous.GetAsync("/api/users/me", expect: 401);
        var invalid = await badKey.GetAsync("/api/users/me", expect: 401);
        var info = await badKey.GetAsync("/api/info");

        Assert.Equal("Not logged in", none["detail"]!.GetValue<string>());
        Assert.Equal("Invalid API key", invalid["detail"]!.GetValue<string>());
        Assert.Null(info["user"]);
        Assert.NotNull(info["version"]);
    }
}
