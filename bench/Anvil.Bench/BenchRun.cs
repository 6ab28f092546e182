using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Anvil.Bench;

public sealed record RunOptions(int Runs, int Seconds, EventsOptions Events)
{
    public static RunOptions Parse(IEnumerable<string> args)
    {
        // Fewer enroll jobs than `bench events`: each enroll walks the source events from the oldest, so 2,000 take minutes.
        var values = Arguments.Parse(args, new() { ["runs"] = 20, ["seconds"] = 3, ["workers"] = 8, ["jobs"] = 500, ["subscribers"] = 1000 });
        return new RunOptions(values["runs"], values["seconds"],
            EventsOptions.Parse(["--workers", $"{values["workers"]}", "--jobs", $"{values["jobs"]}", "--subscribers", $"{values["subscribers"]}"]));
    }
}

/// <summary>
/// <c>anvil bench run</c>: every figure against the seeded project, each next to its floor measured
/// in the same run (the floor app for reads, binary COPY for ingest), then the report.
/// </summary>
public sealed class BenchRun(Settings settings, RunOptions options)
{
    /// <summary>
    /// A read is warmed up at least this many times and for at least <see cref="WarmUpTime"/>, the floor's as the server's:
    /// the figures are a running server's, and a process just started compiles its hot paths (with tiered PGO, twice:
    /// instrumented, then optimised) for its first seconds of a new workload — a start-up cost, not the read's.
    /// </summary>
    const int WarmUp = 3;
    static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(5);
    /// <summary>wrk's warm-up before each throughput's runs, for the same reason.</summary>
    const int WrkWarmUpSeconds = 3;

    static bool Warming(int done, Stopwatch since) => done < WarmUp || since.Elapsed < WarmUpTime;
    const int Repeats = 3;
    static readonly int[] Concurrency = [1, 8, 64];
    readonly List<Figure> _figures = [];

    public async Task RunAsync()
    {
        var seed = SeedRecord.Load(settings.SeedRecordPath)
            ?? throw new InvalidOperationException($"no seed of {settings.Project} recorded here: run ./anvil bench seed first");
        var machine = await Machine.DescribeAsync(settings);
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"bench run against {settings.ServerUrl}, project {settings.Project} ({seed.Entities:N0} entities); load {machine.LoadAtStart}");
        if (int.TryParse(Environment.GetEnvironmentVariable("ANVIL_SERVER_PID"), out var serverPid) && Sessions.SharedWithServer(serverPid) is { } warning)
            Console.Error.WriteLine(warning);

