using Anvil.Server.Data;
using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>The four paging arguments every connection takes, declared and read in one place.</summary>
public static class PagingExtensions
{
    public static FieldBuilder<TSource, TReturn> PagingArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) => field
        .Argument<IntGraphType>("first", "Page size, ascending order.")
        .Argument<StringGraphType>("after", "Cursor to continue after.")
        .Argument<IntGraphType>("last", "Page size, descending order.")
        .Argument<StringGraphType>("before", "Cursor to continue before (descending).");

    public static Paging Paging(this IResolveFieldContext context) => new(
        context.GetArgument<int?>("first"), context.GetArgument<string?>("after"),
        context.GetArgument<int?>("last"), context.GetArgument<string?>("before"));
}
