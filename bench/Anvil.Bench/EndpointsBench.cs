using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>
/// <c>anvil bench endpoints [FOLDER] [--runs 2000] [--seconds 5]</c>: the latency of an addon endpoint
/// served through the addon HTTP host (Anvil authenticates, forwards over the unix socket, streams the
/// answer back) next to a native route under the same prefix (<c>GET /api/addons/{name}/{version}/settings</c>)
/// and <c>/api/info</c>. FOLDER is an addon source tree with a GET <c>hello</c> endpoint (default
/// <c>tests/addons/endpoints</c>); it is zipped and installed under a fresh name. Sequential requests
/// with the service key (median, p95, p99), then wrk at 8 connections.
/// </summary>
public sealed class EndpointsBench(Settings settings, HttpClient http, string folder, Dictionary<string, int> options)
{
    public async Task RunAsync()
    {
        var name = $"benchendpoints{DateTime.UtcNow:HHmmss}";
        await InstallAsync(name);
        var proxied = $"/api/addons/{name}/1.0.0/hello?name=bench";
        var native = $"/api/addons/{name}/1.0.0/settings";
        Console.WriteLine($"anvil bench endpoints against {settings.ServerUrl}: addon {name} 1.0.0 from {folder}");
        await http.GetAsync(proxied); // starts the host and loads the version
        foreach (var path in new[] { proxied, native, "/api/info" })
            await MeasureAsync(path);
    }

    async Task MeasureAsync(string path)
    {
        for (var i = 0; i < 50; i++)
            (await http.GetAsync(path)).EnsureSuccessStatusCode();
        var latencies = new List<double>();
        for (var i = 0; i < options["runs"]; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(path);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        var latency = Percentiles.Of(latencies);
        var rate = await Wrk.RunAsync(new Uri(settings.ServerUrl, path), 8, options["seconds"], settings.ApiKey);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GET {path}: median {latency.Median:0.00} ms, p95 {latency.P95:0.00} ms, p99 {latency.P99:0.00} ms ({latency.Count} sequential); 8 connections {rate.RequestsPerSecond:N0} req/s (p99 {rate.P99Ms:0.0} ms)"));
    }

    async Task InstallAsync(string name)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
                if (relative.Contains("__pycache__", StringComparison.Ordinal))
                    continue;
                var text = File.ReadAllBytes(file);
                if (relative == "package.py")
                    text = System.Text.Encoding.UTF8.GetBytes($"name = \"{name}\"\nversion = \"1.0.0\"\n");
                await using var entry = zip.CreateEntry(relative).Open();
                await entry.WriteAsync(text);
            }
        }
        memory.Position = 0;
        using var content = new StreamContent(memory);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PostAsync("/api/addons/install", content);
        response.EnsureSuccessStatusCode();
        var eventId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["eventId"]!.GetValue<string>();
        while ((await http.GetFromJsonAsync<JsonObject>($"/api/events/{eventId}"))!["status"]!.GetValue<string>() is not ("finished" or "failed"))
            await Task.Delay(20);
    }

    public static (string Folder, Dictionary<string, int> Options) Parse(IEnumerable<string> args, string defaultFolder)
    {
        var list = args.ToList();
        var folder = list.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)) ?? defaultFolder;
        if (!Directory.Exists(folder))
            throw new ArgumentException($"{folder}: no such addon folder");
        return (Path.GetFullPath(folder), Arguments.Parse(list.Where(a => a != folder), new() { ["runs"] = 2000, ["seconds"] = 5 }));
    }
}
