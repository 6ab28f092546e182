using Anvil.Server.Data;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>AYON's connection shape, one generic type for every node: <c>{edges {node cursor} pageInfo {...}}</c>.</summary>
public sealed class ConnectionType<TNodeType, TNode> : ObjectGraphType<Connection<TNode>> where TNodeType : IGraphType
{
    public ConnectionType()
    {
        var nodeName = typeof(TNodeType).Name.Replace("Type", "", StringComparison.Ordinal);
        Name = nodeName.Replace("Node", "", StringComparison.Ordinal) + "sConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EdgeType<TNodeType, TNode>>>>>("edges").Resolve(c => c.Source.Edges);
        Field<NonNullGraphType<PageInfoType>>("pageInfo").Resolve(c => c.Source.PageInfo);
        // Rendered in one pass when every field its query selects is plain (events); otherwise the general path.
        // A rendered page's value is its JSON, not a Connection: no type check (a connection is never resolved through an interface).
        IsTypeOf = null;
        this.AllPlain().Rendered();
    }
}

public sealed class EdgeType<TNodeType, TNode> : ObjectGraphType<Edge<TNode>> where TNodeType : IGraphType
{
    public EdgeType()
    {
        Name = typeof(TNodeType).Name.Replace("NodeType", "", StringComparison.Ordinal) + "Edge";
        Field<NonNullGraphType<TNodeType>>("node").Resolve(c => c.Source.Node);
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(c => c.Source.Cursor);
        this.AllPlain();
    }
}

public sealed class PageInfoType : ObjectGraphType<PageInfo>
{
    public PageInfoType()
    {
        Name = "PageInfo";
        Field(p => p.HasNextPage);
        Field(p => p.HasPreviousPage);
        Field(p => p.StartCursor, nullable: true);
        Field(p => p.EndCursor, nullable: true);
        this.AllPlain();
    }
}
