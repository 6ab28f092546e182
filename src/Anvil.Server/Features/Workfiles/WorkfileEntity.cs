using Anvil.Server.Entities;

namespace Anvil.Server.Features.Workfiles;

/// <summary>A work file of a task (the scene an artist saves); its name is the path's last part.</summary>
public static class WorkfileEntity
{
    public static EntityDefinition Definition { get; } = new()
    {
        Type = "workfile",
        Plural = "workfiles",
        Fields =
        [
            new("path", "path", FieldKind.Text) { Required = true },
            new("taskId", "task_id", FieldKind.Id) { Required = true },
            new("thumbnailId", "thumbnail_id", FieldKind.Id) { Nullable = true },
            new("createdBy", "created_by", FieldKind.Text) { Nullable = true },
            new("updatedBy", "updated_by", FieldKind.Text) { Nullable = true },
        ],
        ParentField = new("taskId", "task_id", FieldKind.Id),
        ParentType = "task",
        DuplicateMessage = "A workfile with that path already exists in the project",
        TaskAssignees = "t.assignees",
        FolderPath = "f.path",
        Select = """
            SELECT e.id, regexp_replace(e.path, '^.*[\\/]', '') AS name, e.path, e.task_id AS "taskId",
                   e.thumbnail_id AS "thumbnailId", e.status, e.tags, e.active, e.data,
                   e.attrib, e.attrib AS "ownAttrib",
                   string_to_array(f.path, '/') || t.name AS parents,
                   e.created_by AS "createdBy", e.updated_by AS "updatedBy",
                   e.created_at AS "createdAt", e.updated_at AS "updatedAt"
            FROM workfiles e
            JOIN tasks t ON t.id = e.task_id
            JOIN folders f ON f.id = t.folder_id
            """,
    };
}
