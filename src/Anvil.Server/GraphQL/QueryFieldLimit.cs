using Anvil.Server.Hosting;
using GraphQLParser.AST;

namespace Anvil.Server.GraphQL;

/// <summary>
/// The size limit of a query document: its field selections counted once each, aliases included
/// (a query of 5,000 aliases of one field is 5,000 fields), fragments once where they are defined.
/// Depth and complexity are checked later by validation; this check runs first and is cheap, so a
/// huge document is refused before anything else looks at it.
/// </summary>
public static class QueryFieldLimit
{
    /// <summary>400 naming the limit when <paramref name="document"/> selects more than <paramref name="maxFields"/> fields.</summary>
    public static void Check(GraphQLDocument document, int maxFields)
    {
        var count = 0;
        foreach (var definition in document.Definitions)
        {
            var selections = definition switch
            {
                GraphQLOperationDefinition operation => operation.SelectionSet,
                GraphQLFragmentDefinition fragment => fragment.SelectionSet,
                _ => null,
            };
            if (selections is not null && (count += Count(selections, maxFields - count)) > maxFields)
                throw BadRequest.Field("query",
                    $"the query selects more than {maxFields} fields (aliases included); split it, or raise AYON_GRAPHQL_MAX_FIELDS");
        }
    }

    /// <summary>Fields under a selection set, stopping early once past <paramref name="budget"/>.</summary>
    static int Count(GraphQLSelectionSet set, int budget)
    {
        var count = 0;
        foreach (var selection in set.Selections)
        {
            if (count > budget)
                return count;
            switch (selection)
            {
                case GraphQLField field:
                    count++;
                    if (field.SelectionSet is { } inner)
                        count += Count(inner, budget - count);
                    break;
                case GraphQLInlineFragment inline:
                    count += Count(inline.SelectionSet, budget - count);
                    break;
            }
        }
        return count;
    }
}