        using var http = settings.CreateClient();
        await using var floor = await FloorProcess.StartAsync();
        using var floorHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = floor.Url, Timeout = TimeSpan.FromMinutes(5) };
        await using var memory = int.TryParse(Environment.GetEnvironmentVariable("ANVIL_SERVER_PID"), out var pid) ? new MemoryWatch(pid) : null;

        // The COPY floor first, on the machine as the seed left it, not after the reads, the websockets
        // and the second instance, which left it slower than a copy on its own.
        var ingestFloor = await IngestFloorAsync(seed);
        var samples = await SamplesAsync();
        await GraphQlReadsAsync(http, floorHttp, samples);
        await RestThroughputAsync(floor.Url, samples.FolderId);
        if (pid > 0)
            await MixedReadsAsync(pid, samples);
        await EventsAsync(http);
        AddIngest(seed, ingestFloor);
        if (memory is not null)
            _figures.Add(new Figure("Server resident memory, peak during the run (VmHWM since start)", "MiB", memory.PeakBytes / 1048576.0)
            {
                Detail = $"high-water mark since the server started: {memory.HighWaterBytes / 1048576.0:N0} MiB",
                Budget = "< 1,024 MiB",
                Met = memory.PeakBytes < 1L << 30 && memory.HighWaterBytes < 1L << 30,
            });

        clock.Stop();
        machine = machine with { LoadAtEnd = Machine.Load() };
        var report = new RunReport(DateTimeOffset.UtcNow, $"./anvil bench run --runs {options.Runs} --seconds {options.Seconds} --jobs {options.Events.Jobs}", machine, seed, clock.Elapsed.TotalSeconds, _figures);
        Console.WriteLine(report.Markdown());
        var (json, markdown) = await report.WriteAsync(settings.ResultsDirectory, Environment.GetEnvironmentVariable("ANVIL_BENCH_DOCS"));
        Console.WriteLine($"bench run: {clock.Elapsed.TotalMinutes:F1} min; wrote {json}{(markdown is null ? "" : " and " + markdown)}");
    }

    /// <summary>
    /// <c>anvil bench graphql</c>: only the GraphQL reads next to their floors, printed, nothing
    /// written (reads only, so it can run against any seeded installation while tuning). With
    /// <c>ANVIL_BENCH_COMPARE</c> (other server URLs, comma-separated) every run reads the floor and
    /// each server in turn, so a busy machine slows them alike and the ratios stay comparable.
    /// </summary>
    public async Task GraphQlOnlyAsync()
    {
        var urls = new[] { settings.ServerUrl }.Concat((Environment.GetEnvironmentVariable("ANVIL_BENCH_COMPARE") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u))).ToList();
        Console.WriteLine($"bench graphql against {string.Join(", ", urls)}, project {settings.Project}; load {Machine.Load()}");
        var clients = urls.Select(u => settings with { ServerUrl = u }).Select(s => s.CreateClient()).ToList();
        await using var floor = await FloorProcess.StartAsync();
        using var floorHttp = new HttpClient { BaseAddress = floor.Url, Timeout = TimeSpan.FromMinutes(5) };
        var (productIds, folderPath, _) = await SamplesAsync();
        var project = settings.Project;
        var graphql = clients.Select(c => new GraphQlClient(c)).ToList();
        var versionIds = (await graphql[0].AllAsync(GraphQlQueries.Versions, "versions", new { projectName = project, productIds }, 300))
            .Select(v => v["id"]!.GetValue<string>()).ToArray();
        var reads = new (string Name, Func<GraphQlClient, Task> Server, Func<Task> Floor)[]
        {
            ("whole hierarchy", async g =>
            {
                await g.ReadPagesAsync(GraphQlQueries.Folders, "folders", new { projectName = project }, PageSize);
                await g.ReadPagesAsync(GraphQlQueries.Tasks, "tasks", new { projectName = project }, PageSize);
            }, () => GetAsync(floorHttp, "/hierarchy")),
            ("loader case", async g =>
            {
                await g.ReadPagesAsync(GraphQlQueries.Versions, "versions", new { projectName = project, productIds }, 300);
                await g.ReadPagesAsync(GraphQlQueries.Representations, "representations", new { projectName = project, versionIds }, 300);
            }, async () =>
            {
                await GetAsync(floorHttp, $"/versions?ids={string.Join(',', productIds)}");
                await GetAsync(floorHttp, $"/representations?ids={string.Join(',', versionIds)}");
            }),
            ("one folder by path", g => g.ReadPagesAsync(GraphQlQueries.FoldersByPath, "folders", new { projectName = project, folderPaths = new[] { folderPath } }, 300),
                () => GetAsync(floorHttp, $"/folder-by-path?path={Uri.EscapeDataString(folderPath)}")),
            ("events page", g => g.ReadAsync(GraphQlQueries.Events, new { projectNames = new[] { project }, includeLogsFilter = false }),
                () => GetAsync(floorHttp, "/events")),
        };
        foreach (var (name, server, floorRead) in reads)
        {
            var reading = new List<Func<Task>> { floorRead };
            reading.AddRange(graphql.Select(g => (Func<Task>)(() => server(g))));
            var samples = reading.Select(_ => new List<double>()).ToList();
            var warming = Stopwatch.StartNew();
            for (var done = 0; Warming(done, warming); done++)
                foreach (var read in reading)
                    await read();
            for (var run = 0; run < options.Runs; run++)
                for (var i = 0; i < reading.Count; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await reading[i]();
                    samples[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            var floorMedian = Percentiles.Of(samples[0]).Median;
            Console.WriteLine($"{name}: floor {floorMedian:F1} ms | " + string.Join(" | ", urls.Select((u, i) =>
                Percentiles.Of(samples[i + 1]) is var p ? $"{u.Authority} {p.Median:F1} ms (p95 {p.P95:F1}, {p.Median / floorMedian:F1}x)" : "")));
        }
        foreach (var client in clients)
            client.Dispose();
        Console.WriteLine($"load at the end {Machine.Load()}");
    }

    async Task GraphQlReadsAsync(HttpClient http, HttpClient floor, Samples samples)
    {
        var graphql = new GraphQlClient(http);
        var project = settings.Project;
        var (productIds, folderPath, _) = samples;
        var versionIds = (await graphql.AllAsync(GraphQlQueries.Versions, "versions", new { projectName = project, productIds }, 300))
            .Select(v => v["id"]!.GetValue<string>()).ToArray();

        await ReadAsync("GraphQL: whole hierarchy (all folders with allAttrib + all tasks)", "≤ 150 ms", 150,
            async () =>
            {
                await graphql.ReadPagesAsync(GraphQlQueries.Folders, "folders", new { projectName = project }, PageSize);
                await graphql.ReadPagesAsync(GraphQlQueries.Tasks, "tasks", new { projectName = project }, PageSize);
            },
            () => GetAsync(floor, "/hierarchy"));
        await ReadAsync($"GraphQL: loader case (versions of {productIds.Length} products, then their representations)", "≤ 15 ms", 15,
            async () =>
            {
                await graphql.ReadPagesAsync(GraphQlQueries.Versions, "versions", new { projectName = project, productIds }, 300);
                await graphql.ReadPagesAsync(GraphQlQueries.Representations, "representations", new { projectName = project, versionIds }, 300);
            },
            async () =>
            {
                await GetAsync(floor, $"/versions?ids={string.Join(',', productIds)}");
                await GetAsync(floor, $"/representations?ids={string.Join(',', versionIds)}");
            });
        await ReadAsync("GraphQL: one folder by path", null, null,
            () => graphql.ReadPagesAsync(GraphQlQueries.FoldersByPath, "folders", new { projectName = project, folderPaths = new[] { folderPath } }, 300),
            () => GetAsync(floor, $"/folder-by-path?path={Uri.EscapeDataString(folderPath)}"));
        await ReadAsync("GraphQL: events page (newest 100 of the project)", null, null,
            () => graphql.ReadAsync(GraphQlQueries.Events, new { projectNames = new[] { project }, includeLogsFilter = false }),
            () => GetAsync(floor, "/events"));
    }

    /// <summary>The client pages by 300; a bulk read asks for the largest page the server gives (5,000).</summary>
    const int PageSize = 5000;

    async Task ReadAsync(string name, string? absoluteBudget, double? limitMs, Func<Task> server, Func<Task> floor)
    {
        Console.WriteLine($"read: {name} ...");
        var measured = await TimeAsync(server);
        var floorMeasured = await TimeAsync(floor);
        var ratio = measured.Median / floorMeasured.Median;
        _figures.Add(new Figure(name, "ms", measured.Median)
        {
            Samples = measured,
            Floor = floorMeasured.Median,
            FloorSamples = floorMeasured,
            Ratio = ratio,
            Budget = absoluteBudget is null ? "≤ 2× floor" : $"≤ 2× floor, {absoluteBudget}",
            Met = ratio <= 2 && (limitMs is null || measured.Median <= limitMs),
        });
    }

    async Task<Percentiles> TimeAsync(Func<Task> read)
    {
        var warming = Stopwatch.StartNew();
        for (var done = 0; Warming(done, warming); done++)
            await read();
        var samples = new List<double>();
        for (var i = 0; i < options.Runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await read();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Percentiles.Of(samples);
    }

    static async Task GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    async Task RestThroughputAsync(Uri floor, string folderId)
    {
        var project = settings.Project;
        (string Name, string Server, string Floor, double Share)[] endpoints =
        [
            ("REST: GET /api/info", "/api/info", "/api/info", 0.8),
            ("REST: one folder by id", $"/api/projects/{project}/folders/{folderId}", $"/folders/{Guid.Parse(folderId)}", 0.6),
            ("REST: the flat folder list", $"/api/projects/{project}/folders", "/folders", 0.6),
        ];
        foreach (var (name, serverPath, floorPath, share) in endpoints)
        {
            // Measured at 1 connection first (Concurrency is ascending): the pace at which the runs
            // at more connections must still let every connection finish two requests.
            var (serverPace, floorPace) = (double.PositiveInfinity, double.PositiveInfinity);
            foreach (var connections in Concurrency)
            {
                Console.WriteLine($"throughput: {name}, {connections} connection(s) ...");
                var server = await ThroughputAsync(new Uri(settings.ServerUrl, serverPath), connections, settings.ApiKey, serverPace);
                var floorResult = await ThroughputAsync(new Uri(floor, floorPath), connections, null, floorPace);
                if (connections == 1)
                    (serverPace, floorPace) = (server.RequestsPerSecond, floorResult.RequestsPerSecond);
                var ratio = server.RequestsPerSecond / floorResult.RequestsPerSecond;
                _figures.Add(new Figure($"{name}, {connections} connection{(connections > 1 ? "s" : "")}", "req/s", server.RequestsPerSecond)
                {
                    Floor = floorResult.RequestsPerSecond,
                    Ratio = ratio,
                    Detail = $"p99 {server.P99Ms:F1} ms (floor {floorResult.P99Ms:F1} ms)",
                    Budget = $"≥ {share:P0} of floor",
                    Met = ratio >= share,
                });
            }
        }
    }

    /// <summary>
    /// A warm-up of <see cref="WrkWarmUpSeconds"/>, then the median of three runs, each long enough for every connection to
    /// complete two requests at the single-connection pace (requests/s); wrk counts only the
    /// requests that finish inside a run, so a slow read at 64 connections would otherwise score 0.
    /// </summary>
    async Task<WrkResult> ThroughputAsync(Uri url, int connections, string? apiKey, double pace)
    {
        var seconds = Math.Max(options.Seconds, (int)Math.Ceiling(2 * connections / pace));
        await Wrk.RunAsync(url, connections, WrkWarmUpSeconds, apiKey);
        var runs = new List<WrkResult>();
        for (var i = 0; i < Repeats; i++)
            runs.Add(await Wrk.RunAsync(url, connections, seconds, apiKey));
        return runs.OrderBy(r => r.RequestsPerSecond).ElementAt(Repeats / 2);
    }

    /// <summary><c>anvil bench instances</c>: only the mixed reads on one and on two instances, printed, nothing written.</summary>
    public async Task InstancesOnlyAsync()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("ANVIL_SERVER_PID"), out var pid))
            throw new InvalidOperationException($"no local server process listens on {settings.ServerUrl}: the second instance is started from it");
        Console.WriteLine($"bench instances against {settings.ServerUrl}, project {settings.Project}; load {Machine.Load()}");
        await MixedReadsAsync(pid, await SamplesAsync());
        foreach (var figure in _figures)
            Console.WriteLine($"{figure.Name}: {figure.Value:N0} {figure.Unit}; {figure.Detail}");
        Console.WriteLine($"load {Machine.Load()}");
    }

    /// <summary>
    /// The mixed read workload (<see cref="TwoInstances"/>) against the server alone, then against it
    /// and a second instance started here (half the connections each), each the median of three runs.
    /// </summary>
    async Task MixedReadsAsync(int pid, Samples samples)
    {
        var port = settings.ServerUrl.Port;
        var seconds = Math.Max(options.Seconds, 5);
        async Task<WrkResult> MeasureAsync(int[] ports)
        {
            var script = Path.Combine(Path.GetTempPath(), $"anvil-bench-mix-{Environment.ProcessId}.lua");
            await File.WriteAllTextAsync(script, TwoInstances.Script(settings.Project, samples.FolderId, samples.FolderPath, ports));
            try
            {
                await Wrk.RunAsync(settings.ServerUrl, TwoInstances.Connections, 1, settings.ApiKey, script: script);
                var runs = new List<WrkResult>();
                for (var i = 0; i < Repeats; i++)
                    runs.Add(await Wrk.RunAsync(settings.ServerUrl, TwoInstances.Connections, seconds, settings.ApiKey, script: script));
                return runs.OrderBy(r => r.RequestsPerSecond).ElementAt(Repeats / 2);
            }
            finally
            {
                File.Delete(script);
            }
        }

        Console.WriteLine($"throughput: mixed reads, one instance, {TwoInstances.Connections} connections ...");
        var one = await MeasureAsync([port]);
        Console.WriteLine("throughput: mixed reads, starting a second instance ...");
        WrkResult two;
        int secondPort;
        await using (var second = await SecondInstance.StartAsync(pid))
        {
            secondPort = second.Port;
            Console.WriteLine($"throughput: mixed reads, two instances (:{port} and :{secondPort}), {TwoInstances.Connections / 2} connections each ...");
            two = await MeasureAsync([port, secondPort]);
        }
        _figures.Add(new Figure($"Mixed reads ({TwoInstances.MixText}), one instance, {TwoInstances.Connections} connections", "req/s", one.RequestsPerSecond)
        {
            Detail = $"p99 {one.P99Ms:F1} ms",
        });
        _figures.Add(new Figure($"Mixed reads, two instances behind the same PostgreSQL and Redis, {TwoInstances.Connections / 2} connections each", "req/s", two.RequestsPerSecond)
        {
            Detail = $"{two.RequestsPerSecond / one.RequestsPerSecond:F2}× one instance's rate; p99 {two.P99Ms:F1} ms; {Environment.ProcessorCount} cores for both, PostgreSQL, Redis and wrk",
        });
    }

    async Task EventsAsync(HttpClient http)
    {
        var events = await new EventsBench(settings, http, options.Events).RunAsync();
        _figures.Add(new Figure($"Enroll: jobs/s with {events.Workers} workers (enroll + PATCH finished each)", "jobs/s", events.JobsPerSecond)
        {
            Detail = $"{events.Jobs:N0} jobs",
        });
        _figures.Add(new Figure($"Websocket: delivery latency to {events.Subscribers:N0} subscribers (POST /api/events to receipt)", "ms", events.Latency.Median)
        {
            Samples = events.Latency,
            Detail = $"{events.Deliveries:N0} of {events.Expected:N0} deliveries",
        });
    }

    async Task<double> IngestFloorAsync(SeedRecord seed)
    {
        Console.WriteLine("ingest: the seed's rows again with binary COPY, twice ...");
        return await new CopyFloor(settings).BestEntitiesPerSecondAsync(seed.Seed);
    }

    void AddIngest(SeedRecord seed, double floor)
    {
        var rate = seed.BestEntitiesPerSecond;
        var ratio = rate / floor;
        _figures.Add(new Figure($"Ingest: the seed through /operations, with events (batches of {seed.BatchSize:N0}, {seed.Parallel} at a time)", "entities/s", rate)
        {
            Floor = floor,
            Ratio = ratio,
            Detail = seed.ScratchSeconds is { } scratch
                ? $"{seed.Entities:N0} entities; the faster of two ingests ({seed.Entities / scratch:N0}/s into a scratch project, {seed.EntitiesPerSecond:N0}/s the seed), as the floor is the faster of two copies"
                : $"{seed.Entities:N0} entities in {seed.Seconds:F0} s",
            Budget = "≥ 60 % of floor, ≥ 5,000/s",
            Met = ratio >= 0.6 && rate >= 5000,
        });
    }

    /// <summary>What the reads ask for: 40 products of neighbouring shots, a shot's path and id.</summary>
    sealed record Samples(string[] ProductIds, string FolderPath, string FolderId);

    async Task<Samples> SamplesAsync()
    {
        await using var database = NpgsqlDataSource.Create(settings.ConnectionString);
        var schema = $"project_{settings.Project.ToLowerInvariant()}";
        // Right after a seed the planner has no statistics for the new rows until autovacuum comes
        // round (a minute or more), and picks plans a settled database never sees; and autovacuum's
        // first pass over the new tables, when it comes, runs beside the reads: measure a settled one.
        // (VACUUM refuses to run in a transaction block, so one statement per command.)
        await using (var vacuum = database.CreateCommand(
            $"VACUUM (ANALYZE) {schema}.folders, {schema}.tasks, {schema}.products, {schema}.versions, {schema}.representations"))
        {
            vacuum.CommandTimeout = 600;
            await vacuum.ExecuteNonQueryAsync();
        }
        await using (var analyze = database.CreateCommand("ANALYZE public.events"))
            await analyze.ExecuteNonQueryAsync();
        await using var products = database.CreateCommand($"SELECT id FROM {schema}.products ORDER BY creation_order OFFSET 16000 LIMIT 40");
        var productIds = new List<string>();
        await using (var reader = await products.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                productIds.Add(reader.GetGuid(0).ToString("N"));
        const string path = "sq100/sh0500";
        await using var folder = database.CreateCommand($"SELECT id FROM {schema}.folders WHERE path = '{path}'");
        var folderId = (Guid)(await folder.ExecuteScalarAsync() ?? throw new InvalidOperationException($"{settings.Project} has no folder {path}: seed it again"));
        return new Samples([.. productIds], "/" + path, folderId.ToString("N"));
    }
}

/// <summary>The floor app in its own process and session (its own share of the cores, as the server has), on a free port.</summary>
sealed class FloorProcess : IAsyncDisposable
{
    readonly Process _process;
    public Uri Url { get; }

    FloorProcess(Process process, Uri url) => (_process, Url) = (process, url);

    public static async Task<FloorProcess> StartAsync()
    {
        var port = FreePort();
        // In a session of its own, as the server is: not in the scheduling group of the bench's reads or wrk (Sessions).
        var start = Sessions.OwnSession("dotnet", [typeof(FloorApp).Assembly.Location, "floor", "--port", $"{port}", "--parent", $"{Environment.ProcessId}"]);
        var process = Process.Start(start)!;
        var url = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = url };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                if ((await http.GetFromJsonAsync<JsonObject>("/api/info")) is not null)
                    return new FloorProcess(process, url);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        process.Kill();
        throw new InvalidOperationException("the floor app did not start");
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
