using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>
/// "Scale by adding instances", measured: a mixed read workload (<see cref="Mix"/>) with wrk against
/// the server alone, then against it and a second instance the bench starts itself — the same build
/// and settings (the first one's command line, working directory and environment, on a free port),
/// so behind the same PostgreSQL and Redis — with the connections split between them.
/// </summary>
public static class TwoInstances
{
    /// <summary>
    /// What chatty clients ask, per 20 requests: launchers and services polling /api/info (10), tools
    /// reading one folder (6), loaders' small GraphQL queries (3), a web UI listing the project (1).
    /// </summary>
    public static readonly (string What, int Weight)[] Mix =
        [("/api/info", 10), ("one folder by id", 6), ("GraphQL: one folder by path", 3), ("the flat folder list", 1)];

    public const int Connections = 64;

    public static string MixText => string.Join(", ", Mix.Select(m => $"{m.Weight * 100 / Mix.Sum(x => x.Weight)} % {m.What}"));

    /// <summary>The wrk script: the mix's requests in a fixed cycle (each thread from its own place), each thread on one of <paramref name="ports"/>.</summary>
    public static string Script(string project, string folderId, string folderPath, IReadOnlyList<int> ports)
    {
        var graphQl = JsonSerializer.Serialize(new
        {
            query = GraphQlQueries.FoldersByPath.Replace("{page}", "first: 300", StringComparison.Ordinal),
            variables = new { projectName = project, folderPaths = new[] { folderPath } },
        });
        string[] requests =
        [
            Request("GET", "/api/info", null),
            Request("GET", $"/api/projects/{project}/folders/{folderId}", null),
            Request("POST", "/graphql", graphQl),
            Request("GET", $"/api/projects/{project}/folders", null),
        ];
        var cycle = new StringBuilder();
        for (var i = 0; i < Mix.Length; i++)
            for (var n = 0; n < Mix[i].Weight; n++)
                cycle.Append(CultureInfo.InvariantCulture, $"{i + 1}, ");
        return $$"""
            -- anvil bench run: the mixed read workload ({{MixText}}).
            local ports = { {{string.Join(", ", ports)}} }
            local threads = 0
            function setup(thread)
              thread:set("index", threads)
              thread.addr = wrk.lookup("127.0.0.1", tostring(ports[threads % #ports + 1]))[1]
              threads = threads + 1
            end
            local kinds = { {{string.Join(", ", requests)}} }
            local cycle = { {{cycle}} }
            local prepared = {}
            local position = 0
            function init(args)
              for i, kind in ipairs(kinds) do
                local headers = {}
                for name, value in pairs(wrk.headers) do headers[name] = value end
                if kind.body then headers["Content-Type"] = "application/json" end
                prepared[i] = wrk.format(kind.method, kind.path, headers, kind.body)
              end
              position = index * 7
            end
            function request()
              position = position + 1
              return prepared[cycle[position % #cycle + 1]]
            end
            """;
    }

    static string Request(string method, string path, string? body) =>
        $"{{ method = \"{method}\", path = \"{path}\"{(body is null ? "" : $", body = {LuaString(body)}")} }}";

    static string LuaString(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// A second server instance started from the first one's process (its command line, working directory
/// and environment: the same build and settings), listening on a free port. Stopped on dispose, on
/// SIGINT, SIGTERM and SIGHUP, and — should the bench die without running any of that (SIGKILL) —
/// by a watchdog shell that ends it within a second of the bench.
/// </summary>
public sealed class SecondInstance : IAsyncDisposable
{
    readonly Process _process;
    readonly Process _watchdog;
    readonly PosixSignalRegistration[] _signals;
    int _stopped;

    public int Port { get; }

    SecondInstance(Process process, int port)
    {
        (_process, Port) = (process, port);
        _signals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(signal => PosixSignalRegistration.Create(signal, _ => Stop()))];
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        _watchdog = Process.Start(new ProcessStartInfo("/bin/sh",
            ["-c", $"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 {process.Id} 2>/dev/null; do sleep 1; done; kill {process.Id} 2>/dev/null"])
        {
            UseShellExecute = false,
        })!;
    }

    public static async Task<SecondInstance> StartAsync(int pid)
    {
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (commandLine.Length < 2 || !commandLine.Any(a => a.EndsWith("Anvil.Server.dll", StringComparison.Ordinal)))
            throw new InvalidOperationException($"process {pid} is not an Anvil server ({string.Join(' ', commandLine.Take(2))})");
        var port = FloorProcess.FreePort();
        // In a session of its own, as the first instance (Sessions).
        var start = Sessions.OwnSession(commandLine[0], commandLine.Skip(1));
        start.WorkingDirectory = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(true)?.FullName;
        start.UseShellExecute = false;
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.Environment.Clear();
        foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
            if (entry.IndexOf('=') is > 0 and var equals)
                start.Environment[entry[..equals]] = entry[(equals + 1)..];
        start.Environment["AYON_HTTP_LISTEN_PORT"] = port.ToString(CultureInfo.InvariantCulture);

        var process = Process.Start(start)!;
        // Read its output, or a full pipe would stop it; kept only to explain a failed start.
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var instance = new SecondInstance(process, port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; attempt < 600 && !process.HasExited; attempt++)
        {
            try
            {
                if ((await http.GetFromJsonAsync<JsonObject>("/api/info")) is not null)
                    return instance;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }
        await instance.DisposeAsync();
        string log;
        lock (output) log = output.ToString();
        throw new InvalidOperationException($"the second instance did not start on port {port}:\n{string.Join('\n', log.Split('\n').TakeLast(20))}");
    }

    void OnExit(object? sender, EventArgs e) => Stop();

    void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
            return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        foreach (var signal in _signals)
            signal.Dispose();
        _process.Dispose();
        _watchdog.Dispose();
        return ValueTask.CompletedTask;
    }
}
