namespace Anvil.Bench;

/// <summary>The distribution of a set of samples (milliseconds or requests per second).</summary>
public sealed record Percentiles(int Count, double Median, double P95, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        double At(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, At(0.50), At(0.95), At(0.99), sorted.Length == 0 ? double.NaN : sorted[^1]);
    }
}
