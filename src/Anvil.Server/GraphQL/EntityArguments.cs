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
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The SQL conditions of the filter arguments given to a connection field.</summary>
    public static (List<string> Conditions, DynamicParameters Parameters) Conditions(EntityDefinition definition, IResolveFieldContext context)
    {
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        foreach (var filter in definition.AllFilters)
        {
            if (context.Arguments is null || !context.Arguments.TryGetValue(filter.Argument, out var argument) || argument.Value is not { } value)
                continue;
            if (filter.Condition(value, "f_" + filter.Argument, parameters) is { } condition)
                conditions.Add(condition);
        }
        return (conditions, parameters);
    }
}
