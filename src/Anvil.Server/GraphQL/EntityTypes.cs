using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Products;
using Anvil.Server.Features.Representations;
using Anvil.Server.Features.Versions;
using Dapper;
using GraphQL;
using GraphQL.Types;
using static Anvil.Server.GraphQL.GraphTypes;

namespace Anvil.Server.GraphQL;

/// <summary>
/// The node and connection types of the six project entity types, built from the <see cref="EntityDefinition"/>s
/// and the attribute library of the moment (the typed <c>attrib</c>). Nested connections and parent
/// accessors go through per-request batch loaders: one SQL query per connection level.
/// </summary>
public sealed class EntityTypes
{
    readonly Dictionary<string, ObjectGraphType> _nodes = [];
    readonly Dictionary<string, ObjectGraphType> _connections = [];
    readonly IReadOnlyList<AttributeDefinition> _attributes;

    static readonly Connection<EntityNode> Empty = new([], new PageInfo(false, false, null, null));

    public EntityTypes(IReadOnlyList<AttributeDefinition> attributes)
    {
        _attributes = attributes;
        foreach (var definition in EntityRegistry.All)
        {
            _nodes[definition.Type] = new ObjectGraphType { Name = definition.NodeName };
            _connections[definition.Type] = ConnectionType(definition, _nodes[definition.Type]);
        }
        var links = Links.ConnectionType(LinkedNode);
        foreach (var definition in EntityRegistry.All)
        {
            AddNodeFields(definition, _nodes[definition.Type]);
            _nodes[definition.Type].AddField(Reads(Links.NodeField(links)));
        }
        foreach (var definition in EntityRegistry.All)
        {
            foreach (var parent in definition.Parents)
                Node(definition).AddField(ParentField(parent.Field, EntityRegistry.Get(parent.Type), parent.IdField));
            foreach (var child in definition.Children)
                Node(definition).AddField(ChildConnection(child.Field, EntityRegistry.Get(child.Type), child.ParentColumn));
        }
        Node(ProductEntity.Definition).AddField(LatestVersionField());
        Node(ProductEntity.Definition).AddField(FeaturedVersionField());
        BaseNodeInterface = BaseNode.Implement(_nodes);
    }

    /// <summary>The interface every node implements (registered by the schema).</summary>
    public InterfaceGraphType BaseNodeInterface { get; }

    /// <summary>A link's other end (<c>LinkEdge.node</c>), batch-loaded by id with the other lookups of its type.</summary>
    static object? LinkedNode(IResolveFieldContext context, JsonObject link)
    {
        if (link["entityType"]?.GetValue<string>() is not { } type || EntityRegistry.All.FirstOrDefault(d => d.Type == type) is not { } graph
            || !Guid.TryParse(link["entityId"]?.GetValue<string>(), out var id) || link["projectName"]?.GetValue<string>() is not { } project)
            return null;
        return ById(context, graph, project).Load(id);
    }

    public ObjectGraphType Node(EntityDefinition graph) => _nodes[graph.Type];

    /// <summary>A root connection of the project: <c>folders(filters..., paging)</c>.</summary>
    public FieldType ProjectConnection(string name, EntityDefinition graph) => WithArguments(AsyncField(name, new NonNullGraphType(_connections[graph.Type]), async context =>
    {
        var project = ((ProjectSource)context.Source!).Name;
        var (conditions, parameters) = EntityArguments.Conditions(graph, context);
        var paging = context.Paging();
        var sort = graph.SortExpression(context.GetArgument<string?>("sortBy"));
        var columns = RequestedColumns(context, Node(graph));
        return await context.Scope().RunAsync(project, session =>
            EntityQueries.PageAsync(session, graph, conditions, parameters, paging, sort, columns, context.CancellationToken,
                (limit, sortValues) => EdgeWriter.For(context, limit, sortValues)), context.CancellationToken);
    }, $"The project's {graph.Plural}, in creation order."), graph);

