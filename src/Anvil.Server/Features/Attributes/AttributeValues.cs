using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Attributes;

/// <summary>Checks attribute values against their definitions: the type first, then the definition's limits.</summary>
public static class AttributeValues
{
    /// <summary>
    /// The values of <paramref name="values"/> that the scope knows, each checked; unknown keys are
    /// dropped (as AYON does). Nulls are kept when <paramref name="keepNulls"/> (PATCH: revert to
    /// the inherited value), else dropped. A bad value is a 400 naming <c>{field}.{key}</c>.
    /// </summary>
    public static JsonObject Validate(IReadOnlyList<AttributeDefinition> scoped, JsonObject values, string field, bool keepNulls)
    {
        if (AyonJson.AsRead(values) is { } read && CheckAsRead(scoped, read, field))
            return JsonObject.Create(read)!;
        var result = new JsonObject();
        foreach (var (key, value) in values)
        {
            var definition = Find(scoped, key);
            if (definition is null)
                continue;
            if (value is null)
            {
                if (keepNulls)
                    result[key] = null;
                continue;
            }
            Check(definition, value, $"{field}.{key}");
            result[key] = value.DeepClone();
        }
        return result;
    }

    /// <summary>
    /// Values as they were read (a request's <c>attrib</c>, unchanged) checked on their own JSON, in
    /// order, without making nodes of them. False, with nothing thrown, at the first key that
    /// <see cref="Validate"/> would leave out (unknown, or null): the values are then not the answer as
    /// they stand, and <see cref="Validate"/> checks them again, keys before it included.
    /// </summary>
    static bool CheckAsRead(IReadOnlyList<AttributeDefinition> scoped, JsonElement values, string field)
    {
        foreach (var property in values.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null || Find(scoped, property.Name) is not { } definition)
                return false;
            Check(definition, property.Value, $"{field}.{property.Name}");
        }
        return true;
    }

    static AttributeDefinition? Find(IReadOnlyList<AttributeDefinition> scoped, string name)
    {
        for (var i = 0; i < scoped.Count; i++)
            if (scoped[i].Name == name)
                return scoped[i];
        return null;
    }

    /// <summary>Throws a 400 naming <paramref name="field"/> when the value does not fit the definition.</summary>
    public static void Check(AttributeDefinition definition, JsonNode value, string field) =>
        // A value read from a request is backed by its element already; anything else is serialised to one.
        Check(definition, AyonJson.AsRead(value) ?? JsonSerializer.SerializeToElement(value), field);

    static void Check(AttributeDefinition definition, JsonElement element, string field)
    {
        var data = definition.Data;
        switch (definition.Type)
        {
            case "integer":
                Require(IsInteger(element), field, "must be an integer");
                CheckBounds(element.GetDouble(), data, field);
                break;
            case "float":
                Require(element.ValueKind == JsonValueKind.Number, field, "must be a number");
                CheckBounds(element.GetDouble(), data, field);
                break;
            case "string":
                Require(element.ValueKind == JsonValueKind.String, field, "must be a string");
                CheckString(element.GetString()!, data, field);
                break;
            case "boolean":
                Require(element.ValueKind is JsonValueKind.True or JsonValueKind.False, field, "must be true or false");
                break;
            case "datetime":
                Require(element.ValueKind == JsonValueKind.String &&
                        DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
                    field, "must be an ISO-8601 date and time");
                break;
            case "list_of_strings":
                CheckList(element, data, field, e => e.ValueKind == JsonValueKind.String, "a string");
                break;
            case "list_of_integers":
                CheckList(element, data, field, IsInteger, "an integer");
                break;
            case "list_of_any":
                CheckList(element, data, field, _ => true, "anything");
                break;
            case "list_of_submodels":
                CheckList(element, data, field, e => e.ValueKind == JsonValueKind.Object, "an object");
                break;
            case "dict":
                Require(element.ValueKind == JsonValueKind.Object, field, "must be an object");
                break;
            default:
                throw BadRequest.Field(field, $"attribute type '{definition.Type}' is unknown");
        }
    }

    static bool IsInteger(JsonElement element) => element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out _);

    static void CheckBounds(double number, JsonObject data, string field)
    {
        if (Number(data, "gt") is { } gt) Require(number > gt, field, $"must be greater than {gt}");
        if (Number(data, "ge") is { } ge) Require(number >= ge, field, $"must be at least {ge}");
        if (Number(data, "lt") is { } lt) Require(number < lt, field, $"must be less than {lt}");
        if (Number(data, "le") is { } le) Require(number <= le, field, $"must be at most {le}");
    }

    static void CheckString(string text, JsonObject data, string field)
    {
        if (Number(data, "minLength") is { } min) Require(text.Length >= min, field, $"must have at least {min} characters");
        if (Number(data, "maxLength") is { } max) Require(text.Length <= max, field, $"must have at most {max} characters");
        if (data["regex"] is JsonValue regex && regex.TryGetValue<string>(out var pattern))
            Require(Regex.IsMatch(text, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100)), field, $"must match {pattern}");
    }

    static void CheckList(JsonElement element, JsonObject data, string field, Func<JsonElement, bool> isItem, string itemKind)
    {
        Require(element.ValueKind == JsonValueKind.Array, field, "must be a list");
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            Require(isItem(item), $"{field}.{index}", $"must be {itemKind}");
            index++;
        }
        if (Number(data, "minItems") is { } min) Require(index >= min, field, $"must have at least {min} items");
        if (Number(data, "maxItems") is { } max) Require(index <= max, field, $"must have at most {max} items");
    }

    static double? Number(JsonObject data, string key) =>
        data[key] is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? JsonSerializer.SerializeToElement(value).GetDouble() : null;

    static void Require(bool condition, string field, string message)
    {
        if (!condition)
            throw BadRequest.Field(field, message);
    }
}
