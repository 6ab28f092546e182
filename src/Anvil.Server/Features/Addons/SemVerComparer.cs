using System.Globalization;

namespace Anvil.Server.Features.Addons;

/// <summary>Orders versions by semantic versioning (<c>1.10.0</c> after <c>1.9.0</c>; a pre-release before its release); text that is not semver sorts by ordinal text.</summary>
public sealed class SemVerComparer : IComparer<string>
{
    public static SemVerComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
            return string.CompareOrdinal(x, y);
        var (coreX, preX) = Split(x);
        var (coreY, preY) = Split(y);
        var partsX = coreX.Split('.');
        var partsY = coreY.Split('.');
        for (var i = 0; i < Math.Max(partsX.Length, partsY.Length); i++)
        {
            var c = Identifier(i < partsX.Length ? partsX[i] : "0", i < partsY.Length ? partsY[i] : "0");
            if (c != 0)
                return c;
        }
        if (preX.Length == 0 || preY.Length == 0)
            return preY.Length.CompareTo(preX.Length) is var p && p != 0 ? p : string.CompareOrdinal(x, y);
        var idsX = preX.Split('.');
        var idsY = preY.Split('.');
        for (var i = 0; i < Math.Min(idsX.Length, idsY.Length); i++)
        {
            var c = Identifier(idsX[i], idsY[i]);
            if (c != 0)
                return c;
        }
        return idsX.Length != idsY.Length ? idsX.Length.CompareTo(idsY.Length) : string.CompareOrdinal(x, y);
    }

    static (string Core, string Pre) Split(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
            version = version[..plus];
        var dash = version.IndexOf('-', StringComparison.Ordinal);
        return dash >= 0 ? (version[..dash], version[(dash + 1)..]) : (version, "");
    }

    static int Identifier(string a, string b)
    {
        var numericA = long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var na);
        var numericB = long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var nb);
        return (numericA, numericB) switch
        {
            (true, true) => na.CompareTo(nb),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(a, b),
        };
    }
}
