using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>What a seed did, kept for <c>bench run</c> (which reports the ingest rate next to its COPY floor).</summary>
public sealed record SeedRecord(string Project, int Seed, int Entities, double Seconds, int BatchSize, int Parallel, DateTimeOffset FinishedAt)
{
    public double EntitiesPerSecond => Entities / Seconds;

    /// <summary>The seconds the same rows took into the scratch project first (<c>--twice</c>); null when sent once.</summary>
    public double? ScratchSeconds { get; init; }

    /// <summary>The faster of the two ingests, as the COPY floor is the faster of its two copies.</summary>
    public double BestEntitiesPerSecond => Entities / Math.Min(Seconds, ScratchSeconds ?? Seconds);

    public static SeedRecord? Load(string path) => File.Exists(path) ? JsonSerializer.Deserialize<SeedRecord>(File.ReadAllText(path)) : null;
}

/// <summary>
/// <c>anvil bench seed</c>: (re)creates the project and fills it with <see cref="BigFeature"/>
/// through POST /api/projects/{p}/operations, in batches of 1,000 creates. Folders go in order (a
/// batch may hold the parents of the next); the other types, whose parents are all written by then,
/// run <c>parallel</c> batches at a time.
/// </summary>
public sealed class Seeder(Settings settings, HttpClient http)
{
    public async Task<SeedRecord> RunAsync(int seed, int batchSize, int parallel, int sequences, int warmUpSequences, bool twice)
    {
        if (warmUpSequences > 0)
            await WarmUpAsync(seed, batchSize, parallel, warmUpSequences);
        var scratchSeconds = twice ? await ScratchIngestAsync(seed, batchSize, parallel, sequences) : (double?)null;
        var shape = new BigFeature(settings.Project, seed, sequences);
        await RecreateProjectAsync(settings.Project);
        Console.WriteLine($"seed: {shape.Count:N0} entities into {settings.Project} ({shape.Folders.Count:N0} folders, {shape.Tasks.Count:N0} tasks, " +
            $"{shape.Products.Count:N0} products, {shape.Versions.Count:N0} versions, {shape.RepresentationCount:N0} representations), " +
            $"batches of {batchSize:N0}, {parallel} at a time");
        var seconds = await SendAllAsync(settings.Project, shape, batchSize, parallel, new ProgressBar(shape.Count));

        var record = new SeedRecord(settings.Project, seed, shape.Count, seconds, batchSize, parallel, DateTimeOffset.UtcNow) { ScratchSeconds = scratchSeconds };
        Directory.CreateDirectory(settings.StateDirectory);
        await File.WriteAllTextAsync(settings.SeedRecordPath, JsonSerializer.Serialize(record));
        Console.WriteLine($"seed: {record.Entities:N0} entities in {record.Seconds:F1} s = {record.EntitiesPerSecond:N0} entities/s (each with its event)");
        if (scratchSeconds is not null)
            Console.WriteLine($"seed: the faster of the two ingests, {record.BestEntitiesPerSecond:N0} entities/s, is the ingest figure");
        return record;
    }

    /// <summary>
    /// The seed's rows sent first into a scratch project <c>&lt;project&gt;_ingest</c>, timed as the seed
    /// is, then the project deleted: a second measure of ingest, as the COPY floor copies twice
    /// (<see cref="CopyFloor.BestEntitiesPerSecondAsync"/>), so that the ratio is the faster of two
    /// against the faster of two. First, so that the seeded project's events are the newest in the log,
    /// as the events page read expects. Answers the seconds it took.
    /// </summary>
    async Task<double> ScratchIngestAsync(int seed, int batchSize, int parallel, int sequences)
    {
        var (project, count, seconds) = await IntoScratchProjectAsync("ingest", seed, batchSize, parallel, sequences);
        Console.WriteLine($"seed: {count:N0} entities into {project} in {seconds:F1} s = {count / seconds:N0} entities/s (each with its event), project deleted");
        return seconds;
    }

    /// <summary>
    /// The same requests into a scratch project first, untimed, then the project deleted: the server's
    /// code for them is compiled before the clock starts, as every read the bench times is warmed up
    /// first (a server that has just started runs its first minute of a new workload in the JIT's
    /// first tier and compiles it meanwhile, on the cores the seed shares).
    /// </summary>
    async Task WarmUpAsync(int seed, int batchSize, int parallel, int sequences)
    {
        var (project, count, seconds) = await IntoScratchProjectAsync("warmup", seed, batchSize, parallel, sequences);
        Console.WriteLine($"warm-up (untimed): {count:N0} entities into {project} in {seconds:F1} s, project deleted");
    }

