using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Dapper;
using GraphQL;

namespace Anvil.Server.GraphQL;

/// <summary>
/// <c>fieldStats</c> of an entity connection: for each column asked with <c>calculateSpecificStatistics</c>
/// (<c>{field, aggregations}</c>), the statistics over every row the connection's filters match (not
/// one page), in one SQL statement. Fields are the filter language's names (<c>status</c>,
/// <c>task_type</c>, <c>tags</c>, ...) or <c>attrib.x</c> / <c>inherited_attributes.x</c> (the effective
/// value); a column's name in the answer is the field with dots as underscores (<c>attrib_fps</c>).
/// </summary>
public static class FieldStats
{
    const string TargetsArgument = "calculateSpecificStatistics";

    sealed record Target(string Field, string ColumnName, string Sql, FilterColumnKind Kind, HashSet<string> Aggregations);

    /// <summary>The statistics the connection field of <paramref name="connection"/> asked for; empty when it asked none.</summary>
    public static async Task<object?> ResolveAsync(IResolveFieldContext connection, EntityDefinition graph, CancellationToken cancellationToken)
    {
        if (connection.Source is not ProjectSource project || connection.GetArgument<List<Dictionary<string, object?>>?>(TargetsArgument) is not { Count: > 0 } asked)
            return new List<JsonObject>();
        var targets = asked.Select((t, i) => TargetOf(graph, t, i)).ToList();
        var (conditions, parameters) = EntityArguments.Conditions(graph, connection);
        return await connection.Scope().RunAsync(project.Name, session => ComputeAsync(session, graph, targets, conditions, parameters, cancellationToken), cancellationToken);
    }

    static Target TargetOf(EntityDefinition graph, Dictionary<string, object?> asked, int index)
    {
        var field = asked.GetValueOrDefault("field")?.ToString() ?? "";
        var aggregations = (asked.GetValueOrDefault("aggregations") as IEnumerable<object?> ?? []).Select(a => a?.ToString() ?? "").ToHashSet();
        var dot = field.IndexOf('.');
        if (dot > 0 && field[..dot] is "attrib" or "inherited_attributes" or "project_attributes" or "attributes")
        {
            var name = field[(dot + 1)..];
            if (!Names.IsAttributeName(name))
                throw BadRequest.Field($"{TargetsArgument}.{index}.field", $"'{name}' is not an attribute name");
            return new(field, field.Replace('.', '_'), $"({graph.AttribExpression} -> '{name}')", FilterColumnKind.Json, aggregations);
        }
        if (!graph.FilterColumns.TryGetValue(field, out var column) || column.Kind == FilterColumnKind.Json)
            throw BadRequest.Field($"{TargetsArgument}.{index}.field", $"'{field}' is not a column of {graph.Plural}");
        return new(field, field, column.Sql, column.Kind, aggregations);
    }

    static async Task<object?> ComputeAsync(ProjectSession session, EntityDefinition graph, List<Target> targets,
        List<string> conditions, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        if (session.Access.ReadCondition(graph) is { } readable)
            conditions.Add(readable);
        parameters.Add("inheritedByRoots", session.Project.InheritedByRoots.ToJsonString());
        foreach (var (name, value) in session.Access.Parameters)
            parameters.Add(name, value);
        var columns = targets.Select((t, i) => $"{t.Sql} AS c{i}");
        var selects = new List<string> { "count(*) AS total" };
        for (var i = 0; i < targets.Count; i++)
        {
            var (c, kind) = ($"c{i}", targets[i].Kind);
            selects.Add($"count(*) FILTER (WHERE {Filled(c, kind)}) AS filled{i}");
            if (kind is FilterColumnKind.Json or FilterColumnKind.Integer)
            {
                var number = kind == FilterColumnKind.Json ? $"(CASE WHEN jsonb_typeof({c}) = 'number' THEN ({c})::text::numeric END)" : c;
                selects.Add($"min({number})::float8 AS min{i}, max({number})::float8 AS max{i}, avg({number})::float8 AS avg{i}, sum({number})::float8 AS sum{i}");
            }
            if (kind is FilterColumnKind.Json or FilterColumnKind.Boolean)
                selects.Add($"count(*) FILTER (WHERE {(kind == FilterColumnKind.Json ? $"{c} = 'true'::jsonb" : c)}) AS checked{i}");
            if (targets[i].Aggregations.Contains("DISTRIBUTION"))
            {
                var values = kind switch
                {
                    FilterColumnKind.TextArray => $"SELECT v FROM base, unnest(base.{c}) v",
                    FilterColumnKind.Json => $"SELECT {c} #>> '{{}}' AS v FROM base WHERE {Filled(c, kind)}",
                    _ => $"SELECT {c}::text AS v FROM base WHERE {c} IS NOT NULL",
                };
                selects.Add($"""
                    (SELECT COALESCE(jsonb_agg(jsonb_build_object('value', d.v, 'count', d.n) ORDER BY d.n DESC, d.v), '[]')
                     FROM (SELECT v, count(*) AS n FROM ({values}) x GROUP BY v) d)::text AS distribution{i}
                    """);
            }
        }
        var sql = $"""
            WITH base AS MATERIALIZED (
                SELECT {string.Join(", ", columns)}
                {graph.From}
                WHERE {(conditions.Count == 0 ? "true" : string.Join("\n  AND ", conditions))}
            )
            SELECT {string.Join(",\n       ", selects)}
            FROM base
            """;
        var row = (IDictionary<string, object?>)await session.Connection.QuerySingleAsync(session.Command(sql, parameters, cancellationToken));
        var total = Convert.ToInt32(row["total"]);
        var stats = new List<JsonObject>();
        for (var i = 0; i < targets.Count; i++)
        {
            var filled = Convert.ToInt32(row[$"filled{i}"]);
            var notFilled = total - filled;
            var result = new JsonObject
            {
                ["columnName"] = targets[i].ColumnName,
                ["count"] = filled,
                ["valueFilledCount"] = filled,
                ["valueNotFilledCount"] = notFilled,
                ["percentageFilled"] = Percentage(filled, total),
                ["percentageNotFilled"] = Percentage(notFilled, total),
            };
            foreach (var name in new[] { "min", "max", "avg", "sum" })
                if (row.TryGetValue($"{name}{i}", out var value) && value is double number)
                    result[name] = number;
            if (row.TryGetValue($"checked{i}", out var checkedValue) && checkedValue is not null)
            {
                var checkedCount = Convert.ToInt32(checkedValue);
                result["checkedCount"] = checkedCount;
                result["notCheckedCount"] = total - checkedCount;
                result["checkedPercentage"] = Percentage(checkedCount, total);
                result["notCheckedPercentage"] = Percentage(total - checkedCount, total);
            }
            if (row.TryGetValue($"distribution{i}", out var distribution) && distribution is string json)
                result["distribution"] = JsonNode.Parse(json);
            stats.Add(result);
        }
        return stats;
    }

    /// <summary>A value is filled when it is there: not null, not JSON null, not an empty string or list.</summary>
    static string Filled(string column, FilterColumnKind kind) => kind switch
    {
        FilterColumnKind.Json => $"({column} IS NOT NULL AND jsonb_typeof({column}) <> 'null' AND {column} <> '\"\"'::jsonb AND {column} <> '[]'::jsonb)",
        FilterColumnKind.TextArray => $"cardinality({column}) > 0",
        FilterColumnKind.Text => $"({column} IS NOT NULL AND {column} <> '')",
        _ => $"{column} IS NOT NULL",
    };

    static double Percentage(int part, int total) => total == 0 ? 0 : Math.Round(part * 10000.0 / total) / 100;
}
