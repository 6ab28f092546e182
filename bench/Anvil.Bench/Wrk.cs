using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Anvil.Bench;

/// <summary>One wrk run: requests per second and the 99th percentile latency (ms).</summary>
public sealed record WrkResult(double RequestsPerSecond, double P99Ms);

/// <summary>HTTP throughput with wrk (Debian's package; bench/run installs it).</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(Uri url, int connections, int seconds, string? apiKey, IEnumerable<string>? headers = null, string? script = null)
    {
        var arguments = new List<string> { "-t", Math.Min(connections, 2).ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{seconds}s", "--latency",
            // wrk's default (2 s) drops the slow reads at 64 connections: counted as no throughput at all.
            "--timeout", "30s" };
        if (apiKey is not null)
            arguments.AddRange(["-H", $"X-Api-Key: {apiKey}"]);
        foreach (var header in headers ?? [])
            arguments.AddRange(["-H", header]);
        if (script is not null)
            arguments.AddRange(["-s", script]);
        arguments.Add(url.ToString());
        // In a session of its own: neither the floor app nor the server shares wrk's scheduling group (Sessions).
        var start = Sessions.OwnSession("wrk", arguments);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rate = RequestsPerSecond().Match(output);
        var p99 = Percentile99().Match(output);
        if (process.ExitCode != 0 || !rate.Success || !p99.Success)
            throw new InvalidOperationException($"wrk {url} failed: {output}{await process.StandardError.ReadToEndAsync()}");
        if (NonSuccess().Match(output) is { Success: true } errors)
            throw new InvalidOperationException($"wrk {url}: {errors.Value.Trim()} — is the URL right?");
        return new WrkResult(double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), Milliseconds(p99.Groups[1].Value, p99.Groups[2].Value));
    }

    static double Milliseconds(string value, string unit) => double.Parse(value, CultureInfo.InvariantCulture) * unit switch
    {
        "us" => 0.001,
        "ms" => 1,
        "s" => 1000,
        _ => 60_000,
    };

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex Percentile99();

    [GeneratedRegex(@"Non-2xx or 3xx responses: \d+")]
    private static partial Regex NonSuccess();
}
