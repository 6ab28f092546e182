using Anvil.Server.Entities;

namespace Anvil.Server.Features.Workfiles;

/// <summary>A work file of a task (the scene an artist saves); its name is the path's last part.</summary>
public static class WorkfileEntity
{
    /// <summary>A workfile's name: the last part of its path.</summary>
    const string Name = @"regexp_replace(e.path, '^.*[\\/]', '')";

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
        UpdateAction = FolderAction.Update,
        Columns =
        [
            new("id", "e.id"), new("name", Name), new("path", "e.path"), new("taskId", "e.task_id"),
            new("thumbnailId", "e.thumbnail_id"), new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "e.attrib"), new("ownAttrib", "e.attrib"),
            new("parents", "string_to_array(f.path, '/') || t.name"),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM workfiles e
            JOIN tasks t ON t.id = e.task_id
            JOIN folders f ON f.id = t.folder_id
            """,
        NodeName = "WorkfileNode",
        NodeFields = [new("taskId", NodeFieldKind.Text), new("thumbnailId", NodeFieldKind.Text)],
        Parents = [new("task", "task", "taskId")],
        SearchColumns = ["e.path"],
        Filters =
        [
            EntityFilter.TextList("names", Name),
            EntityFilter.IdList("taskIds", "e.task_id"),
            EntityFilter.TextList("paths", "e.path"),
            EntityFilter.Pattern("pathEx", "e.path"),
        ],
        Sorts = new Dictionary<string, string> { ["name"] = Name, ["path"] = "e.path" },
    };
}
