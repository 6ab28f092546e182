using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Anvil.Server.Hosting;

/// <summary>
/// Request records take scalars as AYON's pydantic models do, and nothing looser: a numeric string
/// where a number is expected (<c>"1"</c> → 1; <c>JsonNumberHandling.AllowReadingFromString</c>, set
/// with these in <see cref="AyonJson.Configure"/>), a number where a string is expected (1 → "1"),
/// and <c>"true"</c>/<c>"false"</c> where a boolean is expected. Anything else stays a 400.
/// </summary>
public static class ScalarCoercion
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.NumberHandling = JsonNumberHandling.AllowReadingFromString;
        options.Converters.Add(new StringConverter());
        options.Converters.Add(new BooleanConverter());
    }

    /// <summary>A string, or a number read as its literal text.</summary>
    public sealed class StringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            _ => throw new JsonException("Expected a string"),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>A boolean, or the string <c>"true"</c> or <c>"false"</c> (any case, as pydantic).</summary>
    public sealed class BooleanConverter : JsonConverter<bool>
    {
        public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.String when string.Equals(reader.GetString(), "true", StringComparison.OrdinalIgnoreCase) => true,
            JsonTokenType.String when string.Equals(reader.GetString(), "false", StringComparison.OrdinalIgnoreCase) => false,
            _ => throw new JsonException("Expected a boolean"),
        };

        public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
    }
}
