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
        DuplicateMessage = "A task of that name already exists in the folder",
        Rules = new TaskRules(),
        TaskAssignees = "e.assignees",
        FolderPath = "f.path",
        Select = """
            SELECT e.id, e.name, e.label, e.task_type AS "taskType", e.folder_id AS "folderId",
                   e.thumbnail_id AS "thumbnailId", e.assignees, e.status, e.tags, e.active, e.data,
                   f.exported_attrib || e.attrib AS attrib,
                   e.attrib AS "ownAttrib",
                   '/' || f.path || '/' || e.name AS path,
                   string_to_array(f.path, '/') AS parents,
                   e.created_by AS "createdBy", e.updated_by AS "updatedBy",
                   e.created_at AS "createdAt", e.updated_at AS "updatedAt"
            FROM tasks e
            JOIN folders f ON f.id = e.folder_id
            """,
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
