using Dapper;

namespace Anvil.Server.Data;

/// <summary>Text matching in SQL: LIKE escaping and AYON's search, written once.</summary>
public static class SqlText
{
    /// <summary>The text as a LIKE pattern matching itself: <c>\</c>, <c>%</c> and <c>_</c> escaped (PostgreSQL's default escape).</summary>
    public static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    /// <summary>A topic pattern (<c>entity.folder.*</c>) as a LIKE pattern: <c>*</c> matches anything, everything else itself.</summary>
    public static string WildcardPattern(string pattern) => EscapeLike(pattern).Replace("*", "%", StringComparison.Ordinal);

    /// <summary>A LIKE pattern matching any text that contains <paramref name="text"/>.</summary>
    public static string ContainsPattern(string text) => "%" + EscapeLike(text) + "%";

    /// <summary>
    /// AYON's search as one SQL condition: groups separated by commas are alternatives, the words of a
    /// group must all appear (case-insensitive) in one of the columns. Null when there is nothing to look for.
    /// </summary>
    public static string? SearchCondition(string search, IReadOnlyList<string> columns, string parameter, DynamicParameters parameters)
    {
        var groups = search.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(g => g.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(g => g.Length > 0).ToList();
        if (groups.Count == 0)
            return null;
        var alternatives = new List<string>();
        for (var g = 0; g < groups.Count; g++)
        {
            var words = new List<string>();
            for (var w = 0; w < groups[g].Length; w++)
            {
                var name = $"{parameter}_{g}_{w}";
                parameters.Add(name, ContainsPattern(groups[g][w]));
                words.Add("(" + string.Join(" OR ", columns.Select(c => $"{c} ILIKE @{name}")) + ")");
            }
            alternatives.Add("(" + string.Join(" AND ", words) + ")");
        }
        return "(" + string.Join(" OR ", alternatives) + ")";
    }
}