    /// <summary>One entity by id: <c>folder(id)</c>; null when there is none.</summary>
    public FieldType ProjectAccessor(string name, EntityDefinition graph)
    {
        var field = Field(name, Node(graph), context =>
        {
            var project = ((ProjectSource)context.Source!).Name;
            return Guid.TryParse(context.GetArgument<string>("id"), out var id) ? ById(context, graph, project).Load(id) : null;
        }, $"One {graph.Type} by id.");
        field.Arguments = new QueryArguments(new QueryArgument<NonNullGraphType<StringGraphType>> { Name = "id" });
        return field;
    }

    static ObjectGraphType ConnectionType(EntityDefinition graph, ObjectGraphType node)
    {
        var plural = char.ToUpperInvariant(graph.Plural[0]) + graph.Plural[1..];
        var edge = new ObjectGraphType { Name = plural[..^1] + "Edge" };
        // Never null, but typed nullable (AYON: non-null): GraphQL.NET's field-merging rule takes a selection set's parent
        // type unwrapped only when it is not non-null, and would then refuse the web UI's `node { ... on BaseNode { ... on
        // TaskNode { subType: taskType } } subType: folderType }`, which the GraphQL spec allows (different object types).
        edge.AddField(Field("node", node, c => ((Edge<EntityNode>)c.Source!).Node));
        edge.AddField(Field("cursor", new NonNullGraphType(new StringGraphType()), c => ((Edge<EntityNode>)c.Source!).Cursor));
        edge.AllPlain();
        var connection = new ObjectGraphType { Name = plural + "Connection" };
        connection.AddField(Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(edge))), c => ((Connection<EntityNode>)c.Source!).Edges).Plain());
        connection.AddField(Field("pageInfo", typeof(NonNullGraphType<PageInfoType>), c => ((Connection<EntityNode>)c.Source!).PageInfo).Plain());
        connection.AddField(AsyncField("fieldStats", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("ColumnStats")))),
            c => FieldStats.ResolveAsync(c.Parent!, graph, c.CancellationToken),
            "Statistics of the columns asked with calculateSpecificStatistics, over every row the filters match (the project's connections)."));
        return connection.Rendered();
    }

    static FieldType WithArguments(FieldType field, EntityDefinition graph)
    {
        var arguments = graph.AllFilters.Select(f => new QueryArgument(EntityArguments.GraphType(f.Kind)) { Name = f.Argument }).ToList();
        arguments.Add(new QueryArgument<StringGraphType> { Name = "sortBy", Description = "Sort key (name, createdAt, status, attrib.<name>, ...); creation order without one." });
        arguments.Add(new QueryArgument<IntGraphType> { Name = "first", Description = "Page size, ascending order." });
        arguments.Add(new QueryArgument<StringGraphType> { Name = "after", Description = "Cursor to continue after." });
        arguments.Add(new QueryArgument<IntGraphType> { Name = "last", Description = "Page size, descending order." });
        arguments.Add(new QueryArgument<StringGraphType> { Name = "before", Description = "Cursor to continue before (descending)." });
        field.Arguments = new QueryArguments(arguments);
        return field;
    }

    void AddNodeFields(EntityDefinition graph, ObjectGraphType node)
    {
        var scopeNames = _attributes.Where(a => a.InScope(graph.Type)).Select(a => a.Name).ToHashSet();
        static EntityNode Of(IResolveFieldContext c) => (EntityNode)c.Source!;
        // Each field names the columns it reads (see Reads), so a connection selects only those; each reads only its row (Plain).
        void Add(FieldType field, params string[] columns) => node.AddField(Reads(field, columns).Plain());

        Add(Field("projectName", new NonNullGraphType(new StringGraphType()), c => Of(c).Project));
        Add(Field("id", new NonNullGraphType(new StringGraphType()), c => Of(c).Row["id"]!.GetValue<string>()).WrittenBy(RowWriter("id", NodeFieldKind.Text, false)), "id");
        Add(RowField("name", NodeFieldKind.Text, "name", required: true), "name");
        Add(RowField("active", NodeFieldKind.Boolean, "active", required: true), "active");
        Add(RowField("status", NodeFieldKind.Text, "status", required: true, orEmpty: true), "status");
        Add(RowField("tags", NodeFieldKind.TextList, "tags", required: true, orEmpty: true), "tags");
        Add(RowField("parents", NodeFieldKind.TextList, "parents", required: true, orEmpty: true), "parents");
        Add(RowField("path", NodeFieldKind.Text, "path", required: false), "path");
        Add(RowField("createdBy", NodeFieldKind.Text, "createdBy", required: false), "createdBy");
        Add(RowField("updatedBy", NodeFieldKind.Text, "updatedBy", required: false), "updatedBy");
        Add(Field("createdAt", new NonNullGraphType(DateTimeType), c => RowTimestamp(Of(c).Row["createdAt"]))
            .WrittenBy((writer, source) => WriteRowTimestamp(writer, (EntityNode)source, "createdAt")), "createdAt");
        Add(Field("updatedAt", new NonNullGraphType(DateTimeType), c => RowTimestamp(Of(c).Row["updatedAt"]))
            .WrittenBy((writer, source) => WriteRowTimestamp(writer, (EntityNode)source, "updatedAt")), "updatedAt");
        Add(Field("data", new StringGraphType(), c => Of(c).DataJson("data"), "JSON string; null when empty.")
            .WrittenBy((writer, source) => ((EntityNode)source).WriteDataJson(writer, "data")), "data");
        Add(Field("allAttrib", new NonNullGraphType(new StringGraphType()),
            c => Of(c).InScopeJson("attrib", scopeNames), "JSON string of the effective attribute values.")
            .WrittenBy((writer, source) => ((EntityNode)source).WriteInScopeJson(writer, "attrib", scopeNames)), "attrib");
        Add(Field("ownAttrib", new NonNullGraphType(StringList),
            c => Of(c).NamesIn("ownAttrib", scopeNames), "Names of the attributes set on the entity itself.")
            .WrittenBy((writer, source) => ((EntityNode)source).WriteNamesIn(writer, "ownAttrib", scopeNames)), "ownAttrib");
        Add(Field("hasReviewables", new NonNullGraphType(new BooleanGraphType()), _ => false));
        if (graph.Field("thumbnailId") is not null)
            // AYON's cache-buster for thumbnail URLs. Every new thumbnail has a new id, so the id is the hash.
            Add(Field("thumbnailHash", new StringGraphType(), c => Of(c).Row["thumbnailId"]?.GetValue<string>()), "thumbnailId");
        if (AttribType(graph.Type, _attributes) is { } attrib)
            Add(Field("attrib", new NonNullGraphType(attrib), c => Of(c).Json("attrib") as JsonObject ?? []), "attrib");
        foreach (var field in graph.NodeFields)
            Add(RowField(field.Name, field.Kind, field.Key ?? field.Name, field.Required), field.Key ?? field.Name);
        // The activity feed and comments are not kept yet: empty, so the web UI's panels and columns show nothing.
        node.AddField(Reads(ActivityTypes.EntityActivities()));
        Add(Field("latestComments", new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("EntityComment"))), _ => Array.Empty<object>(),
            "The newest comments on the entity (none are kept yet)."));
        if (graph.Field("thumbnailId") is not null)
            Add(Field("thumbnail", new GraphQLTypeReference("ThumbnailInfo"), c => Of(c).Row["thumbnailId"]?.GetValue<string>() is { } id
                ? new JsonObject { ["id"] = id, ["relation"] = "self", ["sourceEntityId"] = Of(c).Row["id"]!.GetValue<string>(), ["sourceEntityType"] = graph.Type }
                : null, "The entity's own thumbnail, when it has one."), "thumbnailId", "id");
        if (graph == VersionEntity.Definition)
            Add(Field("featuredVersionType", new StringGraphType(), c => Of(c).Row["version"]?.GetValue<int>() < 0 ? "hero"
                : Of(c).Row["isLatest"]?.GetValue<bool>() == true ? "latest" : null, "What makes the version featured: hero, latest, or null."), "version", "isLatest");
        if (graph.Type == "task")
            Add(Field("subtasks", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new GraphQLTypeReference("SubTaskNode")))),
                c => (Of(c).Json("data")?["subtasks"] as JsonArray ?? []).OfType<JsonObject>().ToList(), "The task's to-do items (data.subtasks)."), "data");
        if (graph == RepresentationEntity.Definition)
            AddRepresentationFields(node);
        if (graph == ProductEntity.Definition)
        {
            var item = JsonObjectType("VersionListItem", ("id", NodeFieldKind.Text, "id"), ("version", NodeFieldKind.Integer, "version"), ("name", NodeFieldKind.Text, "name"));
            Add(Field("versionList", new NonNullGraphType(new ListGraphType(new NonNullGraphType(item))),
                c => (Of(c).Json("versionList") as JsonArray ?? []).OfType<JsonObject>().ToList(), "Every version of the product, by number."), "versionList");
        }
    }

    /// <summary>
    /// A field answering the row's value <paramref name="key"/> as <see cref="GraphTypes.ValueOf(System.Text.Json.Nodes.JsonNode?, NodeFieldKind)"/>
    /// reads it (<c>""</c> or <c>[]</c> for a missing one when <paramref name="orEmpty"/>); a rendered connection writes it from the row.
    /// </summary>
    static FieldType RowField(string name, NodeFieldKind kind, string key, bool required, bool orEmpty = false)
    {
        var type = required ? new NonNullGraphType(ScalarType(kind)) : ScalarType(kind);
        return Field(name, type, c => ValueOf(((EntityNode)c.Source!).Row[key], kind) ?? (orEmpty ? (kind == NodeFieldKind.TextList ? new List<string?>() : "") : null))
            .WrittenBy(RowWriter(key, kind, !required, orEmpty));
    }

    static Func<System.Text.Json.Utf8JsonWriter, object, bool> RowWriter(string key, NodeFieldKind kind, bool nullable, bool orEmpty = false) =>
        (writer, source) => WriteValueOf(writer, ((EntityNode)source).Value(key), kind, nullable, orEmpty);

    static void AddRepresentationFields(ObjectGraphType node)
    {
        var file = JsonObjectType("FileNode",
            ("id", NodeFieldKind.Text, "id"), ("name", NodeFieldKind.Text, "name"), ("path", NodeFieldKind.Text, "path"),
            ("hash", NodeFieldKind.Text, "hash"), ("hashType", NodeFieldKind.Text, "hashType"), ("size", NodeFieldKind.Text, "size"));
        node.AddField(Reads(Field("files", new NonNullGraphType(new ListGraphType(new NonNullGraphType(file))), c => FilesOf((EntityNode)c.Source!))
            .WrittenWith((writer, source, fields) => ((EntityNode)source).WriteObjects(writer, "files", fields, "name")), "files"));
        node.AddField(Reads(Field("fileCount", new NonNullGraphType(new IntGraphType()), c => FileCount((EntityNode)c.Source!)), "files").Plain());
        node.AddField(Reads(Field("context", new StringGraphType(),
            c => ((EntityNode)c.Source!).MemberJson("data", "context"), "JSON string of data.context.")
            .WrittenBy((writer, source) => ((EntityNode)source).WriteMemberJson(writer, "data", "context")), "data"));
        node.AddField(Reads(Field("traits", new StringGraphType(), c => JsonString(((EntityNode)c.Source!).Json("traits")), "JSON string; null when unset.")
            .WrittenBy((writer, source) => ((EntityNode)source).WriteNullIfMissing(writer, "traits")), "traits"));
    }

    const string ColumnsKey = "anvil:columns";

    /// <summary>Records on a node field the row columns (SELECT aliases) its resolver reads; the id is always read.</summary>
    static FieldType Reads(FieldType field, params string[] columns)
    {
        field.Metadata[ColumnsKey] = columns;
        return field;
    }

    /// <summary>
    /// The columns the query's <c>edges { node { ... } }</c> under this connection field reads, or
    /// null for all of them: a field that does not say what it reads makes the query read every column.
    /// </summary>
    static HashSet<string>? RequestedColumns(IResolveFieldContext context, IComplexGraphType node)
    {
        var columns = new HashSet<string>();
        foreach (var name in SelectedFields.OfNodes(context))
        {
            if (node.GetField(name)?.GetMetadata<string[]?>(ColumnsKey, (string[]?)null) is not { } reads)
                return null;
            columns.UnionWith(reads);
        }
        return columns;
    }

    /// <summary>
    /// Files with a name (the path's last part when unset), sizes as strings (GraphQL Int is 32-bit). The column is read
    /// as one <see cref="JsonElement"/> document (no node per value); <c>FileNode</c>'s fields read the elements.
    /// </summary>
    static List<object> FilesOf(EntityNode node)
    {
        var files = new List<object>();
        if (node.Element("files") is not { ValueKind: JsonValueKind.Array } array)
            return files;
        foreach (var file in array.EnumerateArray())
        {
            if (file.ValueKind != JsonValueKind.Object)
                continue;
            if (file.TryGetProperty("name", out var name) && name.ValueKind != JsonValueKind.Null)
            {
                files.Add(file);
                continue;
            }
            // The file that needs its name filled in: a copy with the name.
            var copy = JsonObject.Create(file.Clone())!;
            var path = copy["path"]?.ToString() ?? "";
            copy["name"] = path[(path.LastIndexOfAny(['/', '\\']) + 1)..];
            files.Add(copy);
        }
        return files;
    }

    static int FileCount(EntityNode node) =>
        node.Element("files") is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray().Count(f => f.ValueKind == JsonValueKind.Object) : 0;

    /// <summary>
    /// A timestamp of the row: already the DateTime scalar's text (UTC, microseconds; <see cref="JsonRows"/> wrote it),
    /// so it is answered as it is rather than parsed and formatted again.
    /// </summary>
    static object? RowTimestamp(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && text.EndsWith("+00:00", StringComparison.Ordinal) ? text : Timestamp(node);

    /// <summary>
    /// <see cref="RowTimestamp"/> written from the row's value, where it is the text the resolver answers as it is (read
    /// as UTC), without making the row's <see cref="EntityNode.Row"/>; false, having written nothing, otherwise.
    /// </summary>
    static bool WriteRowTimestamp(Utf8JsonWriter writer, EntityNode node, string key)
    {
        if (node.Value(key) is not string text || !text.EndsWith("+00:00", StringComparison.Ordinal))
            return false;
        writer.WriteStringValue(text);
        return true;
    }

    FieldType ParentField(string name, EntityDefinition parent, string idField) => Reads(Field(name, Node(parent), context =>
    {
        var node = (EntityNode)context.Source!;
        return node.IdOf(idField) is { } id ? ById(context, parent, node.Project).Load(id) : null;
    }, $"The {parent.Type} named by {idField}."), idField);

    FieldType LatestVersionField() => Reads(Field("latestVersion", Node(VersionEntity.Definition), context =>
    {
        var node = (EntityNode)context.Source!;
        var scope = context.Scope();
        var loader = scope.Loader(("latestVersion", node.Project), () => new BatchLoader<Guid, EntityNode?>(async (keys, cancellationToken) =>
        {
            var rows = await scope.RunAsync(node.Project, session => EntityQueries.ByKeyAsync(session, VersionEntity.Definition, "e.product_id", keys,
                VersionEntity.IsLatestCondition, cancellationToken), cancellationToken);
            return rows.ToDictionary(r => r.Key, r => (EntityNode?)r.Value[0]);
        }, null));
        return loader.Load(node.Id);
    }, "The highest non-hero version of the product."));

    /// <summary><c>featuredVersion(order)</c>: the first of hero, latestDone and latest (in the given order) the product has.</summary>
    FieldType FeaturedVersionField()
    {
        var field = Field("featuredVersion", Node(VersionEntity.Definition), context =>
        {
            var node = (EntityNode)context.Source!;
            var order = context.GetArgument<List<string>?>("order") ?? ["hero", "latestDone", "latest"];
            var condition = $"e.id = {VersionEntity.FeaturedVersion(order, "e.product_id")}";
            var scope = context.Scope();
            var loader = scope.Loader(("featuredVersion", node.Project, condition), () => new BatchLoader<Guid, EntityNode?>(async (keys, cancellationToken) =>
            {
                var rows = await scope.RunAsync(node.Project, session => EntityQueries.ByKeyAsync(session, VersionEntity.Definition, "e.product_id", keys,
                    condition, cancellationToken), cancellationToken);
                return rows.ToDictionary(r => r.Key, r => (EntityNode?)r.Value[0]);
            }, null));
            return loader.Load(node.Id);
        }, "The version the web UI features for the product: the first of `order` (hero, latestDone, latest) it has.");
        field.Arguments = new QueryArguments(new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "order" });
        return Reads(field);
    }

    static BatchLoader<Guid, EntityNode?> ById(IResolveFieldContext context, EntityDefinition graph, string project)
    {
        var scope = context.Scope();
        return scope.Loader(("byId", graph.Type, project), () => new BatchLoader<Guid, EntityNode?>(async (keys, cancellationToken) =>
        {
            var rows = await scope.RunAsync(project, session => EntityQueries.ByKeyAsync(session, graph, "e.id", keys, null, cancellationToken), cancellationToken);
            foreach (var nodes in rows.Values)
                nodes[0].Type = graph.Type;
            return rows.ToDictionary(r => r.Key, r => (EntityNode?)r.Value[0]);
        }, null));
    }

    /// <summary>
    /// A connection under a node (<c>folder.tasks</c>): every parent of the level asks the same loader
    /// (one per field of the query and project), which pages all of them in one query.
    /// </summary>
    FieldType ChildConnection(string name, EntityDefinition graph, string parentColumn) => Reads(WithArguments(Field(name, new NonNullGraphType(_connections[graph.Type]), context =>
    {
        var node = (EntityNode)context.Source!;
        var scope = context.Scope();
        var loader = scope.Loader(("connection", context.FieldAst, node.Project), () =>
        {
            // Arguments are read now: the context object is reused once the resolver returns.
            var (conditions, parameters) = EntityArguments.Conditions(graph, context);
            var paging = context.Paging();
            var sort = graph.SortExpression(context.GetArgument<string?>("sortBy"));
            var columns = RequestedColumns(context, Node(graph));
            return new BatchLoader<Guid, Connection<EntityNode>>(async (keys, cancellationToken) =>
            {
                var round = new DynamicParameters();
                round.AddDynamicParams(parameters);
                return await scope.RunAsync(node.Project, session =>
                    EntityQueries.PagesByParentAsync(session, graph, parentColumn, keys, conditions, round, paging, sort, columns, cancellationToken), cancellationToken);
            }, Empty);
        });
        return loader.Load(node.Id);
    }, $"The {graph.Plural} of this entity."), graph));
}

/// <summary>The project a <c>ProjectNode</c> stands for: its stored name, and its REST model read on first use.</summary>
public sealed class ProjectSource(string name, Func<Task<Features.Projects.ProjectModel>> load)
{
    readonly Lazy<Task<Features.Projects.ProjectModel>> _model = new(load);

    public string Name { get; } = name;

    public Task<Features.Projects.ProjectModel> ModelAsync() => _model.Value;
}

public static class ScopeExtensions
{
    public static RequestScope Scope(this IResolveFieldContext context) => ((GraphQLUserContext)context.UserContext).Scope;
}
