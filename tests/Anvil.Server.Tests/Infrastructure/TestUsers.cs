using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Users other than admin and service, made directly (user management is another issue).</summary>
public static class TestUsers
{
    public const string Password = "artist-Password-1";

    /// <summary>A logged-in client of a new, ordinary (non-manager) user; <paramref name="data"/> adds to its data.</summary>
    public static async Task<Api> ArtistAsync(this AnvilApp app, JsonObject? data = null)
    {
        var name = Unique.Name("artist");
        var store = app.Services.GetRequiredService<UserStore>();
        await store.UpsertAsync(name, data ?? [], new JsonObject(), Secrets.HashPassword(Password, 1000));
        return await app.LoginAsync(name, Password);
    }
}
