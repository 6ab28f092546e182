using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Data;

/// <summary>A node of AYON's query filter: a condition, or a group of them.</summary>
public abstract record FilterNode;

/// <summary><c>{"operator": "and|or", "conditions": [...]}</c></summary>
public sealed record QueryFilter(string Operator, IReadOnlyList<FilterNode> Conditions) : FilterNode
{
    /// <summary>Reads a filter from JSON text (GraphQL's <c>filter</c> argument); text that is not a JSON object is a 400 naming the field.</summary>
    public static QueryFilter? ParseText(string text, string field = "filter")
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw BadRequest.Field(field, "not a JSON object");
        }
        return Parse(node, field);
    }

    /// <summary>
    /// Reads a filter from JSON (the request's <paramref name="field"/>, named in errors). Null or
    /// JSON null is no filter.
    /// </summary>
    public static QueryFilter? Parse(JsonNode? node, string field = "filter")
    {
        if (node is null)
            return null;
        return node is JsonObject group ? ParseGroup(group, field) : throw BadRequest.Field(field, "a filter is an object {operator, conditions}");
    }

    static QueryFilter ParseGroup(JsonObject group, string field)
    {
        var op = (group["operator"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : group["operator"] is null ? "and" : null)?.ToLowerInvariant();
        if (op is not ("and" or "or"))
            throw BadRequest.Field($"{field}.operator", "must be 'and' or 'or'");
        var conditions = new List<FilterNode>();
        if (group["conditions"] is { } list)
        {
            if (list is not JsonArray array)
                throw BadRequest.Field($"{field}.conditions", "must be a list");
            for (var i = 0; i < array.Count; i++)
            {
                var path = $"{field}.conditions.{i}";
                if (array[i] is not JsonObject item)
                    throw BadRequest.Field(path, "must be a condition or a filter object");
                conditions.Add(item.ContainsKey("key") ? ParseCondition(item, path) : ParseGroup(item, path));
            }
        }
        return new QueryFilter(op, conditions);
    }

    static QueryCondition ParseCondition(JsonObject item, string field)
    {
        if (item["key"] is not JsonValue key || !key.TryGetValue<string>(out var keyText) || keyText.Length == 0)
            throw BadRequest.Field($"{field}.key", "must be a non-empty string");
        var op = "eq";
        if (item["operator"] is { } opNode)
        {
            if (opNode is not JsonValue opValue || !opValue.TryGetValue<string>(out var opText))
                throw BadRequest.Field($"{field}.operator", "must be a string");
            op = opText;
        }
        return new QueryCondition(keyText, op, item["value"]?.DeepClone());
    }
}

/// <summary><c>{"key": "summary/entityId", "operator": "eq", "value": ...}</c></summary>
public sealed record QueryCondition(string Key, string Operator, JsonNode? Value) : FilterNode;

/// <summary>How a filter key's column is typed, which decides how values are read and compared.</summary>
public enum FilterColumnKind
{
    Text,
    Integer,
    Timestamp,
    Uuid,
    Boolean,
    TextArray,
    Json,
}

/// <summary>A column a filter may name: its SQL and its kind.</summary>
public sealed record FilterColumn(string Sql, FilterColumnKind Kind);

/// <summary>
/// AYON's filter language (§4.7 of the behaviour notes) as a SQL condition: written once, used by
/// <c>/api/query</c>, <c>/api/eventops</c>, enroll and the <c>filter</c> argument of GraphQL's entity connections. Column names come
/// from a per-context whitelist and JSON path elements from a strict identifier regex; every value
/// is a parameter.
/// </summary>
public static partial class SqlFilter
{
    public static IReadOnlyDictionary<string, FilterColumn> EventColumns { get; } = new Dictionary<string, FilterColumn>
    {
        ["id"] = new("id", FilterColumnKind.Uuid),
        ["hash"] = new("hash", FilterColumnKind.Text),
        ["topic"] = new("topic", FilterColumnKind.Text),
        ["sender"] = new("sender", FilterColumnKind.Text),
        ["sender_type"] = new("sender_type", FilterColumnKind.Text),
        ["project"] = new("project_name", FilterColumnKind.Text),
        ["project_name"] = new("project_name", FilterColumnKind.Text),
        ["user"] = new("user_name", FilterColumnKind.Text),
        ["user_name"] = new("user_name", FilterColumnKind.Text),
        ["depends_on"] = new("depends_on", FilterColumnKind.Uuid),
        ["status"] = new("status", FilterColumnKind.Text),
        ["retries"] = new("retries", FilterColumnKind.Integer),
        ["description"] = new("description", FilterColumnKind.Text),
        ["summary"] = new("summary", FilterColumnKind.Json),
        ["payload"] = new("payload", FilterColumnKind.Json),
        ["created_at"] = new("created_at", FilterColumnKind.Timestamp),
        ["updated_at"] = new("updated_at", FilterColumnKind.Timestamp),
    };

