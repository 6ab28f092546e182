using Anvil.Server.Features.Attributes;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>
/// The read API. No mutations and no subscriptions: writes go through REST, live updates through /ws.
/// Built for one state of the attribute library (the typed <c>attrib</c> fields).
/// </summary>
public sealed class AyonSchema : Schema
{
    public AyonSchema(IReadOnlyList<AttributeDefinition> attributes)
    {
        RegisterType(new AyonDateTimeGraphType());
        var entities = new EntityTypes(attributes);
        Query = new QueryType(ProjectTypes.ProjectNode(entities, attributes));
        RegisterType(entities.BaseNodeInterface);
        RegisterType(new HasLinksFilterType());
        foreach (var type in ActivityTypes.Types().Concat(WebUiTypes.Types()).Concat(EntityListTypes.Types()))
            RegisterType(type);
        RegisterType(GraphTypes.AttribType("user", attributes) ?? new ObjectGraphType { Name = UserNodeType.AttribTypeName });
    }
}

/// <summary>
/// The schema of the current attribute library: rebuilt (once) when the library changes, so a new
/// or removed attribute shows in <c>attrib</c> without a restart.
/// </summary>
public sealed class AyonSchemaHolder(AttributeLibrary library)
{
    readonly Lock _lock = new();
    (IReadOnlyList<AttributeDefinition>? Attributes, AyonSchema? Schema) _current;

    public async Task<AyonSchema> GetAsync(CancellationToken cancellationToken)
    {
        var attributes = await library.AllAsync(cancellationToken);
        lock (_lock)
        {
            if (ReferenceEquals(_current.Attributes, attributes) && _current.Schema is { } schema)
                return schema;
            var built = new AyonSchema(attributes);
            built.Initialize();
            _current = (attributes, built);
            return built;
        }
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
