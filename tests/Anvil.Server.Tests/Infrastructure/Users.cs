using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Test users, written through the server's own store until the users API exists to do it over HTTP.</summary>
public static class Users
{
    public const string Password = "Artist-password-1";

    public static async Task<string> CreateAsync(AnvilApp app, string prefix = "artist", JsonObject? data = null, string? password = Password)
    {
        var name = Unique.Name(prefix);
        var options = app.Services.GetRequiredService<AyonOptions>();
        await app.Services.GetRequiredService<UserStore>().UpsertAsync(name, data ?? [], null,
            password is null ? null : Secrets.HashPassword(password, options.PasswordHashIterations));
        return name;
    }

    /// <summary>A logged-in client of a new, ordinary (non-manager) user; <paramref name="data"/> adds to its data.</summary>
    public static async Task<Api> ArtistAsync(this AnvilApp app, JsonObject? data = null) =>
        await app.LoginAsync(await CreateAsync(app, "artist", data), Password);

    public static async Task<string> CreateServiceAsync(AnvilApp app, string apiKey)
    {
        var name = await CreateAsync(app, "svc", new JsonObject { ["isService"] = true }, password: null);
        var options = app.Services.GetRequiredService<AyonOptions>();
        await app.Services.GetRequiredService<UserStore>().AddApiKeyAsync(name, Secrets.HashApiKey(apiKey, options.AuthPassPepper), Secrets.Preview(apiKey), "test");
        return name;
    }
}
