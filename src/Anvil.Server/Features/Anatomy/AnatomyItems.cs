using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Anatomy;

/// <summary>A folder type, task type, status or tag: its name, the name it had (for renames) and the rest.</summary>
public sealed record AnatomyItem(string Name, string? OriginalName, JsonObject Data)
{
    /// <summary>The item as the API shows it: <c>{name, ...data}</c>.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["name"] = Name };
        foreach (var (key, value) in Data)
            json[key] = value?.DeepClone();
        return json;
    }
}

/// <summary>A link type; its name is <c>link_type|input_type|output_type</c>.</summary>
public sealed record LinkTypeItem(string LinkType, string InputType, string OutputType, JsonObject Data)
{
    public string Name => $"{LinkType}|{InputType}|{OutputType}";

    /// <summary>The project shape: <c>{name, linkType, inputType, outputType, data{color, style}}</c>.</summary>
    public JsonObject ToProjectJson() => new()
    {
        ["name"] = Name,
        ["linkType"] = LinkType,
        ["inputType"] = InputType,
        ["outputType"] = OutputType,
        ["data"] = Data.DeepClone(),
    };

    /// <summary>The anatomy shape: <c>{link_type, input_type, output_type, color, style}</c>.</summary>
    public JsonObject ToAnatomyJson()
    {
        var json = new JsonObject { ["link_type"] = LinkType, ["input_type"] = InputType, ["output_type"] = OutputType };
        foreach (var (key, value) in Data)
            json[key] = value?.DeepClone();
        return json;
    }
}

/// <summary>The kinds of anatomy list, with the keys each item carries and their defaults.</summary>
public sealed record AnatomyItemKind(string Singular, (string Key, JsonNode? Default)[] Keys)
{
    public static readonly string[] EntityTypes = ["folder", "product", "version", "representation", "task", "workfile"];
    public static readonly string[] States = ["not_started", "in_progress", "done", "blocked"];

    public static readonly AnatomyItemKind FolderType = new("folder type", [("shortName", ""), ("icon", "folder"), ("color", "#cccccc")]);
    public static readonly AnatomyItemKind TaskType = new("task type", [("shortName", ""), ("icon", "task_alt"), ("color", "#cccccc")]);
    public static readonly AnatomyItemKind Status = new("status",
        [("shortName", ""), ("state", "not_started"), ("icon", ""), ("color", "#cccccc"), ("scope", null)]);
    public static readonly AnatomyItemKind Tag = new("tag", [("color", "#cccccc")]);
}