    /// <summary>The shape's creates sent into <c>&lt;project&gt;_&lt;suffix&gt;</c>, made afresh and deleted after; answers the seconds the sending took.</summary>
    async Task<(string Project, int Entities, double Seconds)> IntoScratchProjectAsync(string suffix, int seed, int batchSize, int parallel, int sequences)
    {
        var project = $"{settings.Project}_{suffix}";
        var shape = new BigFeature(project, seed, sequences);
        await RecreateProjectAsync(project);
        var seconds = await SendAllAsync(project, shape, batchSize, parallel, progress: null);
        await DeleteProjectAsync(project);
        return (project, shape.Count, seconds);
    }

    /// <summary>Sends the shape's creates level by level and answers the seconds it took, the request bodies made before the clock starts.</summary>
    async Task<double> SendAllAsync(string project, BigFeature shape, int batchSize, int parallel, ProgressBar? progress)
    {
        // The request bodies are made before the clock starts, as the floor's rows are: on a machine
        // whose cores the server and PostgreSQL share with the bench, making them would otherwise be
        // measured as the server's time (a studio's clients run elsewhere).
        var levels = shape.Levels.Select(level => (level.Type, Batches: level.Entities.Chunk(batchSize).Select(Body).ToList())).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var (type, batches) in levels)
        {
            await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = type == "folder" ? 1 : parallel }, async (batch, ct) =>
            {
                await SendAsync(project, batch.Body, ct);
                progress?.Advance(batch.Count);
            });
        }
        clock.Stop();
        progress?.Finish();
        return clock.Elapsed.TotalSeconds;
    }

    async Task RecreateProjectAsync(string project)
    {
        await DeleteProjectAsync(project);
        using var created = await http.PostAsJsonAsync("/api/projects", new { name = project, code = project, label = "Anvil bench: big feature" });
        await EnsureSuccessAsync(created, $"POST /api/projects {project}");
    }

    async Task DeleteProjectAsync(string project)
    {
        using var existing = await http.DeleteAsync($"/api/projects/{project}");
        if (existing.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.OK or HttpStatusCode.NotFound))
            throw new HttpRequestException($"DELETE project {project}: {(int)existing.StatusCode} {await existing.Content.ReadAsStringAsync()}");
    }

    /// <summary>A batch's request: its creates, all or nothing, as UTF-8 JSON.</summary>
    static (int Count, byte[] Body) Body(Entity[] batch)
    {
        var operations = batch.Select((e, i) => new JsonObject
        {
            ["id"] = i.ToString(),
            ["type"] = "create",
            ["entityType"] = e.Type,
            ["entityId"] = e.Id.ToString("N"),
            ["data"] = e.Data,
        });
        return (batch.Length, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["operations"] = new JsonArray([.. operations]), ["canFail"] = false }));
    }

    async Task SendAsync(string project, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await http.PostAsync($"/api/projects/{project}/operations", content, cancellationToken);
        await EnsureSuccessAsync(response, "operations");
        using var result = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        if (!result.RootElement.TryGetProperty("success", out var success) || success.ValueKind != JsonValueKind.True)
            throw new InvalidOperationException($"a batch failed: {result.RootElement.GetProperty("operations").EnumerateArray().LastOrDefault()}");
    }

    static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

/// <summary>A one-line progress bar on the terminal; with output redirected, a line every 10 %.</summary>
sealed class ProgressBar(int total)
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly Lock _lock = new();
    int _done;
    int _lastTenth;
    TimeSpan _lastDrawn;

    public void Advance(int count)
    {
        lock (_lock)
        {
            _done += count;
            if (!Console.IsOutputRedirected && _clock.Elapsed - _lastDrawn > TimeSpan.FromMilliseconds(200))
            {
                Console.Write("\r" + Line());
                _lastDrawn = _clock.Elapsed;
            }
            else if (Console.IsOutputRedirected && _done * 10 / total > _lastTenth)
            {
                _lastTenth = _done * 10 / total;
                Console.WriteLine(Line());
            }
        }
    }

    public void Finish()
    {
        if (!Console.IsOutputRedirected)
            Console.WriteLine("\r" + Line());
    }

    string Line()
    {
        const int width = 30;
        var filled = (int)((long)_done * width / total);
        var rate = _done / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var remaining = TimeSpan.FromSeconds(Math.Round((total - _done) / Math.Max(rate, 1)));
        return $"[{new string('#', filled)}{new string('.', width - filled)}] {_done,9:N0} / {total:N0}  {rate,7:N0}/s  eta {remaining:mm\\:ss}  ";
    }
}
