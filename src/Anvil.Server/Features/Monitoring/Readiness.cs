using Anvil.Server.Data;
using Anvil.Server.Messaging;
using Npgsql;

namespace Anvil.Server.Features.Monitoring;

/// <summary>What <c>GET /health/ready</c> answers: the verdict and each dependency's state.</summary>
/// <param name="Status"><c>ready</c>, <c>degraded</c> (serving, Redis away) or <c>unavailable</c> (503).</param>
/// <param name="Postgres"><c>ok</c> or <c>unreachable</c>.</param>
/// <param name="Migrations"><c>applied</c>, <c>pending</c> (this version's migrations have not all run) or <c>unknown</c>.</param>
/// <param name="Redis"><c>ok</c> or <c>unreachable</c>.</param>
public sealed record ReadinessReport(string Status, string Postgres, string Migrations, string Redis)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Ready => Status != "unavailable";
}

/// <summary>
/// Whether this instance can serve: PostgreSQL answers and holds every migration this version
/// embeds, and Redis is connected. Without Redis the instance still serves (API keys, reads, writes;
/// events wait in the outbox and the caches are off) and says <c>degraded</c>, so a Redis outage
/// does not take every replica out of its load balancer at once. One check runs at a time and its
/// answer is kept a second, so probing every second from several places costs one query a second.
/// </summary>
public sealed class Readiness(Db db, Redis redis, TimeProvider time)
{
    static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(1);
    static readonly TimeSpan PostgresTimeout = TimeSpan.FromSeconds(2);
    static readonly int[] Expected = [.. MigrationRunner.Embedded.Select(m => m.Version)];

    readonly Lock _sync = new();
    Task<ReadinessReport>? _last;
    long _checkedAt;

    public Task<ReadinessReport> CheckAsync()
    {
        lock (_sync)
        {
            if (_last is null || (_last.IsCompleted && time.GetElapsedTime(_checkedAt) >= KeepFor))
            {
                _checkedAt = time.GetTimestamp();
                _last = RunAsync();
            }
            return _last;
        }
    }

    async Task<ReadinessReport> RunAsync()
    {
        var (postgres, migrations) = await CheckPostgresAsync();
        var redisState = redis.Connection.IsConnected ? "ok" : "unreachable";
        var status = postgres != "ok" || migrations != "applied" ? "unavailable"
            : redisState != "ok" ? "degraded"
            : "ready";
        return new ReadinessReport(status, postgres, migrations, redisState);
    }

    async Task<(string Postgres, string Migrations)> CheckPostgresAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(PostgresTimeout);
            await using var connection = await db.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT count(*) FROM schema_migrations WHERE version = ANY(@versions)", connection);
            command.Parameters.AddWithValue("versions", Expected);
            var applied = (long)(await command.ExecuteScalarAsync(timeout.Token))!;
            return ("ok", applied == Expected.Length ? "applied" : "pending");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return ("ok", "pending");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return ("unreachable", "unknown");
        }
    }
}