    /// <summary>
    /// The filter as a SQL boolean expression over <paramref name="columns"/> (each prefixed with
    /// <paramref name="alias"/>), adding its values to <paramref name="parameters"/> as
    /// <c>@{prefix}0, @{prefix}1, ...</c>. No filter is <c>TRUE</c>.
    /// </summary>
    public static string Build(QueryFilter? filter, IReadOnlyDictionary<string, FilterColumn> columns, DynamicParameters parameters,
        string alias = "", string prefix = "filter")
    {
        if (filter is null)
            return "TRUE";
        var builder = new Builder(columns, parameters, alias, prefix);
        return builder.Group(filter, "filter");
    }

    sealed class Builder(IReadOnlyDictionary<string, FilterColumn> columns, DynamicParameters parameters, string alias, string prefix)
    {
        int _next;

        public string Group(QueryFilter filter, string field)
        {
            if (filter.Conditions.Count == 0)
                return "TRUE";
            var parts = filter.Conditions.Select((c, i) => c switch
            {
                QueryFilter nested => Group(nested, $"{field}.conditions.{i}"),
                QueryCondition condition => Condition(condition, $"{field}.conditions.{i}"),
                _ => throw new InvalidOperationException(),
            });
            return "(" + string.Join(filter.Operator == "or" ? " OR " : " AND ", parts) + ")";
        }

        string Parameter(object? value)
        {
            var name = $"{prefix}{_next++}";
            parameters.Add(name, value);
            return "@" + name;
        }

        string Condition(QueryCondition condition, string field)
        {
            var path = condition.Key.Split('/', '.');
            foreach (var element in path)
                if (!PathElement().IsMatch(element))
                    throw BadRequest.Field($"{field}.key", $"'{element}' is not a valid key element");
            var name = ToSnakeCase(path[0]);
            if (!columns.TryGetValue(name, out var column))
                throw BadRequest.Field($"{field}.key", $"'{path[0]}' cannot be filtered on");
            var op = condition.Operator.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() switch
            {
                // The web UI's names: "contains" a value or all of a list, "any" of a list.
                "contains" => condition.Value is JsonArray ? "includesall" : "includes",
                "any" => "includesany",
                var other => other,
            };
            if (!Operators.Contains(op))
                throw BadRequest.Field($"{field}.operator", $"unknown operator '{condition.Operator}'");
            var sql = alias + column.Sql;
            if (column.Kind == FilterColumnKind.Json)
                return Json(path.Length == 1 ? sql : $"({sql} #> '{{{string.Join(',', path[1..])}}}')", op, condition.Value, field);
            if (path.Length > 1)
                throw BadRequest.Field($"{field}.key", $"'{path[0]}' is not a JSON field: it has no '{path[1]}'");
            return Scalar(sql, column.Kind, op, condition.Value, field);
        }

