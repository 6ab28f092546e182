using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;

namespace Anvil.Bench;

/// <summary>
/// One measured figure: the median (or the single value), its distribution when sampled, its floor
/// and the ratio to it (time ÷ floor's time for reads, rate ÷ floor's rate for throughputs), and
/// whether it meets its budget (null: no budget).
/// </summary>
public sealed record Figure(string Name, string Unit, double Value)
{
    public Percentiles? Samples { get; init; }
    public double? Floor { get; init; }
    public Percentiles? FloorSamples { get; init; }
    public double? Ratio { get; init; }
    public string? Detail { get; init; }
    public string? Budget { get; init; }
    public bool? Met { get; init; }
}

/// <summary>Where the figures were taken.</summary>
public sealed record Machine(string Cpu, int Cores, long MemoryMiB, string Postgres, string LoadAtStart, string? LoadAtEnd = null)
{
    public static async Task<Machine> DescribeAsync(Settings settings)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memory = long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        await using var database = NpgsqlDataSource.Create(settings.ConnectionString);
        await using var version = database.CreateCommand("SHOW server_version");
        var postgres = (string)(await version.ExecuteScalarAsync())!;
        return new Machine(cpu, Environment.ProcessorCount, memory, $"PostgreSQL {postgres.Split(' ')[0]}", Load());
    }

    /// <summary>The 1, 5 and 15-minute load averages, as uptime shows them.</summary>
    public static string Load() => string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}

public sealed record RunReport(DateTimeOffset Date, string Command, Machine Machine, SeedRecord Seed, double Seconds, IReadOnlyList<Figure> Figures)
{
    const string Start = "<!-- bench results: written by ./anvil bench run -->";
    const string End = "<!-- end of bench results -->";
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A figure that could not be measured is NaN, not a failed report.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes results/&lt;date&gt;.json and replaces the results block of the benchmarks page; answers both paths.</summary>
    public async Task<(string Json, string? Markdown)> WriteAsync(string resultsDirectory, string? markdownPath)
    {
        Directory.CreateDirectory(resultsDirectory);
        var json = Path.Combine(resultsDirectory, $"{Date:yyyy-MM-dd}.json");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(this, Json) + "\n");
        if (markdownPath is null || !File.Exists(markdownPath))
            return (json, null);
        var page = await File.ReadAllTextAsync(markdownPath);
        var (from, to) = (page.IndexOf(Start, StringComparison.Ordinal), page.IndexOf(End, StringComparison.Ordinal));
        if (from < 0 || to < from)
            throw new InvalidOperationException($"{markdownPath} has no results block ({Start} ... {End})");
        await File.WriteAllTextAsync(markdownPath, page[..from] + Start + "\n\n" + Markdown() + "\n" + page[to..]);
        return (json, markdownPath);
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Run of {Date:yyyy-MM-dd HH:mm} UTC: `{Command}`, {Seconds / 60:F1} min, against `{Seed.Project}` " +
            $"({Seed.Entities:N0} entities, seed {Seed.Seed}, seeded in {Seed.Seconds / 60:F1} min).");
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Cpu}, {Machine.Cores} cores, {Machine.MemoryMiB / 1024.0:F0} GiB, {Machine.Postgres}; " +
            $"load average (1, 5, 15 min) {Machine.LoadAtStart} at the start, {Machine.LoadAtEnd} at the end.");
        text.AppendLine();
        text.AppendLine("| figure | Anvil | floor | ratio to floor | budget | met |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var figure in Figures)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {figure.Name} | {Measured(figure)} | {FloorText(figure)} | {RatioText(figure)} | {figure.Budget ?? "—"} | {figure.Met switch { true => "yes", false => "**no**", null => "—" }} |");
        return text.ToString();
    }

    static string Measured(Figure figure)
    {
        var value = $"{Number(figure.Value)} {figure.Unit}";
        if (figure.Samples is { } samples)
            value = figure.Unit == "ms" ? $"{Number(samples.Median)} ms (p95 {Number(samples.P95)}, p99 {Number(samples.P99)})" : value;
        return figure.Detail is null ? value : $"{value}; {figure.Detail}";
    }

    static string FloorText(Figure figure) => figure switch
    {
        { FloorSamples: { } floor } => $"{Number(floor.Median)} ms (p95 {Number(floor.P95)}, p99 {Number(floor.P99)})",
        { Floor: { } floor } => $"{Number(floor)} {figure.Unit}",
        _ => "—",
    };

    static string RatioText(Figure figure) => figure switch
    {
        { Ratio: null } => "—",
        { Unit: "ms", Ratio: { } ratio } => $"{ratio:F1}× the floor's time",
        { Ratio: { } ratio } => $"{ratio * 100:F0} % of the floor's rate",
    };

    static string Number(double value) => value.ToString(value >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture);
}
