using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Dapper;

namespace Anvil.Server.Features.Services;

/// <summary>A service as AYON shows it (<c>GET /api/services</c>, the heartbeat's answer).</summary>
public sealed record ServiceRecord
{
    public string Name { get; init; } = "";
    public string Hostname { get; init; } = "";
    public string AddonName { get; init; } = "";
    public string AddonVersion { get; init; } = "";
    public string Service { get; init; } = "";
    public bool ShouldRun { get; init; }

    /// <summary>Its host reported it running within the last <see cref="ServiceStore.RunningWindowSeconds"/> seconds.</summary>
    public bool IsRunning { get; init; }

    /// <summary>When its host last reported it running.</summary>
    public DateTimeOffset? LastSeen { get; init; }

    /// <summary>Seconds since <see cref="LastSeen"/>.</summary>
    public double? LastSeenDelta { get; init; }

    /// <summary>What the host needs to run it: <c>image</c> (from the addon package), <c>env</c>, <c>volumes</c>, <c>ports</c>, <c>memLimit</c>, <c>user</c>, ...</summary>
    public JsonObject Data { get; init; } = [];
}

/// <summary>A service host (ASH) as its last heartbeat left it.</summary>
public sealed record HostRecord
{
    public string Name { get; init; } = "";
    public DateTimeOffset LastSeen { get; init; }
    public JsonObject Health { get; init; } = [];
}

/// <summary>A service to create or replace.</summary>
public sealed record NewService(string Name, string Hostname, string AddonName, string AddonVersion, string Service, JsonObject Data);

/// <summary>The services table and the hosts table (migration 0015).</summary>
public sealed class ServiceStore(Db db)
{
    /// <summary>A service its host has not reported for longer than this is shown as not running (ASH reports every 2 s).</summary>
    public const int RunningWindowSeconds = 30;

    static readonly string Select = $"""
        SELECT name, hostname, addon_name, addon_version, service, should_run,
               is_running AND last_seen > now() - make_interval(secs => {RunningWindowSeconds}) AS is_running,
               last_seen, extract(epoch FROM now() - last_seen)::float8 AS last_seen_delta, data
        FROM services
        """;

    public async Task<IReadOnlyList<ServiceRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<ServiceRecord>(new CommandDefinition($"{Select} ORDER BY name", cancellationToken: cancellationToken))];
    }

    public async Task<ServiceRecord?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ServiceRecord>(new CommandDefinition(
            $"{Select} WHERE name = @name", new { name }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates the service, or replaces it (it then counts as not running until its host reports it).</summary>
    public async Task PutAsync(NewService service, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO services (name, hostname, addon_name, addon_version, service, data)
            VALUES (@Name, @Hostname, @AddonName, @AddonVersion, @Service, @Data)
            ON CONFLICT (name) DO UPDATE SET
                hostname = EXCLUDED.hostname, addon_name = EXCLUDED.addon_name, addon_version = EXCLUDED.addon_version,
                service = EXCLUDED.service, data = EXCLUDED.data, should_run = true, is_running = false
            """, service, cancellationToken: cancellationToken));
    }

    /// <summary>Changes what is given; false when there is no such service. Moving it to another host marks it not running.</summary>
    public async Task<bool> PatchAsync(string name, bool? shouldRun, string? hostname, JsonObject? data, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE services SET
                should_run = coalesce(@shouldRun, should_run),
                is_running = is_running AND (@hostname IS NULL OR @hostname = hostname),
                hostname = coalesce(@hostname, hostname),
                data = coalesce(@data, data)
            WHERE name = @name
            """, new { name, shouldRun, hostname, data }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM services WHERE name = @name", new { name }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// A host's heartbeat, in one transaction: upserts the host with its health, marks which of its
    /// services run (those get <c>last_seen</c> now), and answers the services that should run there.
    /// </summary>
    public async Task<IReadOnlyList<ServiceRecord>> HeartbeatAsync(string hostname, JsonObject health, IReadOnlyList<string> running, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO hosts (name, last_seen, health) VALUES (@hostname, now(), @health)
            ON CONFLICT (name) DO UPDATE SET last_seen = now(), health = EXCLUDED.health;
            UPDATE services SET
                is_running = name = ANY(@running),
                last_seen = CASE WHEN name = ANY(@running) THEN now() ELSE last_seen END
            WHERE hostname = @hostname;
            """, new { hostname, health, running = running.ToArray() }, transaction, cancellationToken: cancellationToken));
        var services = await connection.QueryAsync<ServiceRecord>(new CommandDefinition(
            $"{Select} WHERE hostname = @hostname AND should_run ORDER BY name", new { hostname }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return [.. services];
    }

    public async Task<IReadOnlyList<HostRecord>> HostsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<HostRecord>(new CommandDefinition(
            "SELECT name, last_seen, health FROM hosts ORDER BY name", cancellationToken: cancellationToken))];
    }
}
