using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL and Redis the tests run against, given by <c>./anvil test</c> as
/// AYON_TEST_POSTGRES_URL (a maintenance database to create test databases from) and
/// AYON_TEST_REDIS_URL. One fresh database and one Redis key prefix per test run.
/// </summary>
public static class TestEnvironment
{
    public static string AdminUrl { get; } = Require("AYON_TEST_POSTGRES_URL");
    public static string RedisUrl { get; } = Require("AYON_TEST_REDIS_URL");
    public static string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    static readonly Lazy<Task<string>> SharedDatabase = new(() => CreateDatabaseAsync("anvil_test_" + RunId));

    /// <summary>The database shared by the run's test classes (each isolates itself by unique names).</summary>
    public static Task<string> DatabaseUrlAsync() => SharedDatabase.Value;

    /// <summary>A new, empty database; for tests that need a database of their own (migrations).</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(AdminUrl));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new UriBuilder(AdminUrl) { Path = "/" + name }.Uri.ToString();
    }

    public static string ConnectionString(string url) => Options(("AYON_POSTGRES_URL", url)).PostgresConnectionString();

    /// <summary>Server options as the server would read them from these variables.</summary>
    public static global::Anvil.Server.Hosting.AyonOptions Options(params (string Variable, string Value)[] variables) =>
        global::Anvil.Server.Hosting.AyonOptions.Load(new ConfigurationBuilder()
            .AddInMemoryCollection(variables.Select(v => new KeyValuePair<string, string?>(v.Variable, v.Value)))
            .Build());

    static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run the tests with ./anvil test, which starts PostgreSQL and Redis for them");
}
