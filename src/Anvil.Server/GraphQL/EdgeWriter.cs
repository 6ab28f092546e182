using System.Collections;
using System.Text.Json;
using Anvil.Server.Data;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>
/// A rendered root connection's <c>edges</c>, written row by row while the page's rows are read
/// (<see cref="EntityQueries.PageAsync"/>) rather than once they all are: PostgreSQL sends a page's rows as it
/// produces them, so on a machine with a core for each the database's output and the server's rendering overlap
/// instead of following each other. The bytes are those <see cref="SelectionWriter"/> writes for the same edges
/// (the same plan, with contexts of its own); the connection's <c>edges</c> then holds them
/// (<see cref="WrittenEdges"/>) and the rendering copies them. Anything that fails while writing (a non-null field
/// without a value) drops what was written: the connection is then rendered as without it, and fails there as it would.
/// </summary>
public sealed class EdgeWriter
{
    readonly PlannedField _field;
    readonly PlannedField _copy;
    readonly IGraphType _itemType;
    readonly int _limit;
    readonly Func<EntityNode, IEnumerable<object?>> _sortValues;
    readonly CancellationToken _cancellationToken;
    readonly List<Edge<EntityNode>> _edges = [];
    RawJson? _json = new();
    Utf8JsonWriter? _writer;

    EdgeWriter(PlannedField field, IGraphType itemType, int limit, Func<EntityNode, IEnumerable<object?>> sortValues, CancellationToken cancellationToken)
    {
        (_field, _itemType, _limit, _sortValues, _cancellationToken) = (field, itemType, limit, sortValues, cancellationToken);
        _copy = field.Copy();
        _writer = new Utf8JsonWriter(_json, new JsonWriterOptions { Encoder = RenderedConnections.ResponseOptions.Encoder, SkipValidation = true });
        _writer.WriteStartArray();
    }

    static long _written;

    /// <summary>How many connections had their edges written while read, since the process started (tests check that the path is taken).</summary>
    public static long WrittenCount => Interlocked.Read(ref _written);

    /// <summary>
    /// The writer for the connection <paramref name="context"/> resolves, when it is rendered with a single <c>edges</c>
    /// selection; null otherwise (the general path, a selection the rendering leaves alone).
    /// </summary>
    public static EdgeWriter? For(IResolveFieldContext context, int limit, Func<EntityNode, IEnumerable<object?>> sortValues)
    {
        if (context.UserContext is not GraphQLUserContext { RenderConnections: true } user)
            return null;
        Dictionary<global::GraphQLParser.AST.GraphQLField, SelectionPlan?>? plans;
        lock (user)
            plans = user.GetValueOrDefault(RenderingExecutionStrategy.PlansKey) as Dictionary<global::GraphQLParser.AST.GraphQLField, SelectionPlan?>;
        if (plans is null)
            return null;
        SelectionPlan? plan;
        lock (plans)
            plan = plans.GetValueOrDefault(context.FieldAst);
        var edges = plan?.Fields.Where(f => f.TypeName is null && f.Definition.Name == "edges").ToList();
        if (edges is not [{ Selection: not null } field] || Item(field.Type) is not { } itemType)
            return null;
        return new EdgeWriter(field, itemType, limit, sortValues, context.CancellationToken);
    }

    /// <summary>The item type of a (non-null) list type; null for anything else.</summary>
    static IGraphType? Item(IGraphType type) => (type is NonNullGraphType nonNull ? nonNull.ResolvedType : type) is ListGraphType list ? list.ResolvedType : null;

    /// <summary>A row read: its edge written, when it is on the page (the row after the page only says that another follows).</summary>
    public void Add(EntityNode row)
    {
        if (_edges.Count >= _limit)
            return;
        var edge = new Edge<EntityNode>(row, _sortValues);
        _edges.Add(edge);
        if (_writer is null)
            return;
        try
        {
            SelectionWriter.WriteValue(_writer, edge, _itemType, _copy, _cancellationToken);
        }
        catch (Exception)
        {
            Drop();
            _cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The connection with its edges as written, when every edge of its page was; else the connection as it is.</summary>
    public Connection<EntityNode> Finish(Connection<EntityNode> connection)
    {
        if (_writer is null || _json is null || connection.Edges.Count != _edges.Count)
        {
            Drop();
            return connection;
        }
        _writer.WriteEndArray();
        _writer.Dispose();
        Interlocked.Increment(ref _written);
        return connection with { Edges = new WrittenEdges(_edges, _json, _field) };
    }

    void Drop()
    {
        _writer?.Dispose();
        _writer = null;
        _json?.Discard();
        _json = null;
    }
}

/// <summary>A page's edges with the JSON <see cref="EdgeWriter"/> wrote for them under the planned field <see cref="Field"/>.</summary>
sealed class WrittenEdges(List<Edge<EntityNode>> edges, RawJson json, PlannedField field) : IReadOnlyList<Edge<EntityNode>>
{
    public PlannedField Field { get; } = field;

    public Edge<EntityNode> this[int index] => edges[index];

    public int Count => edges.Count;

    public IEnumerator<Edge<EntityNode>> GetEnumerator() => edges.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void WriteTo(Utf8JsonWriter writer) => json.WriteTo(writer);
}
