using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Anatomy;

/// <summary>
/// A checked anatomy, in the form a project stores it: <see cref="Config"/> (roots, templates,
/// entityNaming, productBaseTypes), project attribute values and the anatomy lists.
/// </summary>
public sealed record AnatomyData
{
    public required JsonObject Config { get; init; }
    public required JsonObject Attrib { get; init; }
    public required List<AnatomyItem> FolderTypes { get; init; }
    public required List<AnatomyItem> TaskTypes { get; init; }
    public required List<AnatomyItem> Statuses { get; init; }
    public required List<AnatomyItem> Tags { get; init; }
    public required List<LinkTypeItem> LinkTypes { get; init; }
}

/// <summary>
/// The anatomy object (AYON's settings model: snake_case top-level keys) and its conversion to and
/// from project data. A missing top-level key takes the built-in value, as AYON's model defaults do.
/// </summary>
public static class Anatomy
{
    static readonly string BuiltinText = LoadBuiltin();

    static readonly string[] TemplateCategories = ["work", "publish", "hero", "delivery", "staging", "others"];
    static readonly string[] RequiredDefaultTemplate = ["work", "publish", "hero"];
    static readonly string[] Platforms = ["windows", "linux", "darwin"];

    /// <summary>A fresh copy of the built-in anatomy.</summary>
    public static JsonObject Builtin() => JsonNode.Parse(BuiltinText)!.AsObject();

    /// <summary>Checks an anatomy; every problem is a 400 naming <c>{field}.{key}...</c>.</summary>
    public static AnatomyData Parse(JsonObject input, string field, IReadOnlyList<AttributeDefinition> projectAttributes)
    {
        var prefix = field.Length == 0 ? "" : field + ".";
        var anatomy = Builtin();
        foreach (var (key, value) in input)
            if (value is not null && anatomy.ContainsKey(key) && key != "templates")
                anatomy[key] = value.DeepClone();
        if (input["templates"] is { } templatesInput)
        {
            if (templatesInput is not JsonObject given)
                throw BadRequest.Field(prefix + "templates", "must be an object");
            var templates = anatomy["templates"]!.AsObject();
            foreach (var (key, value) in given)
                templates[key] = value?.DeepClone();
        }

        if (anatomy["attributes"] is not JsonObject attributes)
            throw BadRequest.Field(prefix + "attributes", "must be an object of project attribute values");
        if (anatomy["entity_naming"] is not JsonObject entityNaming)
            throw BadRequest.Field(prefix + "entity_naming", "must be an object");
        if (anatomy["product_base_types"] is not JsonObject productBaseTypes)
            throw BadRequest.Field(prefix + "product_base_types", "must be an object");

        return new AnatomyData
        {
            Config = new JsonObject
            {
                ["roots"] = Roots(anatomy["roots"], prefix + "roots"),
                ["templates"] = Templates(anatomy["templates"]!.AsObject(), prefix + "templates"),
                ["entityNaming"] = entityNaming.DeepClone(),
                ["productBaseTypes"] = productBaseTypes.DeepClone(),
            },
            Attrib = AttributeValues.Validate(projectAttributes, attributes, prefix + "attributes", keepNulls: false),
            FolderTypes = AnatomyItems.Parse(anatomy["folder_types"], AnatomyItemKind.FolderType, prefix + "folder_types", requireOne: true),
            TaskTypes = AnatomyItems.Parse(anatomy["task_types"], AnatomyItemKind.TaskType, prefix + "task_types", requireOne: true),
            Statuses = AnatomyItems.Parse(anatomy["statuses"], AnatomyItemKind.Status, prefix + "statuses", requireOne: true),
            Tags = AnatomyItems.Parse(anatomy["tags"], AnatomyItemKind.Tag, prefix + "tags", requireOne: false),
            LinkTypes = AnatomyItems.ParseLinkTypes(anatomy["link_types"], prefix + "link_types"),
        };
    }

