using Npgsql;

namespace Anvil.Bench;

/// <summary>
/// Where the bench finds the server, its database and its own files; set by <c>bench/run</c> from the
/// local installation (.anvil/) unless given in the environment.
/// </summary>
public sealed record Settings(Uri ServerUrl, string ApiKey, string? DatabaseUrl, string Project, string StateDirectory, string ResultsDirectory)
{
    public static Settings FromEnvironment() => new(
        new Uri(Environment.GetEnvironmentVariable("AYON_SERVER_URL") ?? "http://127.0.0.1:5000"),
        Required("AYON_API_KEY"),
        Environment.GetEnvironmentVariable("AYON_POSTGRES_URL"),
        Environment.GetEnvironmentVariable("ANVIL_BENCH_PROJECT") ?? "bench_big_feature",
        Required("ANVIL_BENCH_STATE"),
        Required("ANVIL_BENCH_RESULTS"));

    /// <summary>An API client of a service user; enough connections for every concurrency the bench uses.</summary>
    public HttpClient CreateClient()
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = ServerUrl, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return http;
    }

    /// <summary>The database as an Npgsql connection string (from AYON's <c>postgres://user:password@host:port/db</c>); only <c>run</c> needs it.</summary>
    public string ConnectionString
    {
        get
        {
            var url = new Uri(DatabaseUrl ?? throw new InvalidOperationException("AYON_POSTGRES_URL is not set: bench run reads the server's database"));
            var credentials = url.UserInfo.Split(':', 2);
            return new NpgsqlConnectionStringBuilder
            {
                Host = url.Host,
                Port = url.IsDefaultPort ? 5432 : url.Port,
                Database = url.AbsolutePath.Trim('/'),
                Username = Uri.UnescapeDataString(credentials[0]),
                Password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : null,
                MaxPoolSize = 100,
            }.ConnectionString;
        }
    }

    public string SeedRecordPath => Path.Combine(StateDirectory, $"seed-{Project}.json");

    static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set (bench/run sets it)");
}
