using Anvil.Server.Entities;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>
/// AYON's <c>BaseNode</c>: the interface every project entity node implements (id, name, parents,
/// links, ...). Queries select through it (<c>... on BaseNode { ... on VersionNode { ... } }</c>), and
/// fields that may lead to an entity of any type (a link's <c>node</c>) are typed with it.
/// </summary>
public static class BaseNode
{
    public const string Name = "BaseNode";

    /// <summary>The fields AYON's interface declares, which every entity node has.</summary>
    static readonly string[] Fields =
        ["id", "name", "projectName", "parents", "active", "allAttrib", "createdAt", "createdBy", "updatedAt", "updatedBy", "links", "activities"];

    /// <summary>
    /// The interface, with its fields typed as <paramref name="nodes"/> type them (the nodes are built
    /// by one piece of code, so they agree), implemented by each of them. A node reached through the
    /// interface finds its type by <see cref="EntityNode.Type"/>.
    /// </summary>
    public static InterfaceGraphType Implement(IReadOnlyDictionary<string, ObjectGraphType> nodes)
    {
        var template = nodes.Values.First();
        var face = new InterfaceGraphType { Name = Name, Description = "What every project entity node has." };
        foreach (var name in Fields)
        {
            var field = template.GetField(name) ?? throw new InvalidOperationException($"{template.Name} has no field {name}");
            face.AddField(new FieldType { Name = field.Name, ResolvedType = field.ResolvedType, Arguments = field.Arguments, Description = field.Description });
        }
        foreach (var node in nodes.Values)
        {
            node.AddResolvedInterface(face);
            face.AddPossibleType(node);
        }
        face.ResolveType = value => value is EntityNode { Type: { } type } && nodes.TryGetValue(type, out var node) ? node : null;
        return face;
    }
}
