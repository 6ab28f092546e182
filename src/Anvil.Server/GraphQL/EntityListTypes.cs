using Anvil.Server.Data;
using Anvil.Server.Hosting;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>
/// Entity lists (AYON's playlists and review lists: <c>ProjectNode.entityLists</c>, their items), in
/// AYON's shapes. Anvil keeps no entity lists yet, so the connections are empty and <c>entityList(id)</c>
/// finds none; the types and arguments exist so the web UI's queries validate and its Lists page
/// shows an empty list rather than an error.
/// </summary>
public static class EntityListTypes
{
    static readonly Connection<object> Empty = new([], new PageInfo(false, false, null, null));

    static NonNullGraphType Text() => new(new StringGraphType());

    static NonNullGraphType TextList() => new(new ListGraphType(new NonNullGraphType(new StringGraphType())));

    static NonNullGraphType Stats() => new(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ColumnStats"))));

    /// <summary>The types, registered once per schema.</summary>
    public static IEnumerable<IGraphType> Types()
    {
        var item = new ObjectGraphType { Name = "EntityListItemEdge", Description = "An entity in a list, with the list's own values for it." };
        foreach (var name in new[] { "id", "entityId", "entityType", "projectName", "folderPath", "allAttrib", "attrib", "data" })
            item.AddField(GraphTypes.Field(name, Text(), _ => null));
        item.AddField(GraphTypes.Field("position", new NonNullGraphType(new IntGraphType()), _ => null));
        item.AddField(GraphTypes.Field("ownAttrib", TextList(), _ => null));
        item.AddField(GraphTypes.Field("tags", TextList(), _ => null));
        item.AddField(GraphTypes.Field("createdAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        item.AddField(GraphTypes.Field("updatedAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        item.AddField(GraphTypes.Field("createdBy", new StringGraphType(), _ => null));
        item.AddField(GraphTypes.Field("updatedBy", new StringGraphType(), _ => null));
        item.AddField(GraphTypes.Field("cursor", new StringGraphType(), _ => null));
        item.AddField(GraphTypes.Field("node", new GraphQLTypeReference(BaseNode.Name), _ => null, "The listed entity; null when the user may not read it."));
        item.AddField(GraphTypes.Field("Entity", new GraphQLTypeReference(BaseNode.Name), _ => null, "AYON's older name of node."));
        item.AddField(GraphTypes.Field("Forbidden", new NonNullGraphType(new BooleanGraphType()), _ => null, "True when the user may not read the listed entity."));
        yield return item;

        var items = new ObjectGraphType { Name = "EntityListItemsConnection" };
        items.AddField(GraphTypes.Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(item))), c => ((Connection<object>)c.Source!).Edges));
        items.AddField(GraphTypes.Field("pageInfo", new NonNullGraphType(new GraphQLTypeReference("PageInfo")), c => ((Connection<object>)c.Source!).PageInfo));
        items.AddField(GraphTypes.Field("fieldStats", Stats(), _ => Array.Empty<object>()));
        yield return items;

        var list = new ObjectGraphType { Name = "EntityListNode", Description = "A list of entities of a project (a playlist, a review session's list)." };
        foreach (var name in new[] { "id", "label", "entityListType", "entityType", "projectName", "access", "allAttrib", "attributes", "data" })
            list.AddField(GraphTypes.Field(name, Text(), _ => null));
        foreach (var name in new[] { "entityListFolderId", "owner", "createdBy", "updatedBy" })
            list.AddField(GraphTypes.Field(name, new StringGraphType(), _ => null));
        list.AddField(GraphTypes.Field("active", new NonNullGraphType(new BooleanGraphType()), _ => null));
        list.AddField(GraphTypes.Field("accessLevel", new NonNullGraphType(new IntGraphType()), _ => null));
        list.AddField(GraphTypes.Field("count", new NonNullGraphType(new IntGraphType()), _ => null));
        list.AddField(GraphTypes.Field("tags", TextList(), _ => null));
        list.AddField(GraphTypes.Field("activityCategories", TextList(), _ => null));
        list.AddField(GraphTypes.Field("createdAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        list.AddField(GraphTypes.Field("updatedAt", new NonNullGraphType(GraphTypes.DateTimeType), _ => null));
        var itemsField = GraphTypes.Field("items", new NonNullGraphType(items), _ => Empty, "The entities in the list.");
        itemsField.Arguments = new QueryArguments([
            new QueryArgument<BooleanGraphType> { Name = "accessibleOnly", DefaultValue = false },
            new QueryArgument<BooleanGraphType> { Name = "calculateStatistics", DefaultValue = false },
            new QueryArgument<ListGraphType<NonNullGraphType<MetricTargetInputType>>> { Name = "calculateSpecificStatistics" },
            new QueryArgument<StringGraphType> { Name = "filter" },
            new QueryArgument<StringGraphType> { Name = "sortBy" },
            .. PagingArguments()]);
        list.AddField(itemsField);
        yield return list;

        var edge = new ObjectGraphType { Name = "EntityListEdge" };
        edge.AddField(GraphTypes.Field("node", new NonNullGraphType(list), c => ((Edge<object>)c.Source!).Node));
        edge.AddField(GraphTypes.Field("cursor", new StringGraphType(), c => ((Edge<object>)c.Source!).Cursor));
        yield return edge;

        var connection = new ObjectGraphType { Name = "EntityListsConnection" };
        connection.AddField(GraphTypes.Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(edge))), c => ((Connection<object>)c.Source!).Edges));
        connection.AddField(GraphTypes.Field("pageInfo", new NonNullGraphType(new GraphQLTypeReference("PageInfo")), c => ((Connection<object>)c.Source!).PageInfo));
        connection.AddField(GraphTypes.Field("fieldStats", Stats(), _ => Array.Empty<object>()));
        yield return connection;
    }

    /// <summary><c>entityLists(...)</c> and <c>entityList(id)</c> on the project.</summary>
    public static void AddProjectFields(ObjectGraphType project)
    {
        var lists = GraphTypes.Field("entityLists", new NonNullGraphType(new GraphQLTypeReference("EntityListsConnection")), _ => Empty,
            "The project's entity lists (none are kept yet).");
        lists.Arguments = new QueryArguments([
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "ids" },
            new QueryArgument<StringGraphType> { Name = "filter" },
            new QueryArgument<StringGraphType> { Name = "search" },
            new QueryArgument<StringGraphType> { Name = "sortBy" },
            .. PagingArguments()]);
        project.AddField(lists);
        var one = GraphTypes.Field("entityList", new NonNullGraphType(new GraphQLTypeReference("EntityListNode")),
            c => throw new NotFound($"Entity list {c.GetArgument<string>("id")} not found"), "One entity list by id (none are kept yet).");
        one.Arguments = new QueryArguments(new QueryArgument<NonNullGraphType<StringGraphType>> { Name = "id" });
        project.AddField(one);
    }

    static IEnumerable<QueryArgument> PagingArguments() =>
    [
        new QueryArgument<IntGraphType> { Name = "first" },
        new QueryArgument<StringGraphType> { Name = "after" },
        new QueryArgument<IntGraphType> { Name = "last" },
        new QueryArgument<StringGraphType> { Name = "before" },
    ];
}
