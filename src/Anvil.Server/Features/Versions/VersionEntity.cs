using System.Text.Json.Nodes;
using Anvil.Server.Entities;

namespace Anvil.Server.Features.Versions;

/// <summary>One publish of a product. A negative number is the product's hero version.</summary>
public static class VersionEntity
{
    public static EntityDefinition Definition { get; } = new()
    {
        Type = "version",
        Plural = "versions",
        Fields =
        [
            new("version", "version", FieldKind.Integer) { Required = true },
            new("productId", "product_id", FieldKind.Id) { Required = true },
            new("taskId", "task_id", FieldKind.Id) { Nullable = true },
            new("thumbnailId", "thumbnail_id", FieldKind.Id) { Nullable = true },
            new("author", "author", FieldKind.Text) { Nullable = true },
        ],
        ParentField = new("productId", "product_id", FieldKind.Id),
        ParentType = "product",
        DuplicateMessage = "The product already has this version (or already has a hero version)",
        Rules = new VersionRules(),
        FolderPath = "f.path",
        Select = """
            SELECT e.id, e.version,
                   CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END AS name,
                   e.product_id AS "productId", e.task_id AS "taskId", e.thumbnail_id AS "thumbnailId",
                   e.author, e.status, e.tags, e.active, e.data,
                   e.attrib, e.attrib AS "ownAttrib",
                   '/' || f.path || '/' || p.name || '/' ||
                       CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END AS path,
                   string_to_array(f.path, '/') || p.name AS parents,
                   e.created_by AS "createdBy", e.updated_by AS "updatedBy",
                   e.created_at AS "createdAt", e.updated_at AS "updatedAt"
            FROM versions e
            JOIN products p ON p.id = e.product_id
            JOIN folders f ON f.id = p.folder_id
            """,
    };
}

/// <summary>The author defaults to the user who publishes.</summary>
sealed class VersionRules : EntityRules
{
    public override Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous)
    {
        if (previous is null)
            values["author"] ??= context.UserName;
        return Task.CompletedTask;
    }
}
