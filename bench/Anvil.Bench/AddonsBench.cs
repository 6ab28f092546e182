using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>
/// <c>anvil bench addons PACKAGE.zip ...</c>: how long each package takes to install (upload to the
/// finished <c>addon.install</c> event, export by the addon host included), then how fast the
/// catalogue <c>GET /api/addons?details=1</c> answers with them installed: median latency of
/// sequential requests, and requests per second at 8 and 64 connections next to <c>/api/info</c>'s.
/// Then the same for <c>GET /api/settings</c> of the production bundle with a project (the first
/// project, or <c>ANVIL_BENCH_SETTINGS_PROJECT</c>), when a production bundle exists. Every request
/// sends <c>Accept-Encoding: gzip, deflate</c>, as the official client and the launcher do.
/// </summary>
public sealed class AddonsBench(Settings settings, HttpClient http, IReadOnlyList<string> packages, Dictionary<string, int> options)
{
    const string Catalogue = "/api/addons?details=1";

    /// <summary>What the official client (python-requests) sends with every request.</summary>
    const string AcceptEncoding = "Accept-Encoding: gzip, deflate";

    public async Task RunAsync()
    {
        Console.WriteLine($"anvil bench addons against {settings.ServerUrl}: {packages.Count} package(s)");
        foreach (var package in packages)
            await InstallAsync(package);

        var catalogue = await http.GetFromJsonAsync<JsonObject>(Catalogue);
        var addons = catalogue!["addons"]!.AsArray();
        var broken = addons.SelectMany(a => a!["versions"]!.AsObject().Where(v => v.Value!["isBroken"]?.GetValue<bool>() == true).Select(v => $"{a["name"]} {v.Key}")).ToList();
        Console.WriteLine($"catalogue: {addons.Count} addons, {addons.Sum(a => a!["versions"]!.AsObject().Count)} versions, broken: {(broken.Count == 0 ? "none" : string.Join(", ", broken))}");
        await MeasureAsync(Catalogue);

        var bundles = await http.GetFromJsonAsync<JsonObject>("/api/bundles");
        if (bundles!["productionBundle"]?.GetValue<string>() is not { } production)
        {
            Console.WriteLine("no production bundle: GET /api/settings not measured");
            return;
        }
        var project = Environment.GetEnvironmentVariable("ANVIL_BENCH_SETTINGS_PROJECT")
            ?? (await http.GetFromJsonAsync<JsonObject>("/api/projects"))!["projects"]!.AsArray().FirstOrDefault()?["name"]?.GetValue<string>();
        var settingsPath = project is null ? "/api/settings" : $"/api/settings?project_name={Uri.EscapeDataString(project)}";
        var answer = await http.GetFromJsonAsync<JsonObject>(settingsPath);
        Console.WriteLine($"settings: bundle {production}, project {project ?? "(none)"}, {answer!["addons"]!.AsArray().Count} addons");
        await MeasureAsync(settingsPath);
    }

    /// <summary>The median of sequential requests, then wrk at 8 and 64 connections next to /api/info.</summary>
    async Task MeasureAsync(string path)
    {
        var latencies = new List<double>();
        for (var i = 0; i < options["runs"]; i++)
        {
            var clock = Stopwatch.StartNew();
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate");
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        var latency = Percentiles.Of(latencies);
        Console.WriteLine($"GET {path}, sequential: median {latency.Median:0.00} ms, p95 {latency.P95:0.00} ms, p99 {latency.P99:0.00} ms ({latency.Count} requests)");
        foreach (var connections in new[] { 8, 64 })
        {
            var rate = await Wrk.RunAsync(new Uri(settings.ServerUrl, path), connections, options["seconds"], settings.ApiKey, [AcceptEncoding]);
            var infoRate = await Wrk.RunAsync(new Uri(settings.ServerUrl, "/api/info"), connections, options["seconds"], settings.ApiKey, [AcceptEncoding]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{connections} connections: {path} {rate.RequestsPerSecond:N0} req/s (p99 {rate.P99Ms:0.0} ms); /api/info {infoRate.RequestsPerSecond:N0} req/s; ratio {rate.RequestsPerSecond / infoRate.RequestsPerSecond:P0}"));
        }
    }

    async Task InstallAsync(string path)
    {
        var clock = Stopwatch.StartNew();
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PostAsync("/api/addons/install", content);
        response.EnsureSuccessStatusCode();
        var eventId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["eventId"]!.GetValue<string>();
        while (true)
        {
            var installEvent = (await http.GetFromJsonAsync<JsonObject>($"/api/events/{eventId}"))!;
            var status = installEvent["status"]!.GetValue<string>();
            if (status is "finished" or "failed")
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"install {Path.GetFileName(path)} ({new FileInfo(path).Length / 1024.0 / 1024.0:0.0} MiB): {status} in {clock.Elapsed.TotalSeconds:0.00} s — {installEvent["description"]}"));
                return;
            }
            await Task.Delay(20);
        }
    }

    public static (List<string> Packages, Dictionary<string, int> Options) Parse(IEnumerable<string> args)
    {
        var list = args.ToList();
        var packages = new List<string>();
        foreach (var arg in list.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)))
        {
            if (Directory.Exists(arg))
                packages.AddRange(Directory.GetFiles(arg, "*.zip").Order());
            else if (File.Exists(arg))
                packages.Add(arg);
            else
                throw new ArgumentException($"{arg}: no such package or folder");
        }
        var options = Arguments.Parse(list.Where(a => a.StartsWith("--", StringComparison.Ordinal) || int.TryParse(a, out _)),
            new() { ["runs"] = 200, ["seconds"] = 5 });
        return (packages, options);
    }
}
