using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Users other than the seeded admin and service, made directly in the store (no user API yet).</summary>
public static class TestUsers
{
    public const string Password = "user-Password-1";

    /// <summary>Creates a user with a unique name and the given <c>data</c> flags, logged in.</summary>
    public static async Task<(string Name, Api Api)> CreateAsync(AnvilApp app, JsonObject? data = null, string prefix = "user")
    {
        var name = $"{prefix}{Guid.NewGuid():N}"[..20];
        await app.Services.GetRequiredService<UserStore>().UpsertAsync(name, data ?? [], passwordHash: Secrets.HashPassword(Password, 1000));
        return (name, await app.LoginAsync(name, Password));
    }

    public static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 12)];
}
