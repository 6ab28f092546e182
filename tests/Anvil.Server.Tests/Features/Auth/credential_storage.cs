using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>Passwords under a slow KDF, API keys hashed, neither ever returned.</summary>
public sealed class credential_storage(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task passwords_are_stored_as_salted_pbkdf2_hashes()
    {
        var first = await Users.CreateAsync(app);
        var second = await Users.CreateAsync(app);

        var firstHash = await Sql.ScalarAsync<string>(app, "SELECT password_hash FROM users WHERE name = @first", new { first });
        var secondHash = await Sql.ScalarAsync<string>(app, "SELECT password_hash FROM users WHERE name = @second", new { second });

        Assert.StartsWith("pbkdf2-sha256$1000$", firstHash);
        Assert.DoesNotContain(Users.Password, firstHash);
        Assert.NotEqual(firstHash, secondHash);
    }

    [Fact]
    public async Task api_keys_are_stored_only_as_hashes()
    {
        var stored = await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM api_keys WHERE key_hash = @key OR preview = @key", new { key = AnvilApp.ServiceApiKey });
        var hashed = await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM api_keys WHERE key_hash = @hash",
            new { hash = Secrets.HashApiKey(AnvilApp.ServiceApiKey, "supersecretpasswordpepper") });

        Assert.Equal(0, stored);
        Assert.Equal(1, hashed);
    }

    [Fact]
    public async Task no_response_carries_a_hash_or_key()
    {
        var name = await Users.CreateAsync(app, data: new JsonObject { ["apiKey"] = "legacy-secret", ["password"] = "legacy-hash" });
        var hash = await Sql.ScalarAsync<string>(app, "SELECT password_hash FROM users WHERE name = @name", new { name });
        var api = await app.LoginAsync(name, Users.Password);

        var bodies = new[]
        {
            (await api.GetAsync("/api/users/me")).ToJsonString(),
            (await api.GetAsync("/api/info")).ToJsonString(),
            (await app.Anonymous().PostAsync("/api/auth/login", new { name, password = Users.Password })).ToJsonString(),
            (await app.Service().GetAsync("/api/users/me")).ToJsonString(),
        };

        foreach (var body in bodies)
        {
            Assert.DoesNotContain(hash!, body);
            Assert.DoesNotContain("legacy-secret", body);
            Assert.DoesNotContain("legacy-hash", body);
            Assert.DoesNotContain(AnvilApp.ServiceApiKey, body);
            Assert.DoesNotContain("pbkdf2", body);
        }
    }

    [Fact]
    public async Task a_legacy_ayon_password_hash_still_logs_in_and_is_upgraded()
    {
        var name = await Users.CreateAsync(app, password: null);
        const string salt = "0123456789abcdef";
        var legacy = Secrets.Sha256Hex($"Old-password-1:{salt}:supersecretpasswordpepper") + ":" + salt;
        await Sql.ExecuteAsync(app, "UPDATE users SET password_hash = @legacy WHERE name = @name", new { legacy, name });

        await app.LoginAsync(name, "Old-password-1");

        var upgraded = await Sql.ScalarAsync<string>(app, "SELECT password_hash FROM users WHERE name = @name", new { name });
        Assert.StartsWith("pbkdf2-sha256$", upgraded);
        await app.LoginAsync(name, "Old-password-1");
    }

    [Fact]
    public void password_verification_rejects_wrong_passwords_and_foreign_formats()
    {
        var hash = Secrets.HashPassword("right-one", 1000);

        Assert.True(Secrets.VerifyPassword("right-one", hash, "pepper", 1000, out var rehash));
        Assert.False(rehash);
        Assert.False(Secrets.VerifyPassword("wrong-one", hash, "pepper", 1000, out _));
        Assert.False(Secrets.VerifyPassword("right-one", "plaintext", "pepper", 1000, out _));
        Assert.True(Secrets.VerifyPassword("right-one", hash, "pepper", 2000, out rehash));
        Assert.True(rehash);
    }

    [Fact]
    public void previews_show_only_the_ends_of_a_key()
    {
        Assert.Equal("test***89ab", Secrets.Preview(AnvilApp.ServiceApiKey));
    }
}
