using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;
using NpgsqlTypes;

namespace Anvil.Server.Entities;

/// <summary>How a field travels: its JSON shape on the wire and its column type.</summary>
public enum FieldKind
{
    Text,
    Id,
    Integer,
    Boolean,
    TextList,
    JsonObject,
    JsonList,
}

/// <summary>
/// One writable field of an entity type: its API name, its column and its kind. Reading is done by
/// the type's SELECT (whose aliases are the API names); writing and input validation by this.
/// </summary>
public sealed record EntityField(string Name, string Column, FieldKind Kind)
{
    /// <summary>Must be given on create.</summary>
    public bool Required { get; init; }

    /// <summary>May be set to null (e.g. <c>label</c>, <c>parentId</c>, <c>thumbnailId</c>).</summary>
    public bool Nullable { get; init; }

    public NpgsqlDbType DbType => Kind switch
    {
        FieldKind.Text => NpgsqlDbType.Text,
        FieldKind.Id => NpgsqlDbType.Uuid,
        FieldKind.Integer => NpgsqlDbType.Integer,
        FieldKind.Boolean => NpgsqlDbType.Boolean,
        FieldKind.TextList => NpgsqlDbType.Array | NpgsqlDbType.Text,
        _ => NpgsqlDbType.Jsonb,
    };

    /// <summary>The column value of a JSON value (JSON fields: its UTF-8 text as <see cref="ReadOnlyMemory{T}"/>), or a 400 naming the field.</summary>
    public object ToColumn(JsonNode? value)
    {
        if (value is null)
            return Nullable ? DBNull.Value : throw BadRequest.Field(Name, "may not be null");
        var kind = value.GetValueKind();
        return Kind switch
        {
            FieldKind.Text when kind == JsonValueKind.String => value.GetValue<string>(),
            FieldKind.Id when kind == JsonValueKind.String && Guid.TryParse(value.GetValue<string>(), out var id) => id,
            FieldKind.Integer when AyonJson.Number(value) is { } number && number.TryGetInt32(out var whole) => whole,
            FieldKind.Boolean when kind is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
            FieldKind.TextList when kind == JsonValueKind.Array && value.AsArray().All(i => i?.GetValueKind() == JsonValueKind.String) =>
                value.AsArray().Select(i => i!.GetValue<string>()).ToArray(),
            // UTF-8, as it is sent (the request's own bytes when the value is unchanged): a bulk write's
            // files and data are the most of its bytes, and a string would double them.
            FieldKind.JsonObject when kind == JsonValueKind.Object => (ReadOnlyMemory<byte>)AyonJson.ColumnBytes(value),
            FieldKind.JsonList when kind == JsonValueKind.Array => (ReadOnlyMemory<byte>)AyonJson.ColumnBytes(value),
            _ => throw BadRequest.Field(Name, $"must be {Describe()}"),
        };
    }

    /// <summary>The value in its canonical JSON form (ids as 32-hex), after checking it as <see cref="ToColumn"/> does.</summary>
    public JsonNode? Normalize(JsonNode? value)
    {
        // An object or a list needs no text to be checked: its kind is enough (ToColumn would serialise it).
        if (value is not null && Kind is FieldKind.JsonObject or FieldKind.JsonList
            && value.GetValueKind() == (Kind == FieldKind.JsonObject ? JsonValueKind.Object : JsonValueKind.Array))
            return value.DeepClone();
        // Nor does a string or a boolean of its kind (ToColumn would read a string of it only to drop it).
        if (value is not null && (Kind == FieldKind.Text && value.GetValueKind() == JsonValueKind.String
            || Kind == FieldKind.Boolean && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False))
            return value.DeepClone();
        return ToColumn(value) switch
        {
            DBNull => null,
            Guid id => id.ToString("N"),
            _ => value!.DeepClone(),
        };
    }

    string Describe() => Kind switch
    {
        FieldKind.Text => "a string",
        FieldKind.Id => "a 32-character hexadecimal id",
        FieldKind.Integer => "an integer",
        FieldKind.Boolean => "true or false",
        FieldKind.TextList => "a list of strings",
        FieldKind.JsonObject => "an object",
        _ => "a list",
    };
}
