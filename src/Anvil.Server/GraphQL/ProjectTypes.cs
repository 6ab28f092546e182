using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Access;
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
        static ProjectModel Of(IResolveFieldContext c) => ((ProjectSource)c.Source!).Model;
        var text = new StringGraphType();

        node.AddField(Field("name", new NonNullGraphType(text), c => Of(c).Name));
        node.AddField(Field("projectName", new NonNullGraphType(text), c => Of(c).Name));
        node.AddField(Field("code", new NonNullGraphType(text), c => Of(c).Code));
        node.AddField(Field("label", text, c => Of(c).Label));
        node.AddField(Field("active", new NonNullGraphType(new BooleanGraphType()), c => Of(c).Active));
        node.AddField(Field("library", new NonNullGraphType(new BooleanGraphType()), c => Of(c).Library));
        node.AddField(Field("skeleton", new NonNullGraphType(new BooleanGraphType()), _ => false));
        node.AddField(Field("data", text, c => DataString(Of(c).Data), "JSON string; null when empty."));
        node.AddField(Field("config", text, c => Of(c).Config.ToJsonString(), "JSON string."));
        node.AddField(Field("color", text, c => Of(c).Data["color"]?.ToString()));
        node.AddField(Field("projectFolder", text, c => Of(c).Data["projectFolder"]?.ToString()));
        node.AddField(Field("createdAt", new NonNullGraphType(DateTimeType), c => Of(c).CreatedAt));
        node.AddField(Field("updatedAt", new NonNullGraphType(DateTimeType), c => Of(c).UpdatedAt));
        var scope = attributes.Where(a => a.InScope("project")).Select(a => a.Name).ToHashSet();
        node.AddField(Field("allAttrib", new NonNullGraphType(text), c => InScope(Of(c).Attrib, scope).ToJsonString(), "JSON string of the project's attributes."));
        node.AddField(Field("ownAttrib", new NonNullGraphType(StringList), c => Of(c).OwnAttrib.ToList()));
        if (AttribType("project", attributes) is { } attrib)
            node.AddField(Field("attrib", new NonNullGraphType(attrib), c => Of(c).Attrib));

        var bundle = JsonObjectType("ProjectBundleType", ("production", NodeFieldKind.Text, "production"), ("staging", NodeFieldKind.Text, "staging"));
        node.AddField(Field("bundle", new NonNullGraphType(bundle), c => Of(c).Data["bundle"] as JsonObject ?? []));
        node.AddField(Field("folderTypes", ListOf(JsonObjectType("FolderType",
            ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("shortName", NodeFieldKind.Text, "shortName"),
            ("color", NodeFieldKind.Text, "color"))), c => Items(Of(c).FolderTypes)));
        node.AddField(Field("taskTypes", ListOf(JsonObjectType("TaskType",
            ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("shortName", NodeFieldKind.Text, "shortName"),
            ("color", NodeFieldKind.Text, "color"))), c => Items(Of(c).TaskTypes)));
        node.AddField(Field("statuses", ListOf(JsonObjectType("Status",
            ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("shortName", NodeFieldKind.Text, "shortName"),
            ("color", NodeFieldKind.Text, "color"), ("state", NodeFieldKind.Text, "state"), ("scope", NodeFieldKind.TextList, "scope"))),
            c => Items(Of(c).Statuses)));
        node.AddField(Field("tags", ListOf(JsonObjectType("Tag", ("name", NodeFieldKind.Text, "name"), ("color", NodeFieldKind.Text, "color"))),
            c => Items(Of(c).Tags)));
        node.AddField(Field("linkTypes", ListOf(JsonObjectType("LinkType",
            ("name", NodeFieldKind.Text, "name"), ("linkType", NodeFieldKind.Text, "linkType"), ("inputType", NodeFieldKind.Text, "inputType"),
            ("outputType", NodeFieldKind.Text, "outputType"), ("color", NodeFieldKind.Text, "data.color"), ("style", NodeFieldKind.Text, "data.style"))),
            c => Items(Of(c).LinkTypes)));

        var productType = ProductType();
        node.AddField(AsyncField("productTypes", ListOf(productType), async c =>
            Items(await c.Service<ProjectStore>().GetProductTypesAsync(Of(c).Name, c.CurrentUser(), c.CancellationToken)),
            "The product types used in the project."));
        node.AddField(AsyncField("productBaseTypes", ListOf(JsonObjectType("ProductBaseType", ("name", NodeFieldKind.Text, "name"))), async c =>
            await c.Scope().RunAsync(Of(c).Name, async session => (object?)(await session.Connection.QueryAsync<string>(new CommandDefinition(
                "SELECT DISTINCT product_base_type FROM products WHERE product_base_type IS NOT NULL ORDER BY 1",
                transaction: session.Transaction, cancellationToken: c.CancellationToken))).Select(n => new JsonObject { ["name"] = n }).ToList(),
                c.CancellationToken), "The product base types used in the project."));
        node.AddField(AsyncField("usedTags", new NonNullGraphType(StringList), async c =>
            await c.Scope().RunAsync(Of(c).Name, async session => (object?)(await session.Connection.QueryAsync<string>(new CommandDefinition("""
                SELECT DISTINCT tag FROM (
                    SELECT unnest(tags) AS tag FROM folders UNION ALL SELECT unnest(tags) FROM tasks
                    UNION ALL SELECT unnest(tags) FROM products UNION ALL SELECT unnest(tags) FROM versions
                    UNION ALL SELECT unnest(tags) FROM representations UNION ALL SELECT unnest(tags) FROM workfiles) t
                ORDER BY 1
                """, transaction: session.Transaction, cancellationToken: c.CancellationToken))).ToList(), c.CancellationToken),
            "Tags used by the project's entities."));

        foreach (var (single, plural, graph) in new[]
        {
            ("folder", "folders", EntityGraph.Folder), ("task", "tasks", EntityGraph.Task), ("product", "products", EntityGraph.Product),
            ("version", "versions", EntityGraph.Version), ("representation", "representations", EntityGraph.Representation),
            ("workfile", "workfiles", EntityGraph.Workfile),
        })
        {
            node.AddField(entities.ProjectAccessor(single, graph));
            node.AddField(entities.ProjectConnection(plural, graph));
        }
        return node;
    }

    /// <summary>A product type: <c>{name icon color}</c> (the studio list and the project's).</summary>
    public static ObjectGraphType ProductType() => JsonObjectType("ProductType",
        ("name", NodeFieldKind.Text, "name"), ("icon", NodeFieldKind.Text, "icon"), ("color", NodeFieldKind.Text, "color"));

    static NonNullGraphType ListOf(IGraphType item) => new(new ListGraphType(new NonNullGraphType(item)));

    static List<JsonObject> Items(JsonArray array) => [.. array.OfType<JsonObject>()];

    /// <summary>The project for a <c>ProjectNode</c>, read as REST reads it (404/403 as REST).</summary>
    public static async Task<ProjectSource> LoadAsync(IResolveFieldContext context, string name)
    {
        var model = await context.Service<ProjectStore>().GetAsync(name, context.CurrentUser(), context.CancellationToken);
        return new ProjectSource(model.Name, model);
    }

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
            edges.Add(new Edge<ProjectSource>(await LoadAsync(context, edge.Node), edge.Cursor));
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
