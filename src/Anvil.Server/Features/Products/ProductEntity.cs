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
        DuplicateMessage = "A product of that name already exists in the folder",
        Rules = new ProductRules(),
        FolderPath = "f.path",
        Select = """
            SELECT e.id, e.name, e.folder_id AS "folderId", e.product_type AS "productType",
                   e.product_base_type AS "productBaseType", e.status, e.tags, e.active, e.data,
                   e.attrib, e.attrib AS "ownAttrib",
                   '/' || f.path || '/' || e.name AS path,
                   string_to_array(f.path, '/') AS parents,
                   e.created_by AS "createdBy", e.updated_by AS "updatedBy",
                   e.created_at AS "createdAt", e.updated_at AS "updatedAt"
            FROM products e
            JOIN folders f ON f.id = e.folder_id
            """,
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
