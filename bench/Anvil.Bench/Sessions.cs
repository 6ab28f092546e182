using System.Diagnostics;

namespace Anvil.Bench;

/// <summary>
/// Every process the bench measures or loads with runs in a session of its own. Linux (with
/// <c>kernel.sched_autogroup_enabled</c>, Debian's default) schedules each session as one group, sharing
/// the cores fairly between groups first and between a group's threads second. A server in the same
/// group as its load generator hands each request and answer to it within the group; in another group
/// every hand-over also waits for the other group's turn on the core. The server is started elsewhere
/// (<c>./anvil up</c>), in its own session: the floor app, a second instance and wrk, which the bench
/// starts, must not share one (docs/benchmarks.md, "seventh round: /api/info").
/// </summary>
public static class Sessions
{
    /// <summary>Starts <paramref name="file"/> through setsid(1), which runs it in a new session under the same process id.</summary>
    public static ProcessStartInfo OwnSession(string file, IEnumerable<string> arguments) => new("setsid", [file, .. arguments]);

    /// <summary>The session of a process (Linux /proc), or null when it cannot be read.</summary>
    public static int? Of(int pid)
    {
        try
        {
            // After the command name, which may hold spaces and parentheses: state, ppid, pgrp, session.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A warning when the server runs in the bench's own session, so in the group of its client for the reads.</summary>
    public static string? SharedWithServer(int serverPid) =>
        Of(serverPid) is { } server && server == Of(Environment.ProcessId)
            ? $"bench: the server (pid {serverPid}) runs in this session: the kernel schedules it with the bench's reads, so they favour it over the floor; start it in a session of its own (setsid ./anvil up)"
            : null;
}
