using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Projects;
using Dapper;
using GraphQL;
using GraphQL.Types;
using static Anvil.Server.GraphQL.GraphTypes;

namespace Anvil.Server.GraphQL;

/// <summary>
/// <c>ProjectNode</c>: the project as <c>GET /api/projects/{name}</c> reads it (JSON fields as strings,
/// anatomy lists as objects), plus the entity connections and accessors of the project.
/// </summary>
public static class ProjectTypes
{
    public static ObjectGraphType ProjectNode(EntityTypes entities, IReadOnlyList<AttributeDefinition> attributes)
    {
        var node = new ObjectGraphType { Name = "ProjectNode" };
        static string NameOf(IResolveFieldContext c) => ((ProjectSource)c.Source!).Name;
        var text = new StringGraphType();

        node.AddField(Field("name", new NonNullGraphType(text), NameOf));
        node.AddField(Field("projectName", new NonNullGraphType(text), NameOf));
        node.AddField(ModelField("code", new NonNullGraphType(text), m => m.Code));
        node.AddField(ModelField("label", text, m => m.Label));
        node.AddField(ModelField("active", new NonNullGraphType(new BooleanGraphType()), m => m.Active));
        node.AddField(ModelField("library", new NonNullGraphType(new BooleanGraphType()), m => m.Library));
        node.AddField(Field("skeleton", new NonNullGraphType(new BooleanGraphType()), _ => false));
        node.AddField(ActivityTypes.ProjectActivities());
        EntityListTypes.AddProjectFields(node);
        node.AddField(ModelField("thumbnail", new GraphQLTypeReference("ThumbnailInfo"),
            m => m.Data["thumbnailId"]?.ToString() is { } id ? new JsonObject { ["id"] = id, ["relation"] = "self" } : null, "The project's own image, when it has one."));
        node.AddField(ModelField("data", text, m => DataString(m.Data), "JSON string; null when empty."));
        node.AddField(ModelField("config", text, m => m.Config.ToJsonString(), "JSON string."));
        node.AddField(ModelField("color", text, m => m.Data["color"]?.ToString()));
        node.AddField(ModelField("projectFolder", text, m => m.Data["projectFolder"]?.ToString()));
        node.AddField(ModelField("createdAt", new NonNullGraphType(DateTimeType), m => m.CreatedAt));
        node.AddField(ModelField("updatedAt", new NonNullGraphType(DateTimeType), m => m.UpdatedAt));
        var scope = attributes.Where(a => a.InScope("project")).Select(a => a.Name).ToHashSet();
        node.AddField(ModelField("allAttrib", new NonNullGraphType(text), m => InScope(m.Attrib, scope).ToJsonString(), "JSON string of the project's attributes."));
        node.AddField(ModelField("ownAttrib", new NonNullGraphType(StringList), m => m.OwnAttrib.ToList()));
        if (AttribType("project", attributes) is { } attrib)
            node.AddField(ModelField("attrib", new NonNullGraphType(attrib), m => m.Attrib));

        var bundle = JsonObjectType("ProjectBundleType", ("production", NodeFieldKind.Text, "production"), ("staging", NodeFieldKind.Text, "staging"));
        node.AddField(ModelField("bundle", new NonNullGraphType(bundle), m => m.Data["bundle"] as JsonObject ?? []));
        node.AddField(ModelField("folderTypes", ListOf(JsonObjectType("FolderType",
            ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("shortName", NodeFieldKind.Text, "shortName"),
            ("color", NodeFieldKind.Text, "color"))), m => Items(m.FolderTypes)));
        node.AddField(ModelField("taskTypes", ListOf(JsonObjectType("TaskType",
            ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("shortName", NodeFieldKind.Text, "shortName"),
            ("color", NodeFieldKind.Text, "color"))), m => Items(m.TaskTypes)));
        node.AddField(ModelField("statuses", ListOf(JsonObjectType("Status",
            ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("shortName", NodeFieldKind.Text, "shortName"),
            ("color", NodeFieldKind.Text, "color"), ("state", NodeFieldKind.Text, "state"), ("scope", NodeFieldKind.TextList, "scope"))),
            m => Items(m.Statuses)));
        node.AddField(ModelField("tags", ListOf(JsonObjectType("Tag", ("name", NodeFieldKind.Text, "name"), ("color", NodeFieldKind.Text, "color"))),
            m => Items(m.Tags)));
        node.AddField(ModelField("linkTypes", ListOf(JsonObjectType("LinkType",
            ("name", NodeFieldKind.Text, "name"), ("linkType", NodeFieldKind.Text, "linkType"), ("inputType", NodeFieldKind.Text, "inputType"),
            ("outputType", NodeFieldKind.Text, "outputType"), ("color", NodeFieldKind.Text, "data.color"), ("style", NodeFieldKind.Text, "data.style"))),
            m => Items(m.LinkTypes)));

        var productType = ProductType();
        node.AddField(AsyncField("productTypes", ListOf(productType), async c =>
            Items(await c.Service<ProjectStore>().GetProductTypesAsync(NameOf(c), c.CurrentUser(), c.CancellationToken)),
            "The product types used in the project."));
        node.AddField(AsyncField("productBaseTypes", ListOf(JsonObjectType("ProductBaseType", ("name", NodeFieldKind.Text, "name"))), async c =>
            await c.Scope().RunAsync(NameOf(c), async session => (object?)(await session.Connection.QueryAsync<string>(session.Command(
                "SELECT DISTINCT product_base_type FROM products WHERE product_base_type IS NOT NULL ORDER BY 1", null, c.CancellationToken))).Select(n => new JsonObject { ["name"] = n }).ToList(),
                c.CancellationToken), "The product base types used in the project."));
        node.AddField(AsyncField("usedTags", new NonNullGraphType(StringList), async c =>
            await c.Scope().RunAsync(NameOf(c), async session => (object?)(await session.Connection.QueryAsync<string>(session.Command(UsedTagsSql, null, c.CancellationToken))).ToList(), c.CancellationToken),
            "Tags used by the project's entities."));

        foreach (var definition in EntityRegistry.All)
        {
            node.AddField(entities.ProjectAccessor(definition.Type, definition));
            node.AddField(entities.ProjectConnection(definition.Plural, definition));
        }
        return node;
    }