        string Scalar(string column, FilterColumnKind kind, string op, JsonNode? value, string field)
        {
            var array = kind == FilterColumnKind.TextArray;
            switch (op)
            {
                case "isnull":
                    return $"{column} IS NULL";
                case "notnull":
                    return $"{column} IS NOT NULL";
                case "like":
                    return $"{column}::text ILIKE {Parameter(Text(value, field))}";
                case "in" or "notin" when !array:
                    {
                        var list = List(value, field);
                        if (list.Count == 0)
                            return op == "in" ? "FALSE" : "TRUE";
                        var any = $"{column} = ANY({Parameter(TypedArray(kind, list, field))})";
                        return op == "in" ? any : $"NOT coalesce({any}, false)";
                    }
                case "eq" or "ne" when array && value is JsonArray { Count: 0 }:
                    return op == "eq" ? $"coalesce(cardinality({column}), 0) = 0" : $"coalesce(cardinality({column}), 0) > 0";
                case "eq" or "ne" or "lt" or "gt" or "lte" or "gte" when !array:
                    {
                        var parameter = Parameter(Typed(kind, value, field));
                        return op switch
                        {
                            "eq" => $"{column} = {parameter}",
                            "ne" => $"{column} IS DISTINCT FROM {parameter}",
                            _ => $"{column} {Comparison(op)} {parameter}",
                        };
                    }
                case "includes" or "excludes" when array:
                    {
                        var test = $"coalesce({Parameter(Text(value, field))} = ANY({column}), false)";
                        return op == "includes" ? test : $"NOT {test}";
                    }
                case "includesall" or "excludesany" when array:
                    {
                        var test = $"coalesce({column} @> {Parameter(TextList(value, field))}, false)";
                        return op == "includesall" ? test : $"NOT {test}";
                    }
                case "includesany" or "excludesall" when array:
                    {
                        var test = $"coalesce({column} && {Parameter(TextList(value, field))}, false)";
                        return op == "includesany" ? test : $"NOT {test}";
                    }
                default:
                    throw BadRequest.Field($"{field}.operator", $"operator '{op}' does not apply to this key");
            }
        }

        string Json(string json, string op, JsonNode? value, string field)
        {
            switch (op)
            {
                case "isnull":
                    return $"({json} IS NULL OR {json} = 'null'::jsonb)";
                case "notnull":
                    return $"({json} IS NOT NULL AND {json} <> 'null'::jsonb)";
                case "like":
                    return $"({json} #>> '{{}}') ILIKE {Parameter(Text(value, field))}";
                case "eq" or "ne" when value is JsonArray { Count: 0 }:
                    {
                        var empty = $"coalesce(nullif({json}, 'null'::jsonb), '[]'::jsonb) = '[]'::jsonb";
                        return op == "eq" ? empty : $"NOT ({empty})";
                    }
                case "eq" or "ne" when value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                    {
                        var test = $"coalesce({json}, 'false'::jsonb) = {Parameter(value.ToJsonString())}::jsonb";
                        return op == "eq" ? test : $"NOT ({test})";
                    }
                case "eq" or "ne" or "lt" or "gt" or "lte" or "gte":
                    {
                        var parameter = Parameter(JsonLiteral(value, field)) + "::jsonb";
                        return op switch
                        {
                            "eq" => $"{json} = {parameter}",
                            "ne" => $"{json} IS DISTINCT FROM {parameter}",
                            _ => $"{json} {Comparison(op)} {parameter}",
                        };
                    }
                case "in" or "notin":
                    {
                        var list = List(value, field);
                        if (list.Count == 0)
                            return op == "in" ? "FALSE" : "TRUE";
                        var any = $"{json} = ANY(CAST({Parameter(list.Select(item => JsonLiteral(item, field)).ToArray())} AS jsonb[]))";
                        return op == "in" ? any : $"NOT coalesce({any}, false)";
                    }
                case "includes" or "excludes":
                    {
                        var test = $"coalesce({json} @> {Parameter(new JsonArray(JsonLiteralNode(value, field)).ToJsonString())}::jsonb, false)";
                        return op == "includes" ? test : $"NOT {test}";
                    }
                case "includesall" or "excludesany":
                    {
                        var test = $"coalesce({json} @> {Parameter(JsonList(value, field))}::jsonb, false)";
                        return op == "includesall" ? test : $"NOT {test}";
                    }
                case "includesany" or "excludesall":
                    {
                        var test = $"EXISTS (SELECT 1 FROM jsonb_array_elements({Parameter(JsonList(value, field))}::jsonb) AS v WHERE {json} @> jsonb_build_array(v))";
                        return op == "includesany" ? test : $"NOT {test}";
                    }
                default:
                    throw BadRequest.Field($"{field}.operator", $"operator '{op}' does not apply to this key");
            }
        }
    }

