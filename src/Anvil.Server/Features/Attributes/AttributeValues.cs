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
            Check(definition, property.Value, new Field(field, definition.Name));
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
        Check(definition, AyonJson.AsRead(value) ?? JsonSerializer.SerializeToElement(value), new Field(field, null));

    /// <summary>The field a problem is named by, <c>{prefix}.{key}</c>: made only when there is a problem (a bulk write checks thousands of values).</summary>
    readonly record struct Field(string Prefix, string? Key)
    {
        public override string ToString() => Key is null ? Prefix : $"{Prefix}.{Key}";
    }

    /// <summary>What a definition's data says about its values, read once per definition rather than once per value checked.</summary>
    sealed record Limits(string Type, double? Gt, double? Ge, double? Lt, double? Le, double? MinLength, double? MaxLength, string? Regex,
        double? MinItems, double? MaxItems)
    {
        /// <summary>Only the keys its type reads, as the checks read them.</summary>
        public static Limits Of(AttributeDefinition definition)
        {
            var data = definition.Data;
            var type = definition.Type;
            var numeric = type is "integer" or "float";
            var list = type.StartsWith("list_of_", StringComparison.Ordinal);
            return new Limits(type,
                numeric ? Number(data, "gt") : null, numeric ? Number(data, "ge") : null, numeric ? Number(data, "lt") : null, numeric ? Number(data, "le") : null,
                type == "string" ? Number(data, "minLength") : null, type == "string" ? Number(data, "maxLength") : null,
                type == "string" && data["regex"] is JsonValue regex && regex.TryGetValue<string>(out var pattern) ? pattern : null,
                list ? Number(data, "minItems") : null, list ? Number(data, "maxItems") : null);
        }
    }

    // Keyed by the definition itself: a definition is not changed once made (a changed attribute is a new one).
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AttributeDefinition, Limits> LimitsOf = new();

    static void Check(AttributeDefinition definition, JsonElement element, Field field)
    {
        var limits = LimitsOf.GetValue(definition, Limits.Of);
        switch (limits.Type)
        {
            case "integer":
                Require(IsInteger(element), field, "must be an integer");
                CheckBounds(element.GetDouble(), limits, field);
                break;
            case "float":
                Require(element.ValueKind == JsonValueKind.Number, field, "must be a number");
                CheckBounds(element.GetDouble(), limits, field);
                break;
            case "string":
                Require(element.ValueKind == JsonValueKind.String, field, "must be a string");
                CheckString(element, limits, field);
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
                CheckList(element, limits, field, e => e.ValueKind == JsonValueKind.String, "a string");
                break;
            case "list_of_integers":
                CheckList(element, limits, field, IsInteger, "an integer");
                break;
            case "list_of_any":
                CheckList(element, limits, field, _ => true, "anything");
                break;
            case "list_of_submodels":
                CheckList(element, limits, field, e => e.ValueKind == JsonValueKind.Object, "an object");
                break;
            case "dict":
                Require(element.ValueKind == JsonValueKind.Object, field, "must be an object");
                break;
            default:
                throw BadRequest.Field(field.ToString(), $"attribute type '{limits.Type}' is unknown");
        }
    }

    static bool IsInteger(JsonElement element) => element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out _);

    static void CheckBounds(double number, Limits limits, Field field)
    {
        if (limits.Gt is { } gt && !(number > gt)) Fail(field, $"must be greater than {gt}");
        if (limits.Ge is { } ge && !(number >= ge)) Fail(field, $"must be at least {ge}");
        if (limits.Lt is { } lt && !(number < lt)) Fail(field, $"must be less than {lt}");
        if (limits.Le is { } le && !(number <= le)) Fail(field, $"must be at most {le}");
    }

    static void CheckString(JsonElement element, Limits limits, Field field)
    {
        if (limits is { MinLength: null, MaxLength: null, Regex: null })
            return;
        var text = element.GetString()!;
        if (limits.MinLength is { } min && !(text.Length >= min)) Fail(field, $"must have at least {min} characters");
        if (limits.MaxLength is { } max && !(text.Length <= max)) Fail(field, $"must have at most {max} characters");
        if (limits.Regex is { } pattern)
            Require(Regex.IsMatch(text, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100)), field, $"must match {pattern}");
    }

    static void CheckList(JsonElement element, Limits limits, Field field, Func<JsonElement, bool> isItem, string itemKind)
    {
        Require(element.ValueKind == JsonValueKind.Array, field, "must be a list");
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (!isItem(item))
                Fail(new Field(field.ToString(), index.ToString(CultureInfo.InvariantCulture)), $"must be {itemKind}");
            index++;
        }
        if (limits.MinItems is { } min && !(index >= min)) Fail(field, $"must have at least {min} items");
        if (limits.MaxItems is { } max && !(index <= max)) Fail(field, $"must have at most {max} items");
    }

    static double? Number(JsonObject data, string key) =>
        data[key] is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? JsonSerializer.SerializeToElement(value).GetDouble() : null;

    static void Require(bool condition, Field field, string message)
    {
        if (!condition)
            Fail(field, message);
    }

    static void Fail(Field field, string message) => throw BadRequest.Field(field.ToString(), message);
}
