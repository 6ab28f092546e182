using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Products;

/// <summary>A published output of a folder (model, render, cache...), holding versions.</summary>
public static class ProductEntity
{
    public static EntityDefinition Definition { get; } = new()
    {
        Type = "product",
        Plural = "products",
        Fields =
        [
            new("name", "name", FieldKind.Text) { Required = true },
            new("folderId", "folder_id", FieldKind.Id) { Required = true },
            new("productType", "product_type", FieldKind.Text) { Required = true },
            new("productBaseType", "product_base_type", FieldKind.Text),
        ],
        ParentField = new("folderId", "folder_id", FieldKind.Id),
        ParentType = "folder",
        PathUnderParent = EntityDefinition.NameUnderParent,
        DuplicateMessage = "A product of that name already exists in the folder",
        Rules = new ProductRules(),
        FolderPath = "f.path",
        Columns =
        [
            new("id", "e.id"), new("name", "e.name"), new("folderId", "e.folder_id"), new("productType", "e.product_type"),
            new("productBaseType", "e.product_base_type"),
            new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "e.attrib"), new("ownAttrib", "e.attrib"),
            new("path", "'/' || f.path || '/' || e.name"),
            new("parents", "string_to_array(f.path, '/')"),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM products e
            JOIN folders f ON f.id = e.folder_id
            """,
        GraphColumns =
        [
            new("versionList", """
                (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                            'id', replace(v.id::text, '-', ''), 'version', v.version,
                            'name', CASE WHEN v.version < 0 THEN 'HERO' ELSE 'v' || lpad(v.version::text, 3, '0') END) ORDER BY v.version), '[]')
                 FROM versions v WHERE v.product_id = e.id)
                """),
        ],
        NodeName = "ProductNode",
        NodeFields =
        [
            new("folderId", NodeFieldKind.Text) { Required = true }, new("productType", NodeFieldKind.Text),
            new("productBaseType", NodeFieldKind.Text), new("type", NodeFieldKind.Text, "productType"),
        ],
        Parents = [new("folder", "folder", "folderId")],
        Children = [new("versions", "version", "e.product_id")],
        SearchColumns = ["e.name", "f.path"],
        Filters =
        [
            EntityFilter.TextList("names", "e.name"),
            EntityFilter.TextArray("namesCi", "lower(e.name) = ANY(@{0})", s => s.ToLowerInvariant()),
            EntityFilter.IdList("folderIds", "e.folder_id"),
            EntityFilter.Related("versionFilter", "version", "e.product_id", "e.id IN ({0})"),
            EntityFilter.Related("taskFilter", "task", "e.id", "e.id IN (SELECT tv.product_id FROM versions tv WHERE tv.task_id IN ({0}))"),
            EntityFilter.TextList("productTypes", "e.product_type"),
            EntityFilter.TextList("productBaseTypes", "e.product_base_type"),
            EntityFilter.Pattern("nameEx", "e.name"),
            EntityFilter.Pattern("pathEx", "('/' || f.path || '/' || e.name)"),
        ],
        Sorts = new Dictionary<string, string>
        {
            ["name"] = "e.name",
            ["productType"] = "e.product_type",
            ["productBaseType"] = "COALESCE(e.product_base_type, '')",
            ["folderName"] = "f.name",
            ["path"] = "f.path || '/' || e.name",
        },
    };
}

/// <summary>Product types are free names (AYON 1.13+), recorded studio-wide as they appear.</summary>
sealed class ProductRules : EntityRules
{
    public override Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous)
    {
        var productType = values["productType"]!.GetValue<string>();
        if (!Names.IsEntityName(productType))
            throw BadRequest.Field("productType", $"'{productType}' is not a valid product type name");
        values["productBaseType"] ??= productType;
        return Task.CompletedTask;
    }

    public override Task AfterWriteAsync(WriteContext context, IReadOnlyList<WrittenEntity> written)
    {
        var productTypes = written.Select(w => w.Values["productType"]!.GetValue<string>()).Distinct().ToArray();
        return context.Connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO public.product_types (name) SELECT unnest(@productTypes::text[]) ON CONFLICT DO NOTHING",
            new { productTypes }, cancellationToken: context.CancellationToken));
    }
}
