using System.Diagnostics;
using System.Globalization;

namespace Anvil.Bench;

/// <summary>CPU time spent so far by the server process, the PostgreSQL cluster and this process.</summary>
public sealed record CpuSample(TimeSpan? Server, TimeSpan? Postgres, TimeSpan Bench)
{
    public static CpuSample operator -(CpuSample after, CpuSample before) =>
        new(after.Server - before.Server, after.Postgres - before.Postgres, after.Bench - before.Bench);

    /// <summary>Each part per unit of work, in milliseconds: "server 1.23 ms, PostgreSQL 0.98 ms, bench 0.40 ms".</summary>
    public string PerUnit(int units)
    {
        static string Part(string name, TimeSpan? time, int units) =>
            time is { } t ? string.Create(CultureInfo.InvariantCulture, $"{name} {t.TotalMilliseconds / units:F2} ms") : $"{name} unknown";
        return $"{Part("server", Server, units)}, {Part("PostgreSQL", Postgres, units)}, {Part("bench", Bench, units)}";
    }
}

/// <summary>
/// Reads CPU time from Linux /proc: of the server (<c>ANVIL_SERVER_PID</c>, set by <c>bench/run</c> for a
/// local server), of the PostgreSQL cluster (its postmaster and every backend, the ones that ended
/// included) and of the bench itself. On a machine shared with other work, CPU per unit of work
/// compares builds where rates cannot. A part that is not on this machine reads as unknown.
/// </summary>
public sealed class CpuMeter(int? serverPid, int? postmasterPid)
{
    // USER_HZ: what /proc/<pid>/stat counts in, 100 on every Linux this runs on.
    const double TicksPerSecond = 100;

    /// <summary>The meter of the local server and of the database the bench's connection string names.</summary>
    public static async Task<CpuMeter> LocalAsync(Settings settings)
    {
        int? server = int.TryParse(Environment.GetEnvironmentVariable("ANVIL_SERVER_PID"), out var pid) && File.Exists($"/proc/{pid}/stat") ? pid : null;
        int? postmaster = null;
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT pg_backend_pid()", connection);
            var backend = (int)(await command.ExecuteScalarAsync())!;
            postmaster = ParentOf(backend);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or ArgumentException)
        {
        }
        return new CpuMeter(server, postmaster);
    }

    public CpuSample Read() => new(
        serverPid is { } server ? Ticks(server, withChildren: false) : null,
        postmasterPid is { } postmaster ? Cluster(postmaster) : null,
        Process.GetCurrentProcess().TotalProcessorTime);

    static int? ParentOf(int pid)
    {
        var line = File.Exists($"/proc/{pid}/status")
            ? File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal))
            : null;
        return line is null ? null : int.Parse(line["PPid:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The postmaster's own time and its ended children's, and the time of every child still running.</summary>
    static TimeSpan? Cluster(int postmaster)
    {
        if (Ticks(postmaster, withChildren: true) is not { } total)
            return null;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == postmaster)
                continue;
            if (Fields(pid) is { } fields && fields[1] == postmaster.ToString(CultureInfo.InvariantCulture))
                total += Time(fields, withChildren: false);
        }
        return total;
    }

    static TimeSpan? Ticks(int pid, bool withChildren) => Fields(pid) is { } fields ? Time(fields, withChildren) : null;

    /// <summary>utime, stime (and cutime, cstime): fields 14 to 17 of /proc/pid/stat, counted from after the command's name.</summary>
    static TimeSpan Time(string[] fields, bool withChildren)
    {
        var ticks = 0L;
        for (var i = 11; i <= (withChildren ? 14 : 12); i++)
            ticks += long.Parse(fields[i], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The fields of /proc/pid/stat after the command name (state first, then the parent's pid), or null when it is gone.</summary>
    static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
