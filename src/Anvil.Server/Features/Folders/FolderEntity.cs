using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Folders;

/// <summary>A node of the project tree: asset, shot, sequence, episode, library folder.</summary>
public static class FolderEntity
{
    public static EntityDefinition Definition { get; } = new()
    {
        Type = "folder",
        Plural = "folders",
        Fields =
        [
            new("name", "name", FieldKind.Text) { Required = true },
            new("label", "label", FieldKind.Text) { Nullable = true },
            new("folderType", "folder_type", FieldKind.Text),
            new("parentId", "parent_id", FieldKind.Id) { Nullable = true },
            new("thumbnailId", "thumbnail_id", FieldKind.Id) { Nullable = true },
        ],
        ParentField = new("parentId", "parent_id", FieldKind.Id) { Nullable = true },
        ParentType = "folder",
        DuplicateMessage = "A folder of that name already exists under the same parent",
        Rules = new FolderRules(),
        FolderPath = "e.path",
        CreateAction = FolderAction.Create,
        UpdateAction = FolderAction.Update,
        PublishSetsThumbnail = true,
        ThumbnailFallback = """
            SELECT v.thumbnail_id FROM products p JOIN versions v ON v.product_id = p.id
            WHERE p.folder_id = e.id AND v.thumbnail_id IS NOT NULL
            ORDER BY v.created_at DESC LIMIT 1
            """,
        Columns =
        [
            new("id", "e.id"), new("name", "e.name"), new("label", "e.label"), new("folderType", "e.folder_type"),
            new("parentId", "e.parent_id"), new("thumbnailId", "e.thumbnail_id"),
            new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || e.attrib"),
            new("ownAttrib", "e.attrib"),
            new("path", "'/' || e.path"),
            new("parents", "COALESCE(string_to_array(p.path, '/'), '{}')"),
            new("hasChildren", "EXISTS (SELECT FROM folders c WHERE c.parent_id = e.id)"),
            new("hasTasks", "EXISTS (SELECT FROM tasks t WHERE t.folder_id = e.id)"),
            new("hasProducts", "EXISTS (SELECT FROM products pr WHERE pr.folder_id = e.id)"),
            new("hasVersions", """
                (EXISTS (SELECT FROM products pr JOIN versions v ON v.product_id = pr.id WHERE pr.folder_id = e.id)
                 OR EXISTS (SELECT FROM folders d
                            WHERE d.path ^@ (e.path || '/')
                              AND EXISTS (SELECT FROM products pr JOIN versions v ON v.product_id = pr.id WHERE pr.folder_id = d.id)))
                """),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM folders e
            LEFT JOIN folders p ON p.id = e.parent_id
            """,
        GraphColumns =
        [
            new("childCount", "(SELECT count(*) FROM folders c WHERE c.parent_id = e.id)::int"),
            new("taskCount", "(SELECT count(*) FROM tasks t WHERE t.folder_id = e.id)::int"),
            new("productCount", "(SELECT count(*) FROM products pr WHERE pr.folder_id = e.id)::int"),
        ],
        NodeName = "FolderNode",
        NodeFields =
        [
            new("label", NodeFieldKind.Text), new("folderType", NodeFieldKind.Text), new("type", NodeFieldKind.Text, "folderType"),
            new("parentId", NodeFieldKind.Text), new("thumbnailId", NodeFieldKind.Text),
            new("hasChildren", NodeFieldKind.Boolean), new("hasTasks", NodeFieldKind.Boolean), new("hasProducts", NodeFieldKind.Boolean),
            new("hasVersions", NodeFieldKind.Boolean), new("childCount", NodeFieldKind.Integer), new("taskCount", NodeFieldKind.Integer),
            new("productCount", NodeFieldKind.Integer),
        ],
        Parents = [new("parent", "folder", "parentId")],
        Children = [new("tasks", "task", "e.folder_id"), new("products", "product", "e.folder_id")],
        AttribExpression = "(COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || e.attrib)",
        SearchColumns = ["e.name", "e.label", "e.path"],
        Filters =
        [
            EntityFilter.TextList("names", "e.name"),
            EntityFilter.Text("name", "e.name ILIKE @{0}"),
            EntityFilter.TextList("folderTypes", "e.folder_type"),
            EntityFilter.ParentIds("parentId", FilterArgument.Text),
            EntityFilter.ParentIds("parentIds", FilterArgument.TextList),
            EntityFilter.TextArray("paths", "e.path = ANY(@{0})", s => s.Trim('/')),
            EntityFilter.Pattern("pathEx", "('/' || e.path)"),
            EntityFilter.Flag("hasChildren", "EXISTS (SELECT FROM folders c WHERE c.parent_id = e.id)"),
            EntityFilter.Flag("hasTasks", "EXISTS (SELECT FROM tasks t WHERE t.folder_id = e.id)"),
            EntityFilter.Flag("hasProducts", "EXISTS (SELECT FROM products pr WHERE pr.folder_id = e.id)"),
            EntityFilter.TextArray("assignees", "EXISTS (SELECT FROM tasks t WHERE t.folder_id = e.id AND t.assignees @> @{0})"),
        ],
        Sorts = new Dictionary<string, string>
        {
            ["name"] = "e.name",
            ["path"] = "e.path",
            ["folderType"] = EntitySort.Position("folder_types", "e.folder_type"),
        },
    };
}

/// <summary>Folder types from the anatomy, no cycles, protected published paths, and the derived tree data.</summary>
sealed class FolderRules : EntityRules
{
    public override async Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous)
    {
        values["folderType"] ??= context.Project.FolderTypes.FirstOrDefault()
            ?? throw new Conflict($"Project {context.Project.Name} has no folder types");
        var folderType = values["folderType"]!.GetValue<string>();
        if (!context.Project.FolderTypes.Contains(folderType))
            throw BadRequest.Field("folderType", $"'{folderType}' is not a folder type of project {context.Project.Name}");
        if (previous is null)
            return;

        var id = Guid.Parse(previous["id"]!.GetValue<string>());
        if (values["parentId"]?.GetValue<string>() is { } parentText && Changed(values, previous, "parentId"))
        {
            var parentId = Guid.Parse(parentText);
            var isOwnDescendant = parentId == id || await context.Connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
                SELECT starts_with(p.path || '/', f.path || '/')
                FROM folders f, folders p
                WHERE f.id = @id AND p.id = @parentId
                """, new { id, parentId }, cancellationToken: context.CancellationToken));
            if (isOwnDescendant)
                throw BadRequest.Field("parentId", "a folder cannot be moved under itself or one of its descendants");
        }
        if (!context.Force && (Changed(values, previous, "name") || Changed(values, previous, "parentId") || Changed(values, previous, "folderType"))
            && await HasVersionsAsync(context, id))
            throw new Forbidden("The folder or one of its descendants has published versions: renaming, moving or retyping it needs force");
    }

    public override Task AfterWriteAsync(WriteContext context, IReadOnlyList<WrittenEntity> written)
    {
        var changed = written
            .Where(w => w.Previous is null || Changed(w.Values, w.Previous, "name") || Changed(w.Values, w.Previous, "parentId") || Changed(w.Values, w.Previous, "attrib"))
            .Select(w => w.Id).ToArray();
        return changed.Length == 0 ? Task.CompletedTask : FolderTree.RefreshSubtreesAsync(context, changed);
    }

    public override async Task BeforeDeleteAsync(WriteContext context, Guid id, bool force)
    {
        var productIds = (await context.Connection.QueryAsync<Guid>(new CommandDefinition("""
            SELECT pr.id
            FROM folders root
            JOIN folders d ON d.id = root.id OR starts_with(d.path, root.path || '/')
            JOIN products pr ON pr.folder_id = d.id
            WHERE root.id = @id
            """, new { id }, cancellationToken: context.CancellationToken))).ToArray();
        if (productIds.Length == 0)
            return;
        if (!force)
            throw new Conflict($"The folder or one of its descendants holds {productIds.Length} product(s); delete them first, or delete with force", "delete-folder-with-products");
        await context.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM products WHERE id = ANY(@productIds)", new { productIds }, cancellationToken: context.CancellationToken));
    }

    static Task<bool> HasVersionsAsync(WriteContext context, Guid id) =>
        context.Connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (
                SELECT FROM folders root
                JOIN folders d ON d.id = root.id OR starts_with(d.path, root.path || '/')
                JOIN products pr ON pr.folder_id = d.id
                JOIN versions v ON v.product_id = pr.id
                WHERE root.id = @id)
            """, new { id }, cancellationToken: context.CancellationToken));

    static bool Changed(JsonObject values, JsonObject previous, string field) =>
        !JsonNode.DeepEquals(values[field], previous[field]);
}
