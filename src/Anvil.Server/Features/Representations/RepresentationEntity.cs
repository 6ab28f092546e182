using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Representations;

/// <summary>The files of a version in one form (exr sequence, mov, abc...).</summary>
public static class RepresentationEntity
{
    public static EntityDefinition Definition { get; } = new()
    {
        Type = "representation",
        Plural = "representations",
        Fields =
        [
            new("name", "name", FieldKind.Text) { Required = true },
            new("versionId", "version_id", FieldKind.Id) { Required = true },
            new("files", "files", FieldKind.JsonList),
            new("traits", "traits", FieldKind.JsonObject) { Nullable = true },
        ],
        ParentField = new("versionId", "version_id", FieldKind.Id),
        ParentType = "version",
        PathUnderParent = EntityDefinition.NameUnderParent,
        DuplicateMessage = "A representation of that name already exists in the version",
        Rules = new RepresentationRules(),
        FolderPath = "f.path",
        Columns =
        [
            new("id", "e.id"), new("name", "e.name"), new("versionId", "e.version_id"), new("files", "e.files"), new("traits", "e.traits"),
            new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "e.attrib"), new("ownAttrib", "e.attrib"),
            new("path", "'/' || f.path || '/' || p.name || '/' || CASE WHEN v.version < 0 THEN 'HERO' ELSE 'v' || lpad(v.version::text, 3, '0') END || '/' || e.name"),
            new("parents", "string_to_array(f.path, '/') || p.name || CASE WHEN v.version < 0 THEN 'HERO' ELSE 'v' || lpad(v.version::text, 3, '0') END"),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM representations e
            JOIN versions v ON v.id = e.version_id
            JOIN products p ON p.id = v.product_id
            JOIN folders f ON f.id = p.folder_id
            """,
        NodeName = "RepresentationNode",
        NodeFields = [new("versionId", NodeFieldKind.Text) { Required = true }],
        Parents = [new("version", "version", "versionId")],
        SearchColumns = ["e.name", "p.name"],
        Filters =
        [
            EntityFilter.TextList("names", "e.name"),
            EntityFilter.IdList("versionIds", "e.version_id"),
        ],
        Sorts = new Dictionary<string, string> { ["name"] = "e.name" },
    };
}

/// <summary>Each file names an id (unique in the representation) and a path; sizes and hashes are checked by type.</summary>
sealed class RepresentationRules : EntityRules
{
    static readonly string[] HashTypes = ["md5", "sha1", "sha256", "op3"];

    static bool IsHashType(JsonElement value)
    {
        foreach (var type in HashTypes)
            if (value.ValueEquals(type))
                return true;
        return false;
    }

    public override Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous)
    {
        var files = values["files"] as JsonArray ?? [];
        // Checked on the JSON itself (the request's when the files are as sent): reading the nodes would
        // build a dictionary for every file of every representation of a bulk write. Only a file
        // missing a default is filled in as nodes.
        var read = AyonJson.AsRead(files);
        using var document = read is null ? JsonSerializer.SerializeToDocument(files) : null;
        var ids = new HashSet<string>();
        var defaults = false;
        var i = 0;
        // The field is named only when there is a problem: a bulk write checks thousands of files.
        foreach (var file in (read ?? document!.RootElement).EnumerateArray())
        {
            var index = i++;
            if (file.ValueKind != JsonValueKind.Object)
                throw BadRequest.Field($"files.{index}", "must be an object");
            if (!file.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { } fileId || !Guid.TryParse(fileId, out _))
                throw BadRequest.Field($"files.{index}.id", "must be a 32-character hexadecimal id");
            if (!ids.Add(fileId))
                throw BadRequest.Field($"files.{index}.id", "two files of the representation share this id");
            if (!file.TryGetProperty("path", out var path) || path.ValueKind != JsonValueKind.String)
                throw BadRequest.Field($"files.{index}.path", "must be a string");
            var hasSize = file.TryGetProperty("size", out var size) && size.ValueKind != JsonValueKind.Null;
            if (hasSize && !(size.ValueKind == JsonValueKind.Number && size.GetDouble() >= 0))
                throw BadRequest.Field($"files.{index}.size", "must be a non-negative number");
            var hasHashType = file.TryGetProperty("hashType", out var hashType) && hashType.ValueKind != JsonValueKind.Null;
            if (hasHashType && (hashType.ValueKind != JsonValueKind.String || !IsHashType(hashType)))
                throw BadRequest.Field($"files.{index}.hashType", "must be one of md5, sha1, sha256, op3");
            defaults |= !hasSize || !hasHashType;
        }
        if (defaults)
        {
            foreach (var file in files)
            {
                file!["size"] ??= 0;
                file["hashType"] ??= "md5";
            }
        }
        values["files"] = files;
        return Task.CompletedTask;
    }
}
