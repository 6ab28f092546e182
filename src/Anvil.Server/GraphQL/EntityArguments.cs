using Anvil.Server.Entities;
using Dapper;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>The filter arguments of an entity connection: their GraphQL types and the SQL conditions of those given.</summary>
public static class EntityArguments
{
    public static Type GraphType(FilterArgument kind) => kind switch
    {
        FilterArgument.Text => typeof(StringGraphType),
        FilterArgument.TextList => typeof(ListGraphType<NonNullGraphType<StringGraphType>>),
        FilterArgument.Integer => typeof(IntGraphType),
        FilterArgument.IntegerList => typeof(ListGraphType<NonNullGraphType<IntGraphType>>),
        FilterArgument.Boolean => typeof(BooleanGraphType),
        FilterArgument.LinkDirection => typeof(HasLinksFilterType),
        FilterArgument.AttributeFilters => typeof(ListGraphType<NonNullGraphType<AttributeFilterInputType>>),
        FilterArgument.MetricTargets => typeof(ListGraphType<NonNullGraphType<MetricTargetInputType>>),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The SQL conditions of the filter arguments given to a connection field.</summary>
    public static (List<string> Conditions, DynamicParameters Parameters) Conditions(EntityDefinition definition, IResolveFieldContext context)
    {
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        var subtrees = context.GetArgument<bool?>(EntityFilter.IncludeFolderChildren) == true;
        foreach (var filter in definition.AllFilters)
        {
            if (context.Arguments is null || !context.Arguments.TryGetValue(filter.Argument, out var argument) || argument.Value is not { } value)
                continue;
            if (subtrees && filter.Argument == "folderIds")
            {
                conditions.Add(EntityFilter.Subtree(definition, value, "f_folderIds", parameters));
                continue;
            }
            if (subtrees && filter.Argument == "parentIds")
            {
                conditions.Add(Subtree(value, "f_parentIds", parameters));
                continue;
            }
            if (filter.Condition(value, "f_" + filter.Argument, parameters) is { } condition)
                conditions.Add(condition);
        }
        return (conditions, parameters);
    }

    /// <summary><c>parentIds</c> with <c>includeFolderChildren</c>: every folder under the given ones (not the parents themselves).</summary>
    static string Subtree(object parentIds, string parameter, DynamicParameters parameters)
    {
        var ids = EntityFilter.Strings(parentIds).Select(s => Guid.TryParse(s, out var id) ? id : (Guid?)null).OfType<Guid>().ToArray();
        parameters.Add(parameter, ids);
        var roots = EntityFilter.Strings(parentIds).Contains("root") ? " OR true" : "";
        return $"(e.path IN (SELECT d.path FROM folders top JOIN folders d ON d.path ^@ (top.path || '/') WHERE top.id = ANY(@{parameter})){roots})";
    }
}
