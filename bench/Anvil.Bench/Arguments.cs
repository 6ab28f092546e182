namespace Anvil.Bench;

/// <summary>Command-line options of the form <c>--name N</c>, each with a default.</summary>
public static class Arguments
{
    public static Dictionary<string, int> Parse(IEnumerable<string> args, Dictionary<string, int> defaults)
    {
        var values = new Dictionary<string, int>(defaults);
        var list = args.ToList();
        for (var i = 0; i < list.Count; i += 2)
        {
            var name = list[i].TrimStart('-');
            if (!list[i].StartsWith("--", StringComparison.Ordinal) || !values.ContainsKey(name) || i + 1 >= list.Count || !int.TryParse(list[i + 1], out var value))
                throw new ArgumentException($"unknown argument {list[i]} (expected {string.Join(", ", defaults.Keys.Select(k => $"--{k} N"))})");
            values[name] = value;
        }
        return values;
    }
}
