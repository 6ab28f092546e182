using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Users;

/// <summary>
/// The users a fresh server needs, made idempotently: <c>admin</c> (password from
/// <c>AYON_ADMIN_PASSWORD</c>, else generated once) and, when <c>AYON_SERVICE_API_KEY</c> is set, a
/// service user <c>service</c> holding that key.
/// </summary>
public sealed class UserSetup(UserStore users, Db db, AyonOptions options, ILogger<UserSetup> logger)
{
    public const string AdminName = "admin";
    public const string ServiceName = "service";

    /// <summary>Returns the admin password when this call generated one (to be shown once), else null.</summary>
    public async Task<string?> EnsureAsync(CancellationToken cancellationToken = default)
    {
        // Instances starting together would both find no admin and both insert one: one at a time.
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = LockKey });
        try
        {
            var generated = await EnsureAdminAsync(cancellationToken);
            if (!string.IsNullOrEmpty(options.ServiceApiKey))
                await EnsureServiceAsync(options.ServiceApiKey, cancellationToken);
            return generated;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = LockKey });
        }
    }

    const long LockKey = 0x616e76696c_757372; // "anvil usr"

    async Task<string?> EnsureAdminAsync(CancellationToken cancellationToken)
    {
        var admin = await users.GetAsync(AdminName, cancellationToken);
        var wanted = options.AdminPassword;
        string? generated = null;
        if (admin is null && string.IsNullOrEmpty(wanted))
            wanted = generated = Secrets.NewPassword();

        var data = new JsonObject { ["isAdmin"] = true };
        if (admin is null)
        {
            await users.UpsertAsync(AdminName, data, new JsonObject { ["fullName"] = "Administrator" },
                Secrets.HashPassword(wanted!, options.PasswordHashIterations), cancellationToken);
            logger.LogInformation("Created user {User}", AdminName);
        }
        else if (!string.IsNullOrEmpty(wanted) &&
                 (admin.PasswordHash is null || !Secrets.VerifyPassword(wanted, admin.PasswordHash, options.AuthPassPepper, options.PasswordHashIterations, out _)))
        {
            await users.UpsertAsync(AdminName, data, passwordHash: Secrets.HashPassword(wanted, options.PasswordHashIterations), cancellationToken: cancellationToken);
            logger.LogInformation("Set the password of {User} from AYON_ADMIN_PASSWORD", AdminName);
        }
        return generated;
    }

    async Task EnsureServiceAsync(string apiKey, CancellationToken cancellationToken)
    {
        if (apiKey.Length < 16)
            throw new ConfigurationError("AYON_SERVICE_API_KEY: an API key needs at least 16 characters");
        await users.UpsertAsync(ServiceName, new JsonObject { ["isService"] = true, ["isAdmin"] = false },
            new JsonObject { ["fullName"] = "Service" }, cancellationToken: cancellationToken);
        await users.AddApiKeyAsync(ServiceName, Secrets.HashApiKey(apiKey, options.AuthPassPepper), Secrets.Preview(apiKey), "AYON_SERVICE_API_KEY", cancellationToken);
    }
}