    static readonly string UsedTagsSql = $"""
        SELECT DISTINCT tag FROM (
            {string.Join("\n    UNION ALL ", EntityRegistry.All.Select(d => $"SELECT unnest(tags) AS tag FROM {d.Table}"))}) t
        ORDER BY 1
        """;

    /// <summary>A product type: <c>{name icon color}</c> (the studio list and the project's).</summary>
    public static ObjectGraphType ProductType() => JsonObjectType("ProductType",
        ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("color", NodeFieldKind.Text, "color"));

    static NonNullGraphType ListOf(IGraphType item) => new(new ListGraphType(new NonNullGraphType(item)));

    static List<JsonObject> Items(JsonArray array) => [.. array.OfType<JsonObject>()];

    /// <summary>
    /// The project for a <c>ProjectNode</c> (404/403 as REST). Its REST model is read only when a field
    /// needs it: the entity connections need only the name.
    /// </summary>
    public static async Task<ProjectSource> LoadAsync(IResolveFieldContext context, string name)
    {
        var stored = await context.Scope().EnterAsync(name, context.CancellationToken);
        return Source(context, stored);
    }

    static ProjectSource Source(IResolveFieldContext context, string name)
    {
        var (store, user, cancellationToken) = (context.Service<ProjectStore>(), context.CurrentUser(), context.CancellationToken);
        return new ProjectSource(name, () => store.GetAsync(name, user, cancellationToken));
    }

    /// <summary>A field of the project's REST model, read once per request and project.</summary>
    static FieldType ModelField(string name, IGraphType type, Func<ProjectModel, object?> read, string? description = null) =>
        AsyncField(name, type, async c => read(await ((ProjectSource)c.Source!).ModelAsync()), description);

    /// <summary>Projects the user may see, ordered by name, one page (<c>projects(...)</c>).</summary>
    public static async Task<Connection<ProjectSource>> PageAsync(IResolveFieldContext context)
    {
        var user = context.CurrentUser();
        var paging = context.Paging();
        var parameters = new DynamicParameters();
        parameters.Add("name", context.GetArgument<string?>("name"));
        parameters.Add("code", context.GetArgument<string?>("code"));
        parameters.Add("visible", ProjectAccess.VisibleProjects(user)?.ToArray());
        var sql = paging.Apply("""
            SELECT name FROM public.projects
            WHERE (@name::text IS NULL OR name ILIKE @name)
              AND (@code::text IS NULL OR code ILIKE @code)
              AND (@visible::text[] IS NULL OR lower(name) = ANY(@visible))
            """, ["name"], parameters);
        var names = await context.Scope().RunAsync(async connection =>
            (await connection.QueryAsync<string>(new CommandDefinition(sql, parameters, cancellationToken: context.CancellationToken))).ToList(),
            context.CancellationToken);
        var page = paging.ToConnection(names, n => [n]);
        var edges = new List<Edge<ProjectSource>>();
        foreach (var edge in page.Edges)
            edges.Add(new Edge<ProjectSource>(Source(context, edge.Node), edge.Cursor));
        return new Connection<ProjectSource>(edges, page.PageInfo);
    }

    /// <summary>The <c>projects</c> connection type.</summary>
    public static ObjectGraphType ConnectionType(ObjectGraphType project)
    {
        var edge = new ObjectGraphType { Name = "ProjectEdge" };
        edge.AddField(Field("node", new NonNullGraphType(project), c => ((Edge<ProjectSource>)c.Source!).Node));
        edge.AddField(Field("cursor", new NonNullGraphType(new StringGraphType()), c => ((Edge<ProjectSource>)c.Source!).Cursor));
        var connection = new ObjectGraphType { Name = "ProjectsConnection" };
        connection.AddField(Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(edge))), c => ((Connection<ProjectSource>)c.Source!).Edges));
        connection.AddField(Field("pageInfo", typeof(NonNullGraphType<PageInfoType>), c => ((Connection<ProjectSource>)c.Source!).PageInfo));
        return connection;
    }
}
