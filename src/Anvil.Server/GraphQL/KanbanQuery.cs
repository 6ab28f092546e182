using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Dapper;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>
/// The <c>kanban</c> root: tasks across projects with their folder, for the web UI's "my tasks"
/// board (its landing page). Each project is read in its own session, so folder access rules apply;
/// the newest tasks come first, at most <c>last</c> in all.
/// </summary>
public static class KanbanQuery
{
    const string NodeName = "KanbanNode";

    sealed record KanbanRow
    {
        public Guid Id { get; init; }
        public string ProjectName { get; init; } = "";
        public string ProjectCode { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Label { get; init; }
        public string Status { get; init; } = "";
        public string[] Tags { get; init; } = [];
        public string TaskType { get; init; } = "";
        public string[] Assignees { get; init; } = [];
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public Guid? ThumbnailId { get; init; }
        public Guid FolderId { get; init; }
        public string FolderName { get; init; } = "";
        public string? FolderLabel { get; init; }
        public string FolderPath { get; init; } = "";
        public string? DueDate { get; init; }
        public string? Priority { get; init; }
        public long CreationOrder { get; init; }
    }

    public static void AddKanbanField(this ObjectGraphType query)
    {
        var node = new ObjectGraphType { Name = NodeName };
        void Text(string name, Func<KanbanRow, string?> value, bool nullable = false) =>
            node.AddField(GraphTypes.Field(name, nullable ? new StringGraphType() : new NonNullGraphType(new StringGraphType()), c => value((KanbanRow)c.Source!)));
        Text("id", r => r.Id.ToString("N"));
        Text("projectName", r => r.ProjectName);
        Text("projectCode", r => r.ProjectCode);
        Text("name", r => r.Name);
        Text("label", r => r.Label, nullable: true);
        Text("status", r => r.Status);
        Text("taskType", r => r.TaskType);
        Text("folderId", r => r.FolderId.ToString("N"));
        Text("folderName", r => r.FolderName);
        Text("folderLabel", r => r.FolderLabel, nullable: true);
        Text("folderPath", r => "/" + r.FolderPath);
        Text("thumbnailId", r => r.ThumbnailId?.ToString("N"), nullable: true);
        // A hash that changes when the thumbnail does: its id is new with every new image.
        Text("thumbnailHash", r => r.ThumbnailId?.ToString("N") ?? "");
        Text("priority", r => r.Priority, nullable: true);
        Text("lastVersionWithThumbnailId", _ => null, nullable: true);
        Text("lastVersionWithReviewableVersionId", _ => null, nullable: true);
        Text("lastVersionWithReviewableProductId", _ => null, nullable: true);
        var strings = new NonNullGraphType(new ListGraphType(new NonNullGraphType(new StringGraphType())));
        node.AddField(GraphTypes.Field("tags", strings, c => ((KanbanRow)c.Source!).Tags));
        node.AddField(GraphTypes.Field("assignees", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new StringGraphType()))),
            c => ((KanbanRow)c.Source!).Assignees));
        node.AddField(GraphTypes.Field("createdAt", new NonNullGraphType(GraphTypes.DateTimeType), c => ((KanbanRow)c.Source!).CreatedAt));
        node.AddField(GraphTypes.Field("updatedAt", new NonNullGraphType(GraphTypes.DateTimeType), c => ((KanbanRow)c.Source!).UpdatedAt));
        node.AddField(GraphTypes.Field("dueDate", GraphTypes.DateTimeType,
            c => DateTime.TryParse(((KanbanRow)c.Source!).DueDate, null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var due) ? due : null));
        // Reviewables are files attached to versions through activities, which Anvil does not keep yet.
        node.AddField(GraphTypes.Field("hasReviewables", new NonNullGraphType(new BooleanGraphType()), _ => false));
        node.AddField(GraphTypes.Field("thumbnail", new GraphQLTypeReference("ThumbnailInfo"), c =>
            ((KanbanRow)c.Source!).ThumbnailId is { } id ? new JsonObject { ["id"] = id.ToString("N"), ["relation"] = "self" } : null));

        var edge = new ObjectGraphType { Name = "KanbanEdge" };
        edge.AddField(GraphTypes.Field("node", new NonNullGraphType(node), c => ((Edge<KanbanRow>)c.Source!).Node));
        edge.AddField(GraphTypes.Field("cursor", new StringGraphType(), c => ((Edge<KanbanRow>)c.Source!).Cursor));
        var connection = new ObjectGraphType { Name = "KanbanConnection" };
        connection.AddField(GraphTypes.Field("edges", new NonNullGraphType(new ListGraphType(new NonNullGraphType(edge))), c => ((Connection<KanbanRow>)c.Source!).Edges));
        connection.AddField(GraphTypes.Field("pageInfo", new NonNullGraphType(new GraphQLTypeReference("PageInfo")), c => ((Connection<KanbanRow>)c.Source!).PageInfo));

        var field = GraphTypes.AsyncField("kanban", new NonNullGraphType(connection), async context => await ListAsync(context),
            "Tasks across the given projects (default: every active project the user may open), newest first.");
        field.Arguments = new QueryArguments(
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "projects" },
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "assigneesAny", Description = "Tasks assigned to any of these users." },
            new QueryArgument<ListGraphType<NonNullGraphType<StringGraphType>>> { Name = "taskIds" },
            new QueryArgument<StringGraphType> { Name = "before" },
            new QueryArgument<IntGraphType> { Name = "last", DefaultValue = 2000 });
        query.AddField(field);
    }

    static async Task<Connection<KanbanRow>> ListAsync(IResolveFieldContext context)
    {
        var user = context.CurrentUser();
        var db = context.Service<Db>();
        var contexts = context.Service<ProjectContexts>();
        var last = Math.Clamp(context.GetArgument<int?>("last") ?? 2000, 0, 10_000);
        var assignees = context.GetArgument<List<string>?>("assigneesAny")?.ToArray();
        var taskIds = context.GetArgument<List<string>?>("taskIds")?.Select(i => Guid.TryParse(i, out var id) ? id : Guid.Empty).ToArray();
        var wanted = context.GetArgument<List<string>?>("projects");

        List<(string Name, string Code)> projects;
        await using (var connection = await db.OpenAsync(context.CancellationToken))
            projects = [.. await connection.QueryAsync<(string, string)>(new CommandDefinition(
                "SELECT name, code FROM projects WHERE active AND (@wanted::text[] IS NULL OR lower(name) = ANY(@wanted)) ORDER BY name",
                new { wanted = wanted?.Select(w => w.ToLowerInvariant()).ToArray() }, cancellationToken: context.CancellationToken))];

        var rows = new List<KanbanRow>();
        foreach (var (name, code) in projects.Where(p => ProjectAccess.MayEnter(user, p.Name)))
        {
            await using var session = await ProjectSession.OpenReadAsync(db, contexts, name, user, context.CancellationToken);
            var parameters = new DynamicParameters(new { name, code, assignees, taskIds, last });
            foreach (var (parameter, value) in session.Access.Parameters)
                parameters.Add(parameter, value);
            var readable = session.Access.ReadCondition(EntityRegistry.Get("task")) ?? "true";
            var defaultPriority = session.Project.InheritedByRoots["priority"] is JsonValue p && p.TryGetValue<string>(out var priority) ? priority : null;
            parameters.Add("defaultPriority", defaultPriority);
            rows.AddRange(await session.Connection.QueryAsync<KanbanRow>(session.Command($"""
                SELECT e.id, @name AS project_name, @code AS project_code, e.name, e.label, e.status, e.tags, e.task_type, e.assignees,
                       e.created_at, e.updated_at, e.thumbnail_id, f.id AS folder_id, f.name AS folder_name, f.label AS folder_label,
                       f.path AS folder_path, (f.exported_attrib || e.attrib)->>'endDate' AS due_date,
                       coalesce((f.exported_attrib || e.attrib)->>'priority', @defaultPriority) AS priority, e.creation_order
                FROM tasks e
                JOIN folders f ON f.id = e.folder_id
                WHERE e.active AND (@assignees::text[] IS NULL OR e.assignees && @assignees) AND (@taskIds::uuid[] IS NULL OR e.id = ANY(@taskIds))
                  AND {readable}
                ORDER BY e.creation_order DESC
                LIMIT @last
                """, parameters, context.CancellationToken)));
        }
        var page = rows.OrderByDescending(r => r.UpdatedAt).Take(last).ToList();
        return new Connection<KanbanRow>([.. page.Select(r => new Edge<KanbanRow>(r, r.Id.ToString("N")))], new PageInfo(false, rows.Count > last, null, null));
    }
}
