using Anvil.Server.Data;
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
        Field<NonNullGraphType<ConnectionType<UserNodeType, UserRecord>>>("users").Description("Users, ordered by name.")
            .Argument<StringGraphType>("name", "Part of the name (case-insensitive).")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("names", "Exact names.")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("emails", "E-mail addresses (case-insensitive).")
            .PagingArguments()
            .ResolveAsync(async context => await context.Service<UserStore>().ListAsync(
                new UserFilter(context.GetArgument<List<string>?>("names"), context.GetArgument<string?>("name"), context.GetArgument<List<string>?>("emails")),
                context.Paging(), context.CancellationToken));
        this.AddEventsField();
    }
}
