using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Anvil.Server.Hosting;

/// <summary>
/// AYON's wire format: camelCase keys, nulls omitted, ids as 32 lower-case hex characters,
/// timestamps as ISO-8601 with offset and microseconds.
/// </summary>
public static class AyonJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// Builds the lazily parsed parts of a node now and returns it: a <see cref="JsonNode"/> read from a
    /// database parses its children on first access, which is not safe from several threads at once.
    /// Settle a node before a cache shares it between requests (which then only read it).
    /// </summary>
    public static T Settle<T>(T node) where T : JsonNode?
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                    Settle(value);
                break;
            case JsonArray a:
                foreach (var item in a)
                    Settle(item);
                break;
        }
        return node;
    }

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.PropertyNameCaseInsensitive = true;
        options.AllowTrailingCommas = false;
        ScalarCoercion.Configure(options);
        options.Converters.Add(new HexGuidConverter());
        options.Converters.Add(new TimestampConverter());
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    /// <summary>
    /// The element a node still stands for as it was parsed (a request body bound to nodes), or null
    /// once it was built in code, or changed or walked as nodes since: what lets a value written back
    /// as it came be sent as its own bytes (<see cref="ColumnBytes"/>) or checked on its own JSON, not
    /// serialised again.
    /// </summary>
    public static JsonElement? AsRead(JsonNode? node) => node is null || !ElementsReadable ? null : UnderlyingElement(node);

    // System.Text.Json keeps the element until a node is first walked or changed, and says so only
    // internally. Should a runtime rename it, every node reads as changed (serialised, as before), and
    // the test `json_as_read` fails.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_UnderlyingElement")]
    static extern JsonElement? UnderlyingElement(JsonNode node);

    static readonly bool ElementsReadable = ProbeUnderlyingElement();

    static bool ProbeUnderlyingElement()
    {
        try
        {
            return UnderlyingElement(JsonNode.Parse("{}")!) is not null;
        }
        catch (MissingMethodException)
        {
            return false;
        }
    }

    /// <summary>
    /// A node's JSON as UTF-8: its bytes as read when it is unchanged (<see cref="AsRead"/>), else
    /// serialised. For JSON columns (jsonb), where the two read back the same.
    /// </summary>
    public static byte[] ColumnBytes(JsonNode node) =>
        AsRead(node) is { } read ? JsonMarshal.GetRawUtf8Value(read).ToArray() : JsonSerializer.SerializeToUtf8Bytes(node);

    /// <summary>
    /// A JSON number as a JsonElement, whether the node was parsed from a request or built in
    /// code (a node holding a C# int does not convert to double or JsonElement by itself).
    /// </summary>
    public static JsonElement? Number(JsonNode? node) =>
        node?.GetValueKind() != JsonValueKind.Number ? null
        // A value read from a request is backed by its element already: no document is made for it.
        : node is JsonValue value && value.TryGetValue<JsonElement>(out var element) ? element : JsonSerializer.SerializeToElement(node);

    /// <summary>
    /// AYON's merge of a patch into a stored object (<c>data</c>, project <c>attrib</c>/<c>config</c>):
    /// one level deep, a null value deletes the key, anything else replaces it. Keys <paramref name="skip"/>
    /// says yes to are left as they are. The stored object is not changed.
    /// </summary>
    public static JsonObject MergeOneLevel(JsonObject current, JsonObject patch, Func<string, bool>? skip = null)
    {
        var merged = (JsonObject)current.DeepClone();
        foreach (var (key, value) in patch)
        {
            if (skip?.Invoke(key) == true)
                continue;
            if (value is null)
                merged.Remove(key);
            else
                merged[key] = value.DeepClone();
        }
        return merged;
    }

    /// <summary>The node's string, or null when it is absent or not a string.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>Ids travel as 32 lower-case hex characters; dashed input is accepted and normalised.</summary>
public sealed class HexGuidConverter : JsonConverter<Guid>
{
    public override Guid Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (text is null || !Guid.TryParse(text, out var id))
            throw new JsonException("Expected a 32-character hexadecimal id");
        return id;
    }

    public override void Write(Utf8JsonWriter writer, Guid value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("N"));
}

/// <summary>ISO-8601 with offset and six fractional digits, as AYON writes timestamps.</summary>
public sealed class TimestampConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString() ?? throw new JsonException("Expected a timestamp"), CultureInfo.InvariantCulture);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Text(value));

    /// <summary>
    /// The wire text of a timestamp: <see cref="Format"/> of its UTC time, written digit by digit (a custom format
    /// string is parsed at every call, and every row of a GraphQL page or an event list has two timestamps).
    /// </summary>
    public static string Text(DateTimeOffset value) => string.Create(32, value.UtcDateTime, static (text, time) =>
    {
        Digits(text[..4], time.Year);
        text[4] = '-';
        Digits(text.Slice(5, 2), time.Month);
        text[7] = '-';
        Digits(text.Slice(8, 2), time.Day);
        text[10] = 'T';
        Digits(text.Slice(11, 2), time.Hour);
        text[13] = ':';
        Digits(text.Slice(14, 2), time.Minute);
        text[16] = ':';
        Digits(text.Slice(17, 2), time.Second);
        text[19] = '.';
        Digits(text.Slice(20, 6), (int)(time.Ticks % TimeSpan.TicksPerSecond / (TimeSpan.TicksPerMillisecond / 1000)));
        "+00:00".CopyTo(text[26..]);
    });

    /// <summary>A UTC <see cref="DateTime"/> (as PostgreSQL's timestamptz reads) as <see cref="Text(DateTimeOffset)"/>.</summary>
    public static string Text(DateTime utc) => Text(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    static void Digits(Span<char> text, int value)
    {
        for (var i = text.Length - 1; i >= 0; i--)
        {
            text[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }
}
