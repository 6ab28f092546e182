using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.GraphQL;

/// <summary>
/// The <c>filter</c> argument: AYON's advanced filter, JSON text of
/// <c>{"conditions": [{"key", "value", "operator"} | filter...], "operator": "and"|"or"}</c>, turned into
/// one SQL condition. Keys are field names (<c>name</c>, <c>status</c>, <c>tags</c>, <c>folderType</c>...),
/// <c>attrib/&lt;name&gt;</c> (effective value) or <c>data/&lt;key&gt;</c>; every side is compared as jsonb.
/// </summary>
public static class QueryFilter
{
    static readonly Dictionary<string, string> MetaColumns = new()
    {
        ["id"] = "e.id",
        ["createdAt"] = "e.created_at",
        ["updatedAt"] = "e.updated_at",
        ["createdBy"] = "e.created_by",
        ["updatedBy"] = "e.updated_by",
    };

    public static string Condition(EntityGraph graph, string text, string parameter, DynamicParameters parameters)
    {
        JsonObject filter;
        try
        {
            filter = JsonNode.Parse(text) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw new BadRequest("filter: not a JSON object");
        }
        var counter = 0;
        return Group(graph, filter, parameter, parameters, ref counter);
    }

    static string Group(EntityGraph graph, JsonObject filter, string parameter, DynamicParameters parameters, ref int counter)
    {
        var join = (filter["operator"]?.ToString() ?? "and").ToLowerInvariant() switch
        {
            "and" => " AND ",
            "or" => " OR ",
            var other => throw new BadRequest($"filter: unknown group operator '{other}'"),
        };
        var parts = new List<string>();
        foreach (var item in filter["conditions"] as JsonArray ?? [])
        {
            if (item is not JsonObject condition)
                throw new BadRequest("filter: every condition is an object");
            parts.Add(condition.ContainsKey("conditions")
                ? Group(graph, condition, parameter, parameters, ref counter)
                : Single(graph, condition, $"{parameter}_{counter++}", parameters));
        }
        return parts.Count == 0 ? "true" : $"({string.Join(join, parts)})";
    }

    static string Single(EntityGraph graph, JsonObject condition, string parameter, DynamicParameters parameters)
    {
        var key = condition["key"]?.ToString() ?? throw new BadRequest("filter: a condition needs a key");
        var expression = Expression(graph, key);
        var value = condition["value"];
        var operation = (condition["operator"]?.ToString() ?? "eq").ToLowerInvariant();
        string Bind(JsonNode? v)
        {
            parameters.Add(parameter, (v ?? JsonValue.Create((string?)null))?.ToJsonString() ?? "null");
            return $"@{parameter}::jsonb";
        }
        JsonArray AsList() => value as JsonArray ?? [value?.DeepClone()];
        var values = $"(SELECT jsonb_array_elements({Bind(AsList())}))";
        return operation switch
        {
            "eq" => $"{expression} = {Bind(value)}",
            "ne" => $"{expression} IS DISTINCT FROM {Bind(value)}",
            "lt" => $"{expression} < {Bind(value)}",
            "gt" => $"{expression} > {Bind(value)}",
            "lte" => $"{expression} <= {Bind(value)}",
            "gte" => $"{expression} >= {Bind(value)}",
            "isnull" => $"({expression} IS NULL OR {expression} = 'null'::jsonb)",
            "notnull" => $"({expression} IS NOT NULL AND {expression} <> 'null'::jsonb)",
            "in" => $"{expression} IN {values}",
            "notin" => $"{expression} NOT IN {values}",
            "contains" or "includes" or "includesall" => $"{expression} @> {Bind(AsList())}",
            "excludes" or "excludesall" => $"NOT COALESCE({expression} @> {Bind(AsList())}, false)",
            "any" or "includesany" => $"EXISTS (SELECT FROM jsonb_array_elements(CASE WHEN jsonb_typeof({expression}) = 'array' THEN {expression} ELSE '[]' END) x WHERE x IN {values})",
            "excludesany" => $"NOT EXISTS (SELECT FROM jsonb_array_elements(CASE WHEN jsonb_typeof({expression}) = 'array' THEN {expression} ELSE '[]' END) x WHERE x IN {values})",
            "like" => $"({expression} #>> '{{}}') ILIKE ({Bind(value)} #>> '{{}}')",
            _ => throw new BadRequest($"filter: unknown operator '{operation}'"),
        };
    }

    static string Expression(EntityGraph graph, string key)
    {
        var parts = key.Split('/', '.');
        if (parts.Length == 2 && parts[0] == "attrib")
            return $"({graph.AttribExpression} -> {Literal(parts[1])})";
        if (parts.Length == 2 && parts[0] == "data")
            return $"(e.data -> {Literal(parts[1])})";
        if (MetaColumns.TryGetValue(key, out var meta))
            return key == "id" ? "to_jsonb(replace(e.id::text, '-', ''))" : $"to_jsonb({meta})";
        if (graph.Definition.Field(key) is { } field)
            return field.Kind == FieldKind.Id ? $"to_jsonb(replace(e.{field.Column}::text, '-', ''))" : $"to_jsonb(e.{field.Column})";
        throw new BadRequest($"filter: unknown key '{key}' for {graph.Definition.Plural}");
    }

    /// <summary>An attribute or data key as a SQL string literal (keys are names: letters, digits, _ and -).</summary>
    static string Literal(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? $"'{name}'"
            : throw new BadRequest($"filter: '{name}' is not an attribute name");
}
