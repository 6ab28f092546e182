using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>The read API. No mutations and no subscriptions: writes go through REST, live updates through /ws.</summary>
public sealed class AyonSchema : Schema
{
    public AyonSchema()
    {
        Query = new QueryType();
        RegisterType(new HasLinksFilterType());
    }
}

/// <summary>The client declares variables of this enum type by name, so it must exist even where unused.</summary>
public sealed class HasLinksFilterType : EnumerationGraphType
{
    public HasLinksFilterType()
    {
        Name = "HasLinksFilter";
        foreach (var value in new[] { "NONE", "IN", "OUT", "ANY", "BOTH" })
            Add(value, value);
    }
}
