using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using GraphQL;
using GraphQL.Resolvers;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>Small builders for the schema types made at run time (node, attribute and JSON-backed types).</summary>
public static partial class GraphTypes
{
    public static ListGraphType StringList => new(new StringGraphType());

    /// <summary>The <c>DateTime</c> scalar (one instance per schema, registered by <see cref="AyonSchema"/>).</summary>
    public static IGraphType DateTimeType => new GraphQLTypeReference("DateTime");

    public static FieldType Field(string name, IGraphType type, Func<IResolveFieldContext, object?> resolve, string? description = null) => new()
    {
        Name = name,
        ResolvedType = type,
        Resolver = new FuncFieldResolver<object?>(resolve),
        Description = description,
    };

    public static FieldType Field(string name, Type type, Func<IResolveFieldContext, object?> resolve, string? description = null) => new()
    {
        Name = name,
        Type = type,
        Resolver = new FuncFieldResolver<object?>(resolve),
        Description = description,
    };

    public static FieldType AsyncField(string name, IGraphType type, Func<IResolveFieldContext, Task<object?>> resolve, string? description = null) => new()
    {
        Name = name,
        ResolvedType = type,
        Resolver = new FuncFieldResolver<object?>(context => new ValueTask<object?>(resolve(context))),
        Description = description,
    };

    /// <summary>A JSON value as AYON's JSON-string fields carry it; null for null.</summary>
    public static string? JsonString(JsonNode? node) => node?.ToJsonString();

    /// <summary><c>data</c>: a JSON string, null for an empty object (as AYON).</summary>
    public static string? DataString(JsonNode? node) => node is JsonObject { Count: 0 } or null ? null : node.ToJsonString();

    public static object? ValueOf(JsonNode? node, NodeFieldKind kind) => node is null ? null : kind switch
    {
        NodeFieldKind.Text => node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString(),
        NodeFieldKind.Integer => node.AsValue().TryGetValue<int>(out var number) ? number : null,
        NodeFieldKind.Boolean => node.AsValue().TryGetValue<bool>(out var flag) ? flag : null,
        NodeFieldKind.TextList => node is JsonArray items ? items.Select(i => i?.GetValueKind() == JsonValueKind.String ? i.GetValue<string>() : i?.ToJsonString()).ToList() : null,
        _ => null,
    };