    /// <summary>The anatomy object of checked data (what presets store and project anatomy returns).</summary>
    public static JsonObject ToJson(AnatomyData data)
    {
        var config = data.Config;
        var roots = new JsonArray();
        if (config["roots"] is JsonObject rootConfig)
            foreach (var (name, paths) in rootConfig)
            {
                var root = new JsonObject { ["name"] = name };
                foreach (var platform in Platforms)
                    root[platform] = paths?[platform]?.DeepClone() ?? "";
                roots.Add(root);
            }
        var templates = new JsonObject();
        if (config["templates"] is JsonObject templateConfig)
            foreach (var (key, value) in templateConfig)
            {
                if (key == "common" && value is JsonObject common)
                {
                    foreach (var (commonKey, commonValue) in common)
                        templates[commonKey] = commonValue?.DeepClone();
                    continue;
                }
                var list = new JsonArray();
                if (value is JsonObject category)
                    foreach (var (name, template) in category)
                    {
                        var item = new JsonObject { ["name"] = name };
                        if (template is JsonObject fields)
                            foreach (var (fieldKey, fieldValue) in fields)
                                item[fieldKey] = fieldValue?.DeepClone();
                        list.Add(item);
                    }
                templates[key] = list;
            }
        return new JsonObject
        {
            ["entity_naming"] = config["entityNaming"]?.DeepClone() ?? Builtin()["entity_naming"]!.DeepClone(),
            ["roots"] = roots,
            ["templates"] = templates,
            ["attributes"] = data.Attrib.DeepClone(),
            ["folder_types"] = new JsonArray([.. data.FolderTypes.Select(i => i.ToJson())]),
            ["task_types"] = new JsonArray([.. data.TaskTypes.Select(i => i.ToJson())]),
            ["link_types"] = new JsonArray([.. data.LinkTypes.Select(i => i.ToAnatomyJson())]),
            ["statuses"] = new JsonArray([.. data.Statuses.Select(i => i.ToJson())]),
            ["tags"] = new JsonArray([.. data.Tags.Select(i => i.ToJson())]),
            ["product_base_types"] = config["productBaseTypes"]?.DeepClone() ?? Builtin()["product_base_types"]!.DeepClone(),
        };
    }

    /// <summary>Roots list → <c>{name: {windows, linux, darwin}}</c>.</summary>
    static JsonObject Roots(JsonNode? node, string field)
    {
        if (node is not JsonArray array)
            throw BadRequest.Field(field, "a list of roots is required");
        var roots = new JsonObject();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject root || root["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name) || !Names.IsEntityName(name))
                throw BadRequest.Field($"{field}.{i}.name", "every root needs a name (letters, digits, '_', '.', '-')");
            if (roots.Any(r => string.Equals(r.Key, name, StringComparison.OrdinalIgnoreCase)))
                throw BadRequest.Field($"{field}.{i}.name", $"the root '{name}' is listed twice");
            var paths = new JsonObject();
            foreach (var platform in Platforms)
            {
                var path = root[platform];
                if (path is not null && path.GetValueKind() != JsonValueKind.String)
                    throw BadRequest.Field($"{field}.{i}.{platform}", "must be a path");
                paths[platform] = path?.DeepClone() ?? "";
            }
            roots[name] = paths;
        }
        return roots;
    }

    /// <summary>Template lists → <c>{common{...}, work{name: {...}}, ...}</c>; work, publish and hero need a <c>default</c>.</summary>
    static JsonObject Templates(JsonObject templates, string field)
    {
        var common = new JsonObject();
        var config = new JsonObject { ["common"] = common };
        foreach (var (key, value) in templates)
        {
            if (value is not JsonArray list)
            {
                if (TemplateCategories.Contains(key))
                    throw BadRequest.Field($"{field}.{key}", "must be a list of templates");
                common[key] = value?.DeepClone();
                continue;
            }
            var category = new JsonObject();
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject template || template["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name) || !Names.IsEntityName(name))
                    throw BadRequest.Field($"{field}.{key}.{i}.name", "every template needs a name (letters, digits, '_', '.', '-')");
                if (category.ContainsKey(name))
                    throw BadRequest.Field($"{field}.{key}.{i}.name", $"the template '{name}' is listed twice");
                var fields = new JsonObject();
                foreach (var (fieldKey, fieldValue) in template)
                    if (fieldKey != "name")
                        fields[fieldKey] = fieldValue?.DeepClone();
                category[name] = fields;
            }
            config[key] = category;
        }
        foreach (var key in RequiredDefaultTemplate)
            if (config[key] is not JsonObject category || !category.ContainsKey("default"))
                throw BadRequest.Field($"{field}.{key}", "must contain a template named 'default'");
        return config;
    }

    static string LoadBuiltin()
    {
        using var stream = typeof(Anatomy).Assembly.GetManifestResourceStream("anatomy/builtin-anatomy.json")
            ?? throw new InvalidOperationException("The embedded built-in anatomy is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
