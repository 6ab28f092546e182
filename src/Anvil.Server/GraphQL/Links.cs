using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Dapper;
using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;
using static Anvil.Server.GraphQL.GraphTypes;

namespace Anvil.Server.GraphQL;

/// <summary>
/// <c>links(names, nameEx, linkTypes, direction, first, after)</c> on every entity node, as the client
/// reads it: the link's fields directly on the edge, <c>entityType</c>/<c>entityId</c> naming the other
/// end, <c>direction</c> relative to the queried entity (<c>in</c>: it is the link's output).
/// Batch-loaded like the other nested connections: one statement for all the entities of a level.
/// </summary>
public static class Links
{
    static readonly Connection<JsonObject> Empty = new([], new PageInfo(false, false, null, null));

    /// <summary>The connection type; <paramref name="node"/> resolves a link's <c>node</c>, the entity at its other end.</summary>
    public static ObjectGraphType ConnectionType(Func<IResolveFieldContext, JsonObject, object?> node)
    {
        var edge = new ObjectGraphType { Name = "LinkEdge" };
        foreach (var name in new[] { "id", "linkType", "projectName", "entityType", "entityId", "name", "direction", "description", "author" })
            edge.AddField(Field(name, new StringGraphType(), c => ValueOf(((Edge<JsonObject>)c.Source!).Node[name], NodeFieldKind.Text)));
        edge.AddField(Field("cursor", new NonNullGraphType(new StringGraphType()), c => ((Edge<JsonObject>)c.Source!).Cursor));
        edge.AddField(Field("data", new JsonGraphType(), c => ((Edge<JsonObject>)c.Source!).Node["data"] ?? new JsonObject(), "The link's data, as a JSON object."));
        edge.AddField(Field("node", new GraphQLTypeReference(BaseNode.Name), c => node(c, ((Edge<JsonObject>)c.Source!).Node),
            "The entity at the other end (entityType, entityId); null when the user may not read it."));
        var connection = new ObjectGraphType { Name = "LinksConnection" };
        connection.AddField(Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(edge))), c => ((Connection<JsonObject>)c.Source!).Edges));
        connection.AddField(Field("pageInfo", typeof(NonNullGraphType<PageInfoType>), c => ((Connection<JsonObject>)c.Source!).PageInfo));
        return connection;
    }

    public static FieldType NodeField(IGraphType connection)
    {
        var field = GraphTypes.Field("links", new NonNullGraphType(connection), context =>
        {
            var node = (EntityNode)context.Source!;
            var scope = context.Scope();
            var loader = scope.Loader(("links", context.FieldAst, node.Project), () =>
            {
                var (conditions, parameters) = Conditions(context);
                var paging = context.Paging();
                var direction = context.GetArgument<string?>("direction");
                return new BatchLoader<Guid, Connection<JsonObject>>((keys, cancellationToken) =>
                    scope.RunAsync(node.Project, session => LoadAsync(session, keys, direction, conditions, parameters, paging, cancellationToken), cancellationToken), Empty);
            });
            return loader.Load(node.Id);
        }, "Links of this entity.");
        field.Arguments = new QueryArguments(
            new QueryArgument<StringGraphType> { Name = "direction", Description = "in: links whose output is this entity; out: whose input is; omitted: both." },
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "linkTypes", Description = "Link type names (the first part of type|input|output)." },
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "names" },
            new QueryArgument<StringGraphType> { Name = "nameEx" },
            new QueryArgument<IntGraphType> { Name = "first" },
            new QueryArgument<StringGraphType> { Name = "after" },
            new QueryArgument<IntGraphType> { Name = "last" },
            new QueryArgument<StringGraphType> { Name = "before" });
        return field;
    }

    static (List<string>, DynamicParameters) Conditions(IResolveFieldContext context)
    {
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        if (context.GetArgument<List<string>?>("linkTypes") is { } types)
        {
            parameters.Add("linkTypes", types.ToArray());
            conditions.Add("q.\"linkType\" = ANY(@linkTypes)");
        }
        if (context.GetArgument<List<string>?>("names") is { } names)
        {
            parameters.Add("linkNames", names.ToArray());
            conditions.Add("q.name = ANY(@linkNames)");
        }
        if (context.GetArgument<string?>("nameEx") is { } pattern)
        {
            parameters.Add("linkNameEx", EntityFilter.Regex("nameEx", pattern));
            conditions.Add("q.name ~ @linkNameEx");
        }
        return (conditions, parameters);
    }

    /// <summary>A link leads somewhere only if the user may read the entity at its other end; null when they may read everything.</summary>
    static string? ReadableOtherEnd(ProjectAccess access)
    {
        var ends = EntityRegistry.All.Where(d => access.ReadCondition(d) is not null)
            .Select(d => $"(q.\"entityType\" = '{d.Type}' AND EXISTS (SELECT\n{d.From}\nWHERE e.id = q.\"entityId\" AND {access.ReadCondition(d)}))")
            .ToList();
        return ends.Count == 0 ? null : $"({string.Join("\n OR ", ends)})";
    }

    static async Task<IReadOnlyDictionary<Guid, Connection<JsonObject>>> LoadAsync(ProjectSession session, IReadOnlyList<Guid> keys, string? direction,
        List<string> conditions, DynamicParameters template, Paging paging, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.AddDynamicParams(template);
        parameters.Add("keys", keys.ToArray());
        parameters.Add("pageLimit", paging.Size + 1);
        var all = new List<string>(conditions);
        if (paging.CursorCondition(["q.\"_order\""], parameters) is { } cursor)
            all.Add(cursor);
        if (ReadableOtherEnd(session.Access) is { } readable)
        {
            all.Add(readable);
            foreach (var (name, value) in session.Access.Parameters)
                parameters.Add(name, value);
        }
        // Each side names its columns: either may stand alone (direction in or out) and be the UNION's first.
        var sides = new List<string>();
        if (direction is null or "in")
            sides.Add("""
                SELECT l.output_id AS "_parent", 'in' AS direction, l.input_id AS "entityId", split_part(l.link_type, '|', 2) AS "entityType",
                       l.id, l.name, split_part(l.link_type, '|', 1) AS "linkType", l.author, l.data, l.data->>'description' AS description,
                       l.creation_order AS "_order"
                FROM links l WHERE l.output_id = ANY(@keys)
                """);
        if (direction is null or "out")
            sides.Add("""
                SELECT l.input_id AS "_parent", 'out' AS direction, l.output_id AS "entityId", split_part(l.link_type, '|', 3) AS "entityType",
                       l.id, l.name, split_part(l.link_type, '|', 1) AS "linkType", l.author, l.data, l.data->>'description' AS description,
                       l.creation_order AS "_order"
                FROM links l WHERE l.input_id = ANY(@keys)
                """);
        if (sides.Count == 0)
            throw new Hosting.BadRequest("direction: must be in or out");
        var order = paging.Descending ? "DESC" : "ASC";
        var sql = $"""
            SELECT * FROM (
                SELECT q.*, row_number() OVER (PARTITION BY q."_parent" ORDER BY q."_order" {order}) AS "_rank"
                FROM ({string.Join("\nUNION ALL\n", sides)}) q
                WHERE {(all.Count == 0 ? "true" : string.Join(" AND ", all))}
            ) r
            WHERE r."_rank" <= @pageLimit
            ORDER BY r."_order" {order}
            """;
        await using var reader = await session.Connection.ExecuteReaderAsync(session.Command(sql, parameters, cancellationToken));
        var rows = new List<(Guid Parent, long Order, JsonObject Row)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = JsonRows.Read(reader);
            var parent = Guid.Parse(row["_parent"]!.GetValue<string>());
            var position = row["_order"]!.GetValue<long>();
            row.Remove("_parent");
            row.Remove("_order");
            row.Remove("_rank");
            row["projectName"] = session.Project.Name;
            rows.Add((parent, position, row));
        }
        return rows.GroupBy(r => r.Parent).ToDictionary(g => g.Key, g =>
            paging.ToConnection(g.ToList(), r => [r.Order]) is var page
                ? new Connection<JsonObject>([.. page.Edges.Select(e => new Edge<JsonObject>(e.Node.Row, e.Cursor))], page.PageInfo)
                : Empty);
    }
}

/// <summary>A JSON value carried as JSON (not as a string), e.g. a link's <c>data</c>.</summary>
public sealed class JsonGraphType : ScalarGraphType
{
    public JsonGraphType() => Name = "JSON";

    public override object? Serialize(object? value) => value;

    public override object? ParseValue(object? value) => value;

    public override object? ParseLiteral(GraphQLValue value) => value is GraphQLStringValue text ? (string)text.Value : ThrowLiteralConversionError(value);
}