    /// <summary>
    /// Writes what a field resolved with <see cref="ValueOf(JsonNode?, NodeFieldKind)"/> is written as (a rendered
    /// connection's <see cref="RenderedConnections.WrittenBy"/>), from a row's value as read (<see cref="JsonRows.Value"/>)
    /// or as its node: a string, a boolean, an integer or a list of strings, <c>""</c> or <c>[]</c> for a missing one when
    /// <paramref name="orEmpty"/>. False, having written nothing, for any other value or a missing one of a non-null
    /// field: the resolver answers (or fails) then.
    /// </summary>
    public static bool WriteValueOf(System.Text.Json.Utf8JsonWriter writer, object? value, NodeFieldKind kind, bool nullable, bool orEmpty = false)
    {
        if (value is null)
        {
            if (orEmpty && kind == NodeFieldKind.TextList)
            {
                writer.WriteStartArray();
                writer.WriteEndArray();
            }
            else if (orEmpty)
                writer.WriteStringValue(""u8);
            else if (nullable)
                writer.WriteNullValue();
            else
                return false;
            return true;
        }
        switch (kind)
        {
            case NodeFieldKind.Text when value is string text || (value is JsonValue node && node.TryGetValue(out text!)):
                writer.WriteStringValue(text);
                return true;
            case NodeFieldKind.Boolean when value is bool flag || (value is JsonValue node && node.TryGetValue(out flag)):
                writer.WriteBooleanValue(flag);
                return true;
            case NodeFieldKind.Integer when value is int number || (value is JsonValue node && node.TryGetValue(out number)):
                writer.WriteNumberValue(number);
                return true;
            case NodeFieldKind.TextList when value is string?[] texts:
                writer.WriteStartArray();
                foreach (var item in texts)
                {
                    if (item is null)
                        writer.WriteNullValue();
                    else
                        writer.WriteStringValue(item);
                }
                writer.WriteEndArray();
                return true;
            case NodeFieldKind.TextList when value is JsonArray items && items.All(i => i is null || (i is JsonValue v && v.TryGetValue<string>(out _))):
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    if (item is null)
                        writer.WriteNullValue();
                    else
                        writer.WriteStringValue(item.GetValue<string>());
                }
                writer.WriteEndArray();
                return true;
            default:
                return false;
        }
    }

    public static IGraphType ScalarType(NodeFieldKind kind) => kind switch
    {
        NodeFieldKind.Integer => new IntGraphType(),
        NodeFieldKind.Boolean => new BooleanGraphType(),
        NodeFieldKind.TextList => StringList,
        _ => new StringGraphType(),
    };

    public static DateTimeOffset? Timestamp(JsonNode? node) =>
        node?.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time : null;

    /// <summary>An object type over a JSON object (a <see cref="JsonObject"/> or a <see cref="JsonElement"/>): each field reads a (dotted) key.</summary>
    public static ObjectGraphType JsonObjectType(string name, params (string Field, NodeFieldKind Kind, string Key)[] fields)
    {
        var type = new ObjectGraphType { Name = name };
        foreach (var (field, kind, key) in fields)
        {
            var parts = key.Split('.');
            type.AddField(Field(field, ScalarType(kind), c =>
            {
                if (c.Source is JsonElement element)
                    return At(element, parts) is { } value ? ValueOf(value, kind) : null;
                JsonNode? node = c.Source as JsonNode;
                foreach (var part in parts)
                    node = node is JsonObject json ? json[part] : null;
                return ValueOf(node, kind);
            }).WrittenBy((writer, source) => kind == NodeFieldKind.Text && WriteText(writer, source, parts)));
        }
        return type;
    }

    /// <summary>
    /// A text field of a <see cref="JsonElement"/> written from its UTF-8 (no string made): a string without escapes, a
    /// number (its text), or null; false for anything else (the resolver answers).
    /// </summary>
    static bool WriteText(System.Text.Json.Utf8JsonWriter writer, object source, string[] parts)
    {
        if (source is not JsonElement root)
            return false;
        if (At(root, parts) is not { } element)
        {
            writer.WriteNullValue();
            return true;
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                writer.WriteNullValue();
                return true;
            case JsonValueKind.Number:
                writer.WriteStringValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));
                return true;
            case JsonValueKind.String:
                var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
                if (raw.Contains((byte)'\\'))
                    return false;
                writer.WriteStringValue(raw[1..^1]);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The value at a (dotted) key's <paramref name="parts"/>; null where one is missing or not an object.</summary>
    static JsonElement? At(JsonElement element, string[] parts)
    {
        foreach (var part in parts)
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
                return null;
        return element;
    }

    /// <summary><see cref="ValueOf(JsonNode?, NodeFieldKind)"/> of a value read as a <see cref="JsonElement"/>: the same answers.</summary>
    public static object? ValueOf(JsonElement element, NodeFieldKind kind) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => kind switch
        {
            NodeFieldKind.Text => element.ValueKind == JsonValueKind.String ? element.GetString() : JsonSerializer.Serialize(element),
            NodeFieldKind.Integer => element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var number) ? number : null,
            NodeFieldKind.Boolean => element.ValueKind is JsonValueKind.True or JsonValueKind.False ? element.GetBoolean() : null,
            NodeFieldKind.TextList => element.ValueKind == JsonValueKind.Array
                ? element.EnumerateArray().Select(i => i.ValueKind switch
                {
                    JsonValueKind.String => i.GetString(),
                    JsonValueKind.Null => null,
                    _ => JsonSerializer.Serialize(i),
                }).ToList()
                : null,
            _ => null,
        },
    };

    [GeneratedRegex("^[_A-Za-z][_0-9A-Za-z]*$")]
    private static partial Regex GraphQLName();

    /// <summary>
    /// The typed <c>attrib</c> of a scope: one nullable field per attribute of the library in that
    /// scope, read from the node's effective attribute object. Null when the scope has none.
    /// </summary>
    public static ObjectGraphType? AttribType(string scope, IReadOnlyList<AttributeDefinition> attributes)
    {
        var type = new ObjectGraphType { Name = char.ToUpperInvariant(scope[0]) + scope[1..] + "AttribType" };
        foreach (var attribute in attributes.Where(a => a.InScope(scope) && GraphQLName().IsMatch(a.Name)))
        {
            var name = attribute.Name;
            var attributeType = attribute.Type;
            type.AddField(Field(name, AttributeGraphType(attributeType), c => AttributeValue((c.Source as JsonObject)?[name], attributeType)).Plain());
        }
        return type.Fields.Count == 0 ? null : type;
    }

    static IGraphType AttributeGraphType(string attributeType) => attributeType switch
    {
        "integer" => new IntGraphType(),
        "float" => new FloatGraphType(),
        "boolean" => new BooleanGraphType(),
        "datetime" => DateTimeType,
        "list_of_strings" => new ListGraphType(new StringGraphType()),
        "list_of_integers" => new ListGraphType(new IntGraphType()),
        _ => new StringGraphType(),
    };

    static object? AttributeValue(JsonNode? node, string attributeType)
    {
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
            return null;
        return attributeType switch
        {
            "integer" => node is JsonValue v && v.TryGetValue<int>(out var number) ? number : null,
            "float" => node is JsonValue v && v.TryGetValue<double>(out var real) ? real : null,
            "boolean" => node is JsonValue v && v.TryGetValue<bool>(out var flag) ? flag : null,
            "datetime" => Timestamp(node),
            "list_of_strings" => node is JsonArray items ? items.Select(i => i?.GetValueKind() == JsonValueKind.String ? i.GetValue<string>() : i?.ToJsonString()).ToList() : null,
            "list_of_integers" => node is JsonArray items ? items.Select(i => i is JsonValue v && v.TryGetValue<int>(out var n) ? (int?)n : null).ToList() : null,
            "string" => node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString(),
            _ => node.ToJsonString(),
        };
    }

    /// <summary>The attribute values limited to the attributes of the scope (AYON's <c>allAttrib</c> keys).</summary>
    public static JsonObject InScope(JsonObject? values, HashSet<string> names)
    {
        var result = new JsonObject();
        if (values is null)
            return result;
        foreach (var (key, value) in values)
            if (names.Contains(key))
                result[key] = value?.DeepClone();
        return result;
    }
}

/// <summary>
/// AYON's <c>DateTime</c>: ISO 8601 with microseconds and the offset (<c>2026-11-23T23:24:07.123456+00:00</c>),
/// the same text REST answers.
/// </summary>
public sealed class AyonDateTimeGraphType : ScalarGraphType
{
    public AyonDateTimeGraphType()
    {
        Name = "DateTime";
        Description = "ISO 8601 date and time with its offset.";
    }

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        DateTimeOffset time => Hosting.TimestampConverter.Text(time),
        System.DateTime time => Hosting.TimestampConverter.Text(time),
        string text => text,
        _ => ThrowSerializationError(value),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        DateTimeOffset time => time,
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) => time,
        _ => ThrowValueConversionError(value),
    };

    public override object? ParseLiteral(global::GraphQLParser.AST.GraphQLValue value) => value switch
    {
        global::GraphQLParser.AST.GraphQLNullValue => null,
        global::GraphQLParser.AST.GraphQLStringValue text => ParseValue((string)text.Value),
        _ => ThrowLiteralConversionError(value),
    };
}
