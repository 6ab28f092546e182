using GraphQL;
using GraphQLParser.AST;

namespace Anvil.Server.GraphQL;

/// <summary>What a query selects under a connection field, so its SQL reads only that.</summary>
public static class SelectedFields
{
    /// <summary>
    /// The names of the fields selected in <c>edges { node { ... } }</c> under the field being
    /// resolved, through fragments and inline fragments (aliases do not matter; <c>__typename</c> is left out).
    /// </summary>
    public static IEnumerable<string> OfNodes(IResolveFieldContext context) =>
        from edges in Selected(context, context.FieldAst.SelectionSet, "edges")
        from node in Selected(context, edges.SelectionSet, "node")
        from field in Selected(context, node.SelectionSet, null)
        let name = field.Name.StringValue
        where !name.StartsWith("__", StringComparison.Ordinal)
        select name;

    /// <summary>The fields of a selection set named <paramref name="name"/> (all for null), through fragments.</summary>
    static IEnumerable<GraphQLField> Selected(IResolveFieldContext context, GraphQLSelectionSet? selections, string? name)
    {
        foreach (var selection in selections?.Selections ?? [])
        {
            var inner = selection switch
            {
                GraphQLField field => name is null || field.Name.StringValue == name ? [field] : [],
                GraphQLInlineFragment inline => Selected(context, inline.SelectionSet, name),
                GraphQLFragmentSpread spread => Selected(context, context.Document.Definitions.OfType<GraphQLFragmentDefinition>()
                    .FirstOrDefault(d => d.FragmentName.Name.StringValue == spread.FragmentName.Name.StringValue)?.SelectionSet, name),
                _ => [],
            };
            foreach (var field in inner)
                yield return field;
        }
    }
}
