using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.GraphQL;

/// <summary>An entity row as GraphQL nodes see it: the REST shape of the row, its project and its sort key.</summary>
public sealed record EntityNode(string Project, JsonObject Row, long Order, string? Sort = null)
{
    /// <summary>The values a cursor of this row holds: the sortBy key (when sorted) and the creation order.</summary>
    public object?[] CursorValues => Sort is null ? [Order] : [Sort, Order];

    public Guid Id => Guid.Parse(Row["id"]!.GetValue<string>());

    public Guid? IdOf(string field) => Row[field]?.GetValue<string>() is { } text ? Guid.Parse(text) : null;
}

/// <summary>
/// The SQL of every entity connection and lookup, generic over the entity definitions: the
/// definition's SELECT (aliases = API names) plus the creation order, an optional grouping key and
/// the GraphQL-only columns; filters and paging run in SQL.
/// </summary>
public static class EntityQueries
{
    /// <summary>Creation order, after the sortBy key when there is one (a total order, so cursors are exact).</summary>
    static string[] SortKeys(string? sort) => sort is null ? ["e.creation_order"] : [sort, "e.creation_order"];

    /// <summary>One page of a root connection; <paramref name="sort"/> is the sortBy expression (text), or null.</summary>
    public static async Task<Connection<EntityNode>> PageAsync(ProjectSession session, EntityGraph graph, IReadOnlyList<string> conditions,
        DynamicParameters parameters, Paging paging, string? sort, CancellationToken cancellationToken)
    {
        var sql = paging.Apply($"{SelectOf(graph, null, sort)}\nWHERE {Where(Readable(session, graph, conditions))}", SortKeys(sort), parameters);
        var rows = await ReadAsync(session, sql, parameters, cancellationToken);
        return paging.ToConnection(rows, r => r.CursorValues);
    }

    /// <summary>One page per parent, for every parent at once: the rows are ranked per parent in SQL.</summary>
    public static async Task<IReadOnlyDictionary<Guid, Connection<EntityNode>>> PagesByParentAsync(ProjectSession session, EntityGraph graph,
        string parentColumn, IReadOnlyList<Guid> parentIds, IReadOnlyList<string> conditions, DynamicParameters parameters, Paging paging,
        string? sort, CancellationToken cancellationToken)
    {
        var all = Readable(session, graph, conditions).Append($"{parentColumn} = ANY(@parentIds)").ToList();
        if (paging.CursorCondition(SortKeys(sort), parameters) is { } cursor)
            all.Add(cursor);
        parameters.Add("parentIds", parentIds.ToArray());
        parameters.Add("pageLimit", paging.Size + 1);
        var direction = paging.Descending ? "DESC" : "ASC";
        var order = sort is null ? $"q.\"_order\" {direction}" : $"q.\"_sort\" {direction}, q.\"_order\" {direction}";
        var sql = $"""
            SELECT * FROM (
                SELECT q.*, row_number() OVER (PARTITION BY q."_parent" ORDER BY {order}) AS "_rank"
                FROM (
                    {SelectOf(graph, parentColumn, sort)}
                    WHERE {Where(all)}
                ) q
            ) r
            WHERE r."_rank" <= @pageLimit
            ORDER BY {order.Replace("q.", "r.", StringComparison.Ordinal)}
            """;
        var rows = await ReadAsync(session, sql, parameters, cancellationToken);
        return rows.GroupBy(r => Guid.Parse(r.Row["_parent"]!.GetValue<string>()))
            .ToDictionary(g => g.Key, g => paging.ToConnection(g.Select(Strip).ToList(), r => r.CursorValues));
    }

    /// <summary>Rows whose <paramref name="keyColumn"/> is one of the keys (ids, parents), grouped by key.</summary>
    public static async Task<IReadOnlyDictionary<Guid, List<EntityNode>>> ByKeyAsync(ProjectSession session, EntityGraph graph,
        string keyColumn, IReadOnlyList<Guid> keys, string? condition, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("keys", keys.ToArray());
        var where = Readable(session, graph, condition is null ? [$"{keyColumn} = ANY(@keys)"] : [$"{keyColumn} = ANY(@keys)", condition]);
        var rows = await ReadAsync(session, $"{SelectOf(graph, keyColumn)}\nWHERE {Where(where)}\nORDER BY e.creation_order", parameters, cancellationToken);
        return rows.GroupBy(r => Guid.Parse(r.Row["_parent"]!.GetValue<string>()))
            .ToDictionary(g => g.Key, g => g.Select(Strip).ToList());
    }

    /// <summary>The conditions, plus the one keeping only what the user may read: restrictions are applied in SQL, before paging.</summary>
    static IReadOnlyList<string> Readable(ProjectSession session, EntityGraph graph, IReadOnlyList<string> conditions) =>
        session.Access.ReadCondition(graph.Definition) is { } readable ? [.. conditions, readable] : conditions;

    static string Where(IReadOnlyList<string> conditions) => conditions.Count == 0 ? "true" : string.Join("\n  AND ", conditions);

    static string SelectOf(EntityGraph graph, string? groupColumn, string? sort = null)
    {
        var select = graph.Definition.Select;
        if (!select.StartsWith("SELECT ", StringComparison.Ordinal))
            throw new InvalidOperationException($"The {graph.Definition.Type} SELECT must start with SELECT");
        var extra = string.Concat(graph.ExtraColumns.Select(c => c + ", "));
        var group = groupColumn is null ? "" : $"{groupColumn} AS \"_parent\", ";
        var sortColumn = sort is null ? "" : $"{sort} AS \"_sort\", ";
        return $"SELECT e.creation_order AS \"_order\", {sortColumn}{group}{extra}{select["SELECT ".Length..]}";
    }

    static async Task<List<EntityNode>> ReadAsync(ProjectSession session, string sql, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        parameters.Add("inheritedByRoots", session.Project.InheritedByRoots.ToJsonString());
        foreach (var (name, value) in session.Access.Parameters)
            parameters.Add(name, value);
        await using var reader = await session.Connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, session.Transaction, cancellationToken: cancellationToken));
        var rows = new List<EntityNode>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = JsonRows.Read(reader);
            var order = row["_order"]!.GetValue<long>();
            var sort = row["_sort"]?.GetValue<string>();
            row.Remove("_order");
            row.Remove("_sort");
            row.Remove("_rank");
            session.Access.FilterAttributes(row);
            rows.Add(new EntityNode(session.Project.Name, row, order, sort));
        }
        return rows;
    }

    static EntityNode Strip(EntityNode node)
    {
        node.Row.Remove("_parent");
        return node;
    }

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
}
