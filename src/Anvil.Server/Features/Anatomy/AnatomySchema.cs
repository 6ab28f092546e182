using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Anatomy;

/// <summary>The JSON schema of the anatomy object, for editors (<c>GET /api/anatomy/schema</c>).</summary>
public static class AnatomySchema
{
    public static JsonObject Create()
    {
        static JsonObject Str(string title) => new() { ["type"] = "string", ["title"] = title };
        static JsonObject ListOf(string title, JsonObject item) => new() { ["type"] = "array", ["title"] = title, ["items"] = item };
        static JsonObject Obj(string title, JsonObject properties, params string[] required) => new()
        {
            ["type"] = "object",
            ["title"] = title,
            ["properties"] = properties,
            ["required"] = new JsonArray([.. required.Select(r => JsonValue.Create(r))]),
        };
        var states = new JsonArray([.. AnatomyItemKind.States.Select(s => JsonValue.Create(s))]);
        var entityTypes = new JsonArray([.. AnatomyItemKind.EntityTypes.Select(s => JsonValue.Create(s))]);
        JsonObject TypeItem(string title) => Obj(title, new JsonObject
        {
            ["name"] = Str("Name"),
            ["shortName"] = Str("Short name"),
            ["icon"] = Str("Icon"),
            ["color"] = Str("Color"),
            ["original_name"] = Str("Original name"),
        }, "name");
        var template = Obj("Template", new JsonObject { ["name"] = Str("Name"), ["directory"] = Str("Directory"), ["file"] = Str("File") }, "name");

        return Obj("Project anatomy", new JsonObject
        {
            ["entity_naming"] = Obj("Entity naming", new JsonObject { ["capitalization"] = Str("Capitalization"), ["separator"] = Str("Separator") }),
            ["roots"] = ListOf("Roots", Obj("Root", new JsonObject
            {
                ["name"] = Str("Name"),
                ["windows"] = Str("Windows"),
                ["linux"] = Str("Linux"),
                ["darwin"] = Str("macOS"),
            }, "name")),
            ["templates"] = Obj("Templates", new JsonObject
            {
                ["version_padding"] = new JsonObject { ["type"] = "integer" },
                ["version"] = Str("Version"),
                ["frame_padding"] = new JsonObject { ["type"] = "integer" },
                ["frame"] = Str("Frame"),
                ["work"] = ListOf("Work", template.DeepClone().AsObject()),
                ["publish"] = ListOf("Publish", template.DeepClone().AsObject()),
                ["hero"] = ListOf("Hero", template.DeepClone().AsObject()),
                ["delivery"] = ListOf("Delivery", template.DeepClone().AsObject()),
                ["staging"] = ListOf("Staging", template.DeepClone().AsObject()),
                ["others"] = ListOf("Others", template.DeepClone().AsObject()),
            }),
            ["attributes"] = new JsonObject { ["type"] = "object", ["title"] = "Project attributes (see /api/attributes, scope project)" },
            ["folder_types"] = ListOf("Folder types", TypeItem("Folder type")),
            ["task_types"] = ListOf("Task types", TypeItem("Task type")),
            ["link_types"] = ListOf("Link types", Obj("Link type", new JsonObject
            {
                ["link_type"] = Str("Link type"),
                ["input_type"] = new JsonObject { ["type"] = "string", ["enum"] = entityTypes.DeepClone() },
                ["output_type"] = new JsonObject { ["type"] = "string", ["enum"] = entityTypes.DeepClone() },
                ["color"] = Str("Color"),
                ["style"] = Str("Style"),
            }, "link_type", "input_type", "output_type")),
            ["statuses"] = ListOf("Statuses", Obj("Status", new JsonObject
            {
                ["name"] = Str("Name"),
                ["shortName"] = Str("Short name"),
                ["state"] = new JsonObject { ["type"] = "string", ["enum"] = states },
                ["icon"] = Str("Icon"),
                ["color"] = Str("Color"),
                ["scope"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string", ["enum"] = entityTypes.DeepClone() } },
                ["original_name"] = Str("Original name"),
            }, "name")),
            ["tags"] = ListOf("Tags", Obj("Tag", new JsonObject { ["name"] = Str("Name"), ["color"] = Str("Color"), ["original_name"] = Str("Original name") }, "name")),
            ["product_base_types"] = new JsonObject { ["type"] = "object", ["title"] = "Product base types" },
        });
    }
}
