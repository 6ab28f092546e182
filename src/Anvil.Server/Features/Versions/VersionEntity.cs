using System.Text.Json.Nodes;
using Anvil.Server.Entities;

namespace Anvil.Server.Features.Versions;

/// <summary>One publish of a product. A negative number is the product's hero version.</summary>
public static class VersionEntity
{
    /// <summary>True for the highest non-hero version of its product.</summary>
    public const string IsLatestCondition = "e.version >= 0 AND e.version = (SELECT max(l.version) FROM versions l WHERE l.product_id = e.product_id AND l.version >= 0)";

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
        Columns =
        [
            new("id", "e.id"), new("version", "e.version"),
            new("name", "CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END"),
            new("productId", "e.product_id"), new("taskId", "e.task_id"), new("thumbnailId", "e.thumbnail_id"),
            new("author", "e.author"), new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "e.attrib"), new("ownAttrib", "e.attrib"),
            new("path", "'/' || f.path || '/' || p.name || '/' || CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END"),
            new("parents", "string_to_array(f.path, '/') || p.name"),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM versions e
            JOIN products p ON p.id = e.product_id
            JOIN folders f ON f.id = p.folder_id
            """,
        GraphColumns =
        [
            new("heroVersionId", "(SELECT h.id FROM versions h WHERE h.product_id = e.product_id AND h.version < 0 ORDER BY h.creation_order LIMIT 1)"),
            new("isLatest", $"({IsLatestCondition})"),
        ],
        NodeName = "VersionNode",
        NodeFields =
        [
            new("version", NodeFieldKind.Integer), new("productId", NodeFieldKind.Text), new("taskId", NodeFieldKind.Text),
            new("thumbnailId", NodeFieldKind.Text), new("author", NodeFieldKind.Text), new("heroVersionId", NodeFieldKind.Text),
            new("isLatest", NodeFieldKind.Boolean),
        ],
        Parents = [new("product", "product", "productId"), new("task", "task", "taskId")],
        Children = [new("representations", "representation", "e.version_id")],
        SearchColumns = ["p.name", "f.path", "e.author"],
        Filters =
        [
            EntityFilter.IdList("productIds", "e.product_id"),
            EntityFilter.IdList("taskIds", "e.task_id"),
            EntityFilter.IdList("folderIds", "p.folder_id"),
            EntityFilter.TextList("authors", "e.author"),
            EntityFilter.Integer("version", "e.version = @{0}"),
            EntityFilter.IntegerList("versions", "e.version = ANY(@{0})"),
            EntityFilter.OnlyWhenTrue("heroOnly", "e.version < 0"),
            EntityFilter.OnlyWhenTrue("latestOnly", IsLatestCondition),
            EntityFilter.OnlyWhenTrue("heroOrLatestOnly",
                $"(e.version < 0 OR ({IsLatestCondition} AND NOT EXISTS (SELECT FROM versions h WHERE h.product_id = e.product_id AND h.version < 0)))"),
        ],
        Sorts = new Dictionary<string, string>
        {
            ["version"] = EntitySort.Number("e.version"),
            ["author"] = "COALESCE(e.author, '')",
            ["productName"] = "p.name",
            ["folderName"] = "f.name",
        },
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
