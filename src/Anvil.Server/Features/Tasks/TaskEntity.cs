using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Tasks;

/// <summary>A piece of work on a folder (modeling, animation, compositing...), assigned to users.</summary>
public static class TaskEntity
{
    public static EntityDefinition Definition { get; } = new()
    {
        Type = "task",
        Plural = "tasks",
        Fields =
        [
            new("name", "name", FieldKind.Text) { Required = true },
            new("label", "label", FieldKind.Text) { Nullable = true },
            new("taskType", "task_type", FieldKind.Text),
            new("folderId", "folder_id", FieldKind.Id) { Required = true },
            new("assignees", "assignees", FieldKind.TextList),
            new("thumbnailId", "thumbnail_id", FieldKind.Id) { Nullable = true },
        ],
        ParentField = new("folderId", "folder_id", FieldKind.Id),
        ParentType = "folder",
        PathUnderParent = EntityDefinition.NameUnderParent,
        DuplicateMessage = "A task of that name already exists in the folder",
        Rules = new TaskRules(),
        TaskAssignees = "e.assignees",
        FolderPath = "f.path",
        CreateAction = FolderAction.Create,
        UpdateAction = FolderAction.Update,
        ThumbnailFallback = """
            SELECT v.thumbnail_id FROM versions v
            WHERE v.task_id = e.id AND v.thumbnail_id IS NOT NULL
            ORDER BY v.created_at DESC LIMIT 1
            """,
        Columns =
        [
            new("id", "e.id"), new("name", "e.name"), new("label", "e.label"), new("taskType", "e.task_type"), new("folderId", "e.folder_id"),
            new("thumbnailId", "e.thumbnail_id"), new("assignees", "e.assignees"),
            new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "f.exported_attrib || e.attrib"),
            new("ownAttrib", "e.attrib"),
            new("path", "'/' || f.path || '/' || e.name"),
            new("parents", "string_to_array(f.path, '/')"),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM tasks e
            JOIN folders f ON f.id = e.folder_id
            """,
        NodeName = "TaskNode",
        NodeFields =
        [
            new("label", NodeFieldKind.Text), new("taskType", NodeFieldKind.Text), new("type", NodeFieldKind.Text, "taskType"),
            new("folderId", NodeFieldKind.Text) { Required = true }, new("thumbnailId", NodeFieldKind.Text), new("assignees", NodeFieldKind.TextList),
        ],
        Parents = [new("folder", "folder", "folderId")],
        Children = [new("versions", "version", "e.task_id"), new("workfiles", "workfile", "e.task_id")],
        AttribExpression = "(f.exported_attrib || e.attrib)",
        SearchColumns = ["e.name", "e.label", "f.path"],
        Filters =
        [
            EntityFilter.TextList("names", "e.name"),
            EntityFilter.TextList("taskTypes", "e.task_type"),
            EntityFilter.IdList("folderIds", "e.folder_id"),
            new("assignees", FilterArgument.TextList, (v, p, ps) =>
            {
                var names = EntityFilter.Strings(v).ToArray();
                if (names.Length == 0)
                    return "cardinality(e.assignees) = 0";
                ps.Add(p, names);
                return $"e.assignees @> @{p}";
            }),
            EntityFilter.TextArray("assigneesAny", "e.assignees && @{0}"),
            EntityFilter.TextArray("tagsAny", "e.tags && @{0}"),
            EntityFilter.Related("folderFilter", "folder", "e.id", "e.folder_id IN ({0})"),
        ],
        Sorts = new Dictionary<string, string>
        {
            ["name"] = "e.name",
            ["taskType"] = EntitySort.Position("task_types", "e.task_type"),
            ["assignees"] = "array_to_string(e.assignees, ',')",
        },
    };
}

/// <summary>Task types come from the anatomy; the first one is the default.</summary>
sealed class TaskRules : EntityRules
{
    public override Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous)
    {
        values["taskType"] ??= context.Project.TaskTypes.FirstOrDefault()
            ?? throw new Conflict($"Project {context.Project.Name} has no task types");
        var taskType = values["taskType"]!.GetValue<string>();
        if (!context.Project.TaskTypes.Contains(taskType))
            throw BadRequest.Field("taskType", $"'{taskType}' is not a task type of project {context.Project.Name}");
        return Task.CompletedTask;
    }
}
