using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Addons;

/// <summary>What the addon host exported for one version (contract §3), or why it could not.</summary>
/// <param name="Document">The export document; null when the host gave none (then <paramref name="IsBroken"/>).</param>
/// <param name="IsBroken">Whether the version cannot be loaded.</param>
/// <param name="Reason">Why it is broken, for a person to act on; null when it is not.</param>
public sealed record AddonExport(JsonObject? Document, bool IsBroken, string? Reason)
{
    public static AddonExport Broken(string reason) => new(null, true, reason);

    /// <summary>The <c>addon</c> part of the document (class metadata), or null.</summary>
    public JsonObject? Addon => Document?["addon"] as JsonObject;
}

/// <summary>
/// Runs the Python addon host (<c>python -m anvil_addon_host export ...</c>) as a separate process: a
/// clean environment (no database or Redis URL, no secrets), its own memory limit, killed with its
/// whole process tree at the export timeout. Every failure becomes a broken export with a reason a
/// person can act on; nothing here throws for an addon's fault.
/// </summary>
public sealed class AddonHost(AyonOptions options, ILogger<AddonHost> logger)
{
    /// <summary>The most of stderr kept for a failure reason.</summary>
    const int StderrTail = 4096;

    /// <summary>The largest export document read; a host that writes more is broken.</summary>
    const int MaxStdout = 256 * 1024 * 1024;

    /// <summary>
    /// How every addon host process is started (the one-shot export and the live host): the interpreter
    /// of <c>AYON_ADDON_HOST_PYTHON</c> running <c>-m anvil_addon_host &lt;arguments&gt;</c> in
    /// <paramref name="workingDirectory"/>, all three standard streams redirected, and a clean
    /// environment — <c>PATH</c>, <c>HOME</c>, <c>LANG</c>, <c>PYTHONPATH</c> (the host package),
    /// <c>PYTHONDONTWRITEBYTECODE</c> and the memory limit, nothing else: no database or Redis URL, no secret.
    /// </summary>
    internal static ProcessStartInfo StartInfo(AyonOptions options, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(options.AddonHostPython)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-m");
        start.ArgumentList.Add("anvil_addon_host");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? workingDirectory;
        start.Environment["LANG"] = Environment.GetEnvironmentVariable("LANG") ?? "C.UTF-8";
        start.Environment["PYTHONPATH"] = AddonHostCode.Directory;
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["ANVIL_HOST_MEMORY_LIMIT_MB"] = options.AddonHostMemoryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return start;
    }

    /// <summary>The reason given when the interpreter cannot be started.</summary>
    internal static string CannotStart(AyonOptions options, Win32Exception e) =>
        $"the addon host could not start: {options.AddonHostPython} ({e.Message}); set AYON_ADDON_HOST_PYTHON to a Python 3 interpreter";

    /// <summary>Loads the version in <paramref name="directory"/> in a new host process and answers its export.</summary>
    public async Task<AddonExport> ExportAsync(string directory, string name, string version, CancellationToken cancellationToken)
    {
        var start = StartInfo(options, directory, "export", "--dir", directory, "--name", name, "--version", version);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            logger.LogError("Cannot start the addon host {Python}: {Error}", options.AddonHostPython, e.Message);
            return AddonExport.Broken(CannotStart(options, e));
        }
        process.StandardInput.Close();
        var stderr = new OutputTail(StderrTail);
        var stderrDone = PumpAsync(process.StandardError, stderr);
        var stdoutTask = ReadBoundedAsync(process.StandardOutput);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.AddonExportTimeout));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (cancellationToken.IsCancellationRequested)
                throw;
            logger.LogWarning("Addon {Name} {Version}: the host did not finish within {Timeout} s and was killed", name, version, options.AddonExportTimeout);
            return AddonExport.Broken($"loading the addon's server code did not finish within {options.AddonExportTimeout} s (AYON_ADDON_EXPORT_TIMEOUT)");
        }
        string? stdout;
        try
        {
            // The host has exited; its pipes end once any children it left behind have gone too.
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            stdout = await stdoutTask.WaitAsync(drain.Token);
            await stderrDone.WaitAsync(drain.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            return AddonExport.Broken("the addon host left a process behind that kept its output open");
        }
        return Interpret(process.ExitCode, stdout, stderr.Text, name, version);
    }

    AddonExport Interpret(int exitCode, string? stdout, string stderr, string name, string version)
    {
        var tail = stderr.Trim();
        if (stdout is null)
            return AddonExport.Broken($"the addon host wrote more than {MaxStdout / (1024 * 1024)} MiB of output");
        JsonObject? document = null;
        try
        {
            document = JsonNode.Parse(stdout) as JsonObject;
        }
        catch (JsonException)
        {
        }
        if (exitCode != 0 || document is null)
        {
            logger.LogWarning("Addon {Name} {Version}: the host failed (exit {Exit}): {Stderr}", name, version, exitCode, tail);
            if (tail.Contains("MemoryError", StringComparison.Ordinal))
                return AddonExport.Broken($"loading the addon's server code ran out of memory (limit {options.AddonHostMemoryLimit} MiB, AYON_ADDON_HOST_MEMORY_LIMIT)");
            if (tail.Contains("No module named anvil_addon_host", StringComparison.Ordinal) || tail.Contains("No module named 'anvil_addon_host'", StringComparison.Ordinal))
                return AddonExport.Broken($"the addon host is not installed: no anvil_addon_host package in {AddonHostCode.Directory}");
            var status = exitCode switch
            {
                0 => "exited without writing an export",
                < 0 or > 128 => $"was killed by signal {(exitCode > 128 ? exitCode - 128 : -exitCode)}",
                _ => $"exited with status {exitCode}",
            };
            return AddonExport.Broken($"the addon host {status}" + (tail.Length > 0 ? $": {LastLines(tail, 6)}" : ""));
        }
        var isBroken = document["isBroken"] is JsonValue b && b.TryGetValue<bool>(out var broken) && broken;
        var reason = document["reason"] is JsonValue r && r.TryGetValue<string>(out var text) ? text : null;
        if (isBroken && string.IsNullOrWhiteSpace(reason))
            reason = "the addon host reported the addon broken without a reason";
        return new AddonExport(AyonJson.Settle(document), isBroken, isBroken ? reason : null);
    }

    internal static string LastLines(string text, int count)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join("\n", lines.Skip(Math.Max(0, lines.Length - count)));
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // It has exited meanwhile.
        }
    }

    static async Task PumpAsync(StreamReader reader, OutputTail tail)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
            tail.Append(buffer.AsSpan(0, read));
    }

    /// <summary>All of stdout, or null when it exceeds <see cref="MaxStdout"/> (the rest is read and dropped).</summary>
    static async Task<string?> ReadBoundedAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        var buffer = new char[65536];
        var overflow = false;
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (overflow || text.Length + read > MaxStdout)
            {
                overflow = true;
                continue;
            }
            text.Append(buffer, 0, read);
        }
        return overflow ? null : text.ToString();
    }
}

/// <summary>The last characters written to a stream.</summary>
internal sealed class OutputTail(int capacity)
{
    readonly StringBuilder _text = new();
    readonly Lock _sync = new();

    public void Append(ReadOnlySpan<char> chunk)
    {
        lock (_sync)
        {
            _text.Append(chunk);
            if (_text.Length > capacity * 2)
                _text.Remove(0, _text.Length - capacity);
        }
    }

    public string Text
    {
        get
        {
            lock (_sync)
                return _text.Length > capacity ? _text.ToString(_text.Length - capacity, capacity) : _text.ToString();
        }
    }
}
