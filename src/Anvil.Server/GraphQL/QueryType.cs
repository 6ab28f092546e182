using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Dapper;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>The root fields.</summary>
public sealed class QueryType : ObjectGraphType
{
    public QueryType(ObjectGraphType projectNode)
    {
        Name = "Query";
        var project = GraphTypes.AsyncField("project", new NonNullGraphType(projectNode),
            async context => await ProjectTypes.LoadAsync(context, context.GetArgument<string>("name")),
            "One project by name; an error (404/403) when it does not exist or is not visible.");
        project.Arguments = new QueryArguments(new QueryArgument<NonNullGraphType<StringGraphType>> { Name = "name" });
        AddField(project);
        var projects = GraphTypes.AsyncField("projects", new NonNullGraphType(ProjectTypes.ConnectionType(projectNode)),
            async context => await ProjectTypes.PageAsync(context), "The projects the user may see, ordered by name.");
        projects.Arguments = new QueryArguments(
            new QueryArgument<StringGraphType> { Name = "name", Description = "Name pattern (ILIKE)." },
            new QueryArgument<StringGraphType> { Name = "code", Description = "Code pattern (ILIKE)." },
            new QueryArgument<BooleanGraphType> { Name = "includeSkeleton", Description = "Accepted; every project is complete here." },
            new QueryArgument<IntGraphType> { Name = "first" },
            new QueryArgument<StringGraphType> { Name = "after" },
            new QueryArgument<IntGraphType> { Name = "last" },
            new QueryArgument<StringGraphType> { Name = "before" });
        AddField(projects);
        AddField(GraphTypes.AsyncField("productTypes", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ProductType")))),
            async context => await context.Scope().RunAsync(async connection =>
                (object?)(await connection.QueryAsync<(string Name, string Data)>(new CommandDefinition(
                    "SELECT name, data::text FROM public.product_types ORDER BY name", cancellationToken: context.CancellationToken)))
                .Select(row =>
                {
                    var data = System.Text.Json.Nodes.JsonNode.Parse(row.Data) as System.Text.Json.Nodes.JsonObject ?? [];
                    return new System.Text.Json.Nodes.JsonObject { ["name"] = row.Name, ["icon"] = data["icon"]?.DeepClone(), ["color"] = data["color"]?.DeepClone() };
                }).ToList(), context.CancellationToken),
            "The studio's product types."));
        Field<NonNullGraphType<UserNodeType>>("me").Description("The user the request acts as.")
            .Resolve(context => context.CurrentUser().User);
        Field<UserNodeType>("user").Description("One user by name, if the caller may see them.")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .ResolveAsync(async context => (await context.Service<UserStore>().ListAsync(
                new UserFilter(Names: [context.GetArgument<string>("name")], VisibleTo: Viewer(context)), new Paging(1, null, null, null), context.CancellationToken)).Edges.FirstOrDefault()?.Node);
        Field<NonNullGraphType<ConnectionType<UserNodeType, UserRecord>>>("users")
            .Description("Users, ordered by name: every user for managers; for others themselves and the users of the projects they may open.")
            .Argument<StringGraphType>("name", "Part of the name (case-insensitive).")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("names", "Exact names.")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("emails", "E-mail addresses (case-insensitive).")
            .Argument<StringGraphType>("projectName", "Only users who may open this project.")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("projects", "Only users who may open one of these projects.")
            .PagingArguments()
            .ResolveAsync(async context =>
            {
                var projects = context.GetArgument<List<string>?>("projects") ?? [];
                if (context.GetArgument<string?>("projectName") is { } projectName)
                    projects.Add(projectName);
                return await context.Service<UserStore>().ListAsync(
                    new UserFilter(context.GetArgument<List<string>?>("names"), context.GetArgument<string?>("name"), context.GetArgument<List<string>?>("emails"),
                        projects.Count > 0 ? projects : null, Viewer(context)),
                    context.Paging(), context.CancellationToken);
            });
        this.AddEventsField();
    }

    /// <summary>Whom the user list is narrowed for: nobody for managers, who see every user.</summary>
    static UserVisibility? Viewer(IResolveFieldContext context) =>
        context.CurrentUser() is { IsManager: false } user && ProjectAccess.VisibleProjects(user) is { } projects ? new(user.Name, [.. projects]) : null;
}