    static readonly HashSet<string> Operators =
        ["eq", "ne", "lt", "gt", "lte", "gte", "like", "isnull", "notnull", "in", "notin", "includes", "excludes",
         "includesall", "excludesall", "includesany", "excludesany"];

    static string Comparison(string op) => op switch { "lt" => "<", "gt" => ">", "lte" => "<=", _ => ">=" };

    static BadRequest ValueError(string field, string message) => BadRequest.Field($"{field}.value", message);

    static string Text(JsonNode? value, string field) =>
        value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw ValueError(field, "must be a string");

    static List<JsonNode> List(JsonNode? value, string field)
    {
        if (value is not JsonArray array)
            throw ValueError(field, "must be a list");
        var items = new List<JsonNode>();
        foreach (var item in array)
        {
            if (item is not JsonValue scalar || scalar.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
                throw ValueError(field, "must be a list of strings or numbers");
            items.Add(item);
        }
        return items;
    }

    static string[] TextList(JsonNode? value, string field) =>
        [.. List(value, field).Select(item => item.GetValueKind() == JsonValueKind.String ? item.GetValue<string>() : item.ToJsonString())];

    static string JsonList(JsonNode? value, string field) => new JsonArray([.. List(value, field).Select(i => i.DeepClone())]).ToJsonString();

    static string JsonLiteral(JsonNode? value, string field) => JsonLiteralNode(value, field).ToJsonString();

    static JsonNode JsonLiteralNode(JsonNode? value, string field) => value switch
    {
        null => throw ValueError(field, "a value is required (null only with isnull/notnull)"),
        JsonObject => throw ValueError(field, "must be a string, number, boolean or list"),
        _ => value.DeepClone(),
    };

    static object Typed(FilterColumnKind kind, JsonNode? value, string field)
    {
        if (value is not JsonValue scalar)
            throw ValueError(field, value is null ? "a value is required (null only with isnull/notnull)" : "must be a single value");
        var valueKind = scalar.GetValueKind();
        switch (kind)
        {
            case FilterColumnKind.Text:
                return valueKind switch
                {
                    JsonValueKind.String => scalar.GetValue<string>(),
                    JsonValueKind.Number => scalar.ToJsonString(),
                    _ => throw ValueError(field, "must be a string"),
                };
            case FilterColumnKind.Integer:
                return valueKind == JsonValueKind.Number && scalar.TryGetValue<long>(out var number) ? number
                    : valueKind == JsonValueKind.Number && scalar.TryGetValue<double>(out var real) ? real
                    : throw ValueError(field, "must be a number");
            case FilterColumnKind.Boolean:
                return valueKind is JsonValueKind.True or JsonValueKind.False ? scalar.GetValue<bool>() : throw ValueError(field, "must be true or false");
            case FilterColumnKind.Uuid:
                return valueKind == JsonValueKind.String && Guid.TryParse(scalar.GetValue<string>(), out var id) ? id
                    : throw ValueError(field, "must be a 32-character hexadecimal id");
            case FilterColumnKind.Timestamp:
                return valueKind == JsonValueKind.String && DateTimeOffset.TryParse(scalar.GetValue<string>(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out var time) ? time.ToUniversalTime()
                    : throw ValueError(field, "must be an ISO-8601 timestamp");
            default:
                throw ValueError(field, "cannot be compared");
        }
    }

    static object TypedArray(FilterColumnKind kind, List<JsonNode> items, string field) => kind switch
    {
        FilterColumnKind.Uuid => items.Select(i => (Guid)Typed(kind, i, field)).ToArray(),
        FilterColumnKind.Integer => items.Select(i => Convert.ToDouble(Typed(kind, i, field), CultureInfo.InvariantCulture)).ToArray(),
        FilterColumnKind.Timestamp => items.Select(i => (DateTimeOffset)Typed(kind, i, field)).ToArray(),
        _ => items.Select(i => Typed(FilterColumnKind.Text, i, field).ToString()!).ToArray(),
    };

    /// <summary>camelCase → snake_case, as AYON maps filter keys onto columns.</summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && name[i - 1] != '_')
                    builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else
                builder.Append(c);
        }
        return builder.ToString();
    }

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex PathElement();
}
