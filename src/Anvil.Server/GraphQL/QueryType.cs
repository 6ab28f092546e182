using Anvil.Server.Features.Users;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>The root fields.</summary>
public sealed class QueryType : ObjectGraphType
{
    public QueryType()
    {
        Name = "Query";
        Field<NonNullGraphType<UserNodeType>>("me").Description("The user the request acts as.")
            .Resolve(context => context.CurrentUser().User);
        Field<UserNodeType>("user").Description("One user by name.")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .ResolveAsync(async context => await context.Service<UserStore>().GetAsync(context.GetArgument<string>("name"), context.CancellationToken));
    }
}
