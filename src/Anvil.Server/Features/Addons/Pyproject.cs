using System.Globalization;
using System.Text.Json.Nodes;
using Tomlyn;
using Tomlyn.Model;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// <c>private/pyproject.toml</c> as the JSON the catalogue shows as <c>clientPyproject</c>: tables become
/// objects, arrays arrays, dates and times their TOML text.
/// </summary>
public static class Pyproject
{
    /// <summary>The document as JSON; <see cref="TomlException"/> when it is not TOML.</summary>
    public static JsonObject Parse(string text) => Table(TomlSerializer.Deserialize<TomlTable>(text) ?? []);

    static JsonObject Table(TomlTable table) => new(table.Select(pair => KeyValuePair.Create(pair.Key, Value(pair.Value))));

    static JsonNode? Value(object? value) => value switch
    {
        TomlTable table => Table(table),
        TomlTableArray tables => new JsonArray([.. tables.Select(t => (JsonNode?)Table(t))]),
        TomlArray array => new JsonArray([.. array.Select(Value)]),
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        long integer => JsonValue.Create(integer),
        double real when double.IsFinite(real) => JsonValue.Create(real),
        null => null,
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
