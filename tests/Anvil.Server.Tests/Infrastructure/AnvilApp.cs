using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Users;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>
/// The real server (the whole HTTP pipeline) over the run's PostgreSQL database and Redis. Test
/// classes use it as a class fixture; subclasses change settings (e.g. a short session TTL).
/// </summary>
public class AnvilApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminPassword = "admin-Password-1";
    public const string ServiceApiKey = "test-service-api-key-0123456789ab";

    /// <summary>The key that seals secrets in the tests (32 bytes, base64).</summary>
    public const string SecretsKey = "dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU=";

    string _databaseUrl = "";

    /// <summary>Settings on top of the defaults, as AYON_* variable names.</summary>
    protected virtual IEnumerable<(string Variable, string Value)> Settings => [];

    public virtual async Task InitializeAsync()
    {
        _databaseUrl = await DatabaseUrlAsync();
        // Building the server runs its migrations; then the users a fresh server gets from setup.
        await Services.GetRequiredService<UserSetup>().EnsureAsync();
    }

    protected virtual Task<string> DatabaseUrlAsync() => TestEnvironment.DatabaseUrlAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string>
        {
            ["AYON_POSTGRES_URL"] = _databaseUrl,
            ["AYON_REDIS_URL"] = TestEnvironment.RedisUrl,
            ["AYON_REDIS_KEY_PREFIX"] = $"anvil-test-{TestEnvironment.RunId}:",
            ["AYON_REDIS_CHANNEL"] = $"anvil-test-{TestEnvironment.RunId}",
            ["AYON_ADMIN_PASSWORD"] = AdminPassword,
            ["AYON_SERVICE_API_KEY"] = ServiceApiKey,
            ["AYON_SECRETS_KEY"] = SecretsKey,
            ["AYON_PASSWORD_HASH_ITERATIONS"] = "1000",
            ["AYON_OPENAPI_REQUIRE_AUTHENTICATION"] = "false",
            ["AYON_LOG_LEVEL"] = "WARNING",
        };
        foreach (var (variable, value) in Settings)
            settings[variable] = value;
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
    }

    /// <summary>A client with no credentials.</summary>
    public Api Anonymous() => new(CreateClient());

    /// <summary>A client that sends the service user's API key, as the official client in service mode.</summary>
    public Api Service()
    {
        var api = Anonymous();
        api.Http.DefaultRequestHeaders.Add("X-Api-Key", ServiceApiKey);
        return api;
    }

    /// <summary>A client logged in through <c>POST /api/auth/login</c>.</summary>
    public async Task<Api> LoginAsync(string name = "admin", string password = AdminPassword)
    {
        var api = Anonymous();
        var response = await api.PostAsync("/api/auth/login", new { name, password });
        api.Http.DefaultRequestHeaders.Authorization = new("Bearer", response["token"]!.GetValue<string>());
        return api;
    }

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();
}