/// <summary>Reading and checking anatomy lists, wherever they arrive (anatomy, preset, project PATCH).</summary>
public static partial class AnatomyItems
{
    /// <summary>
    /// Parses a list of items; every problem is a 400 naming <c>{field}.{index}.{key}</c>. Keys may be
    /// camelCase or snake_case; <c>original_name</c> marks a rename.
    /// </summary>
    public static List<AnatomyItem> Parse(JsonNode? node, AnatomyItemKind kind, string field, bool requireOne)
    {
        if (node is not JsonArray array)
            throw BadRequest.Field(field, $"a list of {kind.Singular} items is required");
        if (requireOne && array.Count == 0)
            throw BadRequest.Field(field, $"at least one {kind.Singular} is required");
        var items = new List<AnatomyItem>();
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{field}.{i}";
            if (array[i] is not JsonObject raw)
                throw BadRequest.Field(at, "must be an object");
            var name = Text(raw, "name", null, at) ?? throw BadRequest.Field(at + ".name", "a name is required");
            if (name.Trim().Length == 0 || name.Length > 100)
                throw BadRequest.Field(at + ".name", "a name is 1 to 100 characters");
            if (items.Any(item => string.Equals(item.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw BadRequest.Field(at + ".name", $"the {kind.Singular} '{name}' is listed twice");
            var original = Text(raw, "originalName", "original_name", at);

            var data = new JsonObject();
            foreach (var (key, fallback) in kind.Keys)
            {
                var value = Get(raw, key, SnakeCase(key));
                if (key == "scope")
                    data[key] = Scope(value, at + ".scope");
                else if (value is null)
                    data[key] = fallback?.DeepClone();
                else if (value.GetValueKind() != JsonValueKind.String)
                    throw BadRequest.Field($"{at}.{key}", "must be a string");
                else
                    data[key] = value.DeepClone();
            }
            if (data["color"] is JsonValue color && color.GetValue<string>() is { Length: > 0 } c && !ColorRegex().IsMatch(c))
                throw BadRequest.Field(at + ".color", "must be a colour like #1a2b3c");
            if (kind == AnatomyItemKind.Status && !AnatomyItemKind.States.Contains(data["state"]!.GetValue<string>()))
                throw BadRequest.Field(at + ".state", $"must be one of {string.Join(", ", AnatomyItemKind.States)}");
            items.Add(new AnatomyItem(name, original, data));
        }
        return items;
    }

    public static List<LinkTypeItem> ParseLinkTypes(JsonNode? node, string field)
    {
        if (node is not JsonArray array)
            throw BadRequest.Field(field, "a list of link types is required");
        var items = new List<LinkTypeItem>();
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{field}.{i}";
            if (array[i] is not JsonObject raw)
                throw BadRequest.Field(at, "must be an object");
            var parts = Text(raw, "name", null, at)?.Split('|');
            var linkType = Text(raw, "linkType", "link_type", at) ?? (parts?.Length == 3 ? parts[0] : null);
            var input = Text(raw, "inputType", "input_type", at) ?? (parts?.Length == 3 ? parts[1] : null);
            var output = Text(raw, "outputType", "output_type", at) ?? (parts?.Length == 3 ? parts[2] : null);
            if (!Names.IsEntityName(linkType))
                throw BadRequest.Field(at + ".linkType", "a link type name (letters, digits, '_', '.', '-') is required");
            if (input is null || !AnatomyItemKind.EntityTypes.Contains(input))
                throw BadRequest.Field(at + ".inputType", $"must be one of {string.Join(", ", AnatomyItemKind.EntityTypes)}");
            if (output is null || !AnatomyItemKind.EntityTypes.Contains(output))
                throw BadRequest.Field(at + ".outputType", $"must be one of {string.Join(", ", AnatomyItemKind.EntityTypes)}");
            var nested = raw["data"] as JsonObject;
            var data = new JsonObject
            {
                ["color"] = (nested?["color"] ?? raw["color"])?.DeepClone(),
                ["style"] = (nested?["style"] ?? raw["style"] ?? "solid").DeepClone(),
            };
            var item = new LinkTypeItem(linkType!, input, output, data);
            if (items.Any(other => other.Name == item.Name))
                throw BadRequest.Field(at, $"the link type '{item.Name}' is listed twice");
            items.Add(item);
        }
        return items;
    }

    static JsonArray Scope(JsonNode? value, string field)
    {
        if (value is null)
            return new JsonArray([.. AnatomyItemKind.EntityTypes.Select(t => JsonValue.Create(t))]);
        if (value is not JsonArray array)
            throw BadRequest.Field(field, "must be a list of entity types");
        var scope = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue v || !v.TryGetValue<string>(out var type) || !AnatomyItemKind.EntityTypes.Contains(type))
                throw BadRequest.Field($"{field}.{i}", $"must be one of {string.Join(", ", AnatomyItemKind.EntityTypes)}");
            scope.Add(type);
        }
        return scope;
    }

    public static JsonNode? Get(JsonObject json, string camel, string? snake) =>
        json[camel] ?? (snake is null ? null : json[snake]);

    static string? Text(JsonObject json, string camel, string? snake, string at)
    {
        var value = Get(json, camel, snake);
        if (value is null)
            return null;
        if (value.GetValueKind() != JsonValueKind.String)
            throw BadRequest.Field($"{at}.{camel}", "must be a string");
        return value.GetValue<string>();
    }

    static string SnakeCase(string key) => string.Concat(key.Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));

    [GeneratedRegex("^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
    private static partial Regex ColorRegex();
}
