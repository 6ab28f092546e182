using System.Globalization;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Entities;

/// <summary>The type of a connection's filter argument, as GraphQL declares it.</summary>
public enum FilterArgument
{
    Text,
    TextList,
    Integer,
    IntegerList,
    Boolean,
    LinkDirection,
}

/// <summary>
/// A filter argument of an entity type's connections: its type and the SQL condition it adds (null =
/// no condition), with its values bound as parameters named after <c>parameter</c>.
/// </summary>
public sealed record EntityFilter(string Argument, FilterArgument Kind, Func<object, string, DynamicParameters, string?> Condition)
{
    /// <summary>The filters of every entity type, before the advanced <c>filter</c> and <c>search</c>.</summary>
    public static IReadOnlyList<EntityFilter> Common { get; } =
    [
        IdList("ids", "e.id"),
        TextList("statuses", "e.status"),
        new("tags", FilterArgument.TextList, (v, p, ps) => Bind(ps, p, Strings(v).ToArray(), "e.tags @> @{0}")),
        new("hasLinks", FilterArgument.LinkDirection, (v, _, _) => HasLinks(v.ToString()!)),
    ];

    /// <summary>AYON's advanced filter (<c>{"conditions": [...], "operator": "and"}</c>, JSON text) over the type's filter columns.</summary>
    public static EntityFilter Advanced(EntityDefinition definition) =>
        new("filter", FilterArgument.Text, (v, p, ps) => SqlFilter.Build(QueryFilter.ParseText(v.ToString()!), definition.FilterColumns, ps, prefix: p + "_"));

    /// <summary>
    /// AYON's search: groups separated by commas are alternatives, the words of a group must all
    /// appear (case-insensitive) in one of the columns.
    /// </summary>
    public static EntityFilter Search(IReadOnlyList<string> columns) =>
        new("search", FilterArgument.Text, (v, p, ps) => SqlText.SearchCondition(v.ToString()!, columns, p, ps));

    public static EntityFilter Text(string argument, string condition) =>
        new(argument, FilterArgument.Text, (v, p, ps) => Bind(ps, p, v.ToString()!, condition));

    public static EntityFilter TextList(string argument, string column) =>
        new(argument, FilterArgument.TextList, (v, p, ps) => Bind(ps, p, Strings(v).ToArray(), $"{column} = ANY(@{{0}})"));

    /// <summary>A list of values bound as one text array to <paramref name="condition"/> (<c>{0}</c> is the parameter).</summary>
    public static EntityFilter TextArray(string argument, string condition, Func<string, string>? map = null) =>
        new(argument, FilterArgument.TextList, (v, p, ps) => Bind(ps, p, Strings(v).Select(map ?? (s => s)).ToArray(), condition));

    /// <summary>Ids that are not ids match nothing; an empty list matches nothing.</summary>
    public static EntityFilter IdList(string argument, string column) =>
        new(argument, FilterArgument.TextList, (v, p, ps) =>
            Bind(ps, p, Strings(v).Select(s => Guid.TryParse(s, out var id) ? id : (Guid?)null).OfType<Guid>().ToArray(), $"{column} = ANY(@{{0}})"));

    public static EntityFilter Integer(string argument, string condition) =>
        new(argument, FilterArgument.Integer, (v, p, ps) => Bind(ps, p, Convert.ToInt32(v, CultureInfo.InvariantCulture), condition));

    public static EntityFilter IntegerList(string argument, string condition) =>
        new(argument, FilterArgument.IntegerList, (v, p, ps) =>
            Bind(ps, p, ((IEnumerable<object?>)v).OfType<object>().Select(x => Convert.ToInt32(x, CultureInfo.InvariantCulture)).ToArray(), condition));

    public static EntityFilter Flag(string argument, string condition) =>
        new(argument, FilterArgument.Boolean, (v, _, _) => (bool)v ? condition : $"NOT {condition}");

    public static EntityFilter OnlyWhenTrue(string argument, string condition) =>
        new(argument, FilterArgument.Boolean, (v, _, _) => (bool)v ? $"({condition})" : null);

    /// <summary>A regular expression the expression must match; a bad one is a 400 naming the argument.</summary>
    public static EntityFilter Pattern(string argument, string expression) =>
        new(argument, FilterArgument.Text, (v, p, ps) => Bind(ps, p, Regex(argument, v.ToString()!), $"{expression} ~ @{{0}}"));

    /// <summary>Folder parents: ids, and <c>root</c> for the folders without one.</summary>
    public static EntityFilter ParentIds(string argument, FilterArgument kind) =>
        new(argument, kind, (v, p, ps) =>
        {
            var values = Strings(v);
            var ids = values.Select(s => Guid.TryParse(s, out var id) ? id : (Guid?)null).OfType<Guid>().ToArray();
            var root = values.Any(s => s == "root") ? " OR e.parent_id IS NULL" : "";
            return Bind(ps, p, ids, $"(e.parent_id = ANY(@{{0}}){root})");
        });

    /// <summary>A regular expression checked before it reaches PostgreSQL, so a bad one is a 400.</summary>
    public static string Regex(string argument, string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern);
            return pattern;
        }
        catch (ArgumentException)
        {
            throw new BadRequest($"{argument}: not a valid regular expression");
        }
    }

    static string? HasLinks(string value)
    {
        const string input = "EXISTS (SELECT FROM links l WHERE l.output_id = e.id)";
        const string output = "EXISTS (SELECT FROM links l WHERE l.input_id = e.id)";
        return value switch
        {
            "IN" => input,
            "OUT" => output,
            "ANY" => $"({input} OR {output})",
            "BOTH" => $"({input} AND {output})",
            "NONE" => $"NOT ({input} OR {output})",
            _ => null,
        };
    }

    static string Bind(DynamicParameters parameters, string name, object value, string condition)
    {
        parameters.Add(name, value);
        return string.Format(CultureInfo.InvariantCulture, condition, name);
    }

    public static List<string> Strings(object value) => value switch
    {
        string text => [text],
        IEnumerable<object?> items => [.. items.OfType<object>().Select(i => i.ToString()!)],
        _ => [],
    };
}

/// <summary>
/// <c>sortBy</c> expressions: text whose order is the wanted order (positions and numbers padded,
/// times in UTC digits, nulls as empty), so cursors compare it like any text.
/// </summary>
public static class EntitySort
{
    public static string Time(string column) => $"to_char({column} AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')";

    /// <summary>Numbers above -10^12 as fixed-width text, so text order is numeric order.</summary>
    public static string Number(string expression) => $"to_char({expression} + 1000000000000, 'FM00000000000000000.000000')";

    /// <summary>The position of the value in an anatomy list (statuses, folder types...), as AYON sorts them.</summary>
    public static string Position(string table, string column) =>
        $"lpad(COALESCE((SELECT x.position FROM {table} x WHERE x.name = {column}), 0)::text, 10, '0')";

    public static IReadOnlyDictionary<string, string> Common { get; } = new Dictionary<string, string>
    {
        ["createdAt"] = Time("e.created_at"),
        ["updatedAt"] = Time("e.updated_at"),
        ["createdBy"] = "COALESCE(e.created_by, '')",
        ["updatedBy"] = "COALESCE(e.updated_by, '')",
        ["status"] = Position("statuses", "e.status"),
    };
}
