using Anvil.Server.Data;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>
/// Activities (comments, status changes, mentions) and the inbox, in AYON's shapes. Anvil keeps no
/// activities yet, so every connection is empty; the types and arguments exist so the web UI's
/// queries validate (one unknown field fails a whole query) and its feed and inbox show "nothing".
/// </summary>
public static class ActivityTypes
{
    public const string NodeName = "ActivityNode";
    public const string ConnectionName = "ActivitiesConnection";

    static readonly Connection<object> Empty = new([], new PageInfo(false, false, null, null));

    /// <summary>The types, registered once per schema.</summary>
    public static IEnumerable<IGraphType> Types()
    {
        var origin = new ObjectGraphType { Name = "ActivityOriginNode" };
        origin.AddField(GraphTypes.Field("id", new NonNullGraphType(new StringGraphType()), _ => null));
        origin.AddField(GraphTypes.Field("name", new NonNullGraphType(new StringGraphType()), _ => null));
        origin.AddField(GraphTypes.Field("label", new StringGraphType(), _ => null));
        origin.AddField(GraphTypes.Field("type", new NonNullGraphType(new StringGraphType()), _ => null));
        origin.AddField(GraphTypes.Field("subtype", new StringGraphType(), _ => null));
        origin.AddField(GraphTypes.Field("link", new NonNullGraphType(new StringGraphType()), _ => null));
        yield return origin;

        var file = new ObjectGraphType { Name = "ActivityFileNode" };
        file.AddField(GraphTypes.Field("id", new NonNullGraphType(new StringGraphType()), _ => null));
        file.AddField(GraphTypes.Field("name", new StringGraphType(), _ => null));
        file.AddField(GraphTypes.Field("mime", new StringGraphType(), _ => null));
        file.AddField(GraphTypes.Field("size", new NonNullGraphType(new StringGraphType()), _ => null));
        file.AddField(GraphTypes.Field("author", new StringGraphType(), _ => null));
        file.AddField(GraphTypes.Field("createdAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        file.AddField(GraphTypes.Field("updatedAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        yield return file;

        var reaction = new ObjectGraphType { Name = "ActivityReactionNode" };
        reaction.AddField(GraphTypes.Field("fullName", new StringGraphType(), _ => null));
        reaction.AddField(GraphTypes.Field("reaction", new NonNullGraphType(new StringGraphType()), _ => null));
        reaction.AddField(GraphTypes.Field("timestamp", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        reaction.AddField(GraphTypes.Field("userName", new NonNullGraphType(new StringGraphType()), _ => null));
        yield return reaction;

        var category = new ObjectGraphType { Name = "ActivityCategory" };
        category.AddField(GraphTypes.Field("name", new NonNullGraphType(new StringGraphType()), _ => null));
        category.AddField(GraphTypes.Field("color", new NonNullGraphType(new StringGraphType()), _ => null));
        yield return category;

        var node = new ObjectGraphType { Name = NodeName };
        foreach (var name in new[] { "activityData", "activityId", "activityType", "body", "entityType", "projectName", "referenceData", "referenceId", "referenceType" })
            node.AddField(GraphTypes.Field(name, new NonNullGraphType(new StringGraphType()), _ => null));
        foreach (var name in new[] { "entityId", "entityName", "entityPath" })
            node.AddField(GraphTypes.Field(name, new StringGraphType(), _ => null));
        node.AddField(GraphTypes.Field("active", new NonNullGraphType(new BooleanGraphType()), _ => null));
        node.AddField(GraphTypes.Field("read", new NonNullGraphType(new BooleanGraphType()), _ => null));
        node.AddField(GraphTypes.Field("creationOrder", new NonNullGraphType(new IntGraphType()), _ => null));
        node.AddField(GraphTypes.Field("createdAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        node.AddField(GraphTypes.Field("updatedAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        node.AddField(GraphTypes.Field("tags", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new StringGraphType()))), _ => null));
        node.AddField(GraphTypes.Field("author", new GraphQLTypeReference("UserNode"), _ => null));
        node.AddField(GraphTypes.Field("assignee", new GraphQLTypeReference("UserNode"), _ => null));
        node.AddField(GraphTypes.Field("category", new GraphQLTypeReference("ActivityCategory"), _ => null));
        node.AddField(GraphTypes.Field("origin", new GraphQLTypeReference("ActivityOriginNode"), _ => null));
        node.AddField(GraphTypes.Field("parents", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ActivityOriginNode")))), _ => null));
        node.AddField(GraphTypes.Field("files", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ActivityFileNode")))), _ => null));
        node.AddField(GraphTypes.Field("reactions", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ActivityReactionNode")))), _ => null));
        node.AddField(GraphTypes.Field("version", new GraphQLTypeReference("VersionNode"), _ => null));
        yield return node;

        var edge = new ObjectGraphType { Name = "ActivityEdge" };
        edge.AddField(GraphTypes.Field("node", new NonNullGraphType(new GraphQLTypeReference(NodeName)), c => ((Edge<object>)c.Source!).Node));
        edge.AddField(GraphTypes.Field("cursor", new StringGraphType(), c => ((Edge<object>)c.Source!).Cursor));
        yield return edge;

        var connection = new ObjectGraphType { Name = ConnectionName };
        connection.AddField(GraphTypes.Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ActivityEdge")))),
            c => ((Connection<object>)c.Source!).Edges));
        connection.AddField(GraphTypes.Field("pageInfo", new NonNullGraphType(new GraphQLTypeReference("PageInfo")), c => ((Connection<object>)c.Source!).PageInfo));
        yield return connection;
    }

    /// <summary>An <c>activities</c> field with AYON's arguments for an entity node, always empty.</summary>
    public static FieldType EntityActivities()
    {
        var field = GraphTypes.Field("activities", new NonNullGraphType(new GraphQLTypeReference(ConnectionName)), _ => Empty,
            "The entity's activity feed (none are kept yet).");
        field.Arguments = new QueryArguments(
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "activityTypes" },
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "referenceTypes" },
            new QueryArgument<StringGraphType> { Name = "after" },
            new QueryArgument<StringGraphType> { Name = "before" },
            new QueryArgument<IntGraphType> { Name = "first" },
            new QueryArgument<IntGraphType> { Name = "last", DefaultValue = 100 });
        return field;
    }

    /// <summary>The project's <c>activities</c> field with AYON's arguments, always empty.</summary>
    public static FieldType ProjectActivities()
    {
        var field = GraphTypes.Field("activities", new NonNullGraphType(new GraphQLTypeReference(ConnectionName)), _ => Empty,
            "The project's activities (none are kept yet).");
        var lists = new[] { "activityIds", "activityTypes", "authors", "entityIds", "entityNames", "referenceTypes", "tags" };
        field.Arguments = new QueryArguments([
            .. lists.Select(n => new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = n }),
            new QueryArgument<ListGraphType<StringGraphType>> { Name = "categories" },
            new QueryArgument<StringGraphType> { Name = "changedAfter" },
            new QueryArgument<StringGraphType> { Name = "changedBefore" },
            new QueryArgument<StringGraphType> { Name = "entityType" },
            new QueryArgument<StringGraphType> { Name = "filter" },
            new QueryArgument<StringGraphType> { Name = "after" },
            new QueryArgument<StringGraphType> { Name = "before" },
            new QueryArgument<IntGraphType> { Name = "first" },
            new QueryArgument<IntGraphType> { Name = "last" }]);
        return field;
    }

    /// <summary>The <c>inbox</c> root: the user's messages (mentions, assignments), none yet.</summary>
    public static void AddInboxField(this ObjectGraphType query)
    {
        var field = GraphTypes.Field("inbox", new NonNullGraphType(new GraphQLTypeReference(ConnectionName)), _ => Empty,
            "The user's inbox (empty: Anvil keeps no activities yet).");
        field.Arguments = new QueryArguments(
            new QueryArgument<StringGraphType> { Name = "before" },
            new QueryArgument<IntGraphType> { Name = "last", DefaultValue = 100 },
            new QueryArgument<BooleanGraphType> { Name = "showActiveMessages", DefaultValue = true },
            new QueryArgument<BooleanGraphType> { Name = "showActiveProjects" },
            new QueryArgument<BooleanGraphType> { Name = "showImportantMessages" },
            new QueryArgument<BooleanGraphType> { Name = "showUnreadMessages" });
        query.AddField(field);
    }
}
