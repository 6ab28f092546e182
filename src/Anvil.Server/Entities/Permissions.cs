using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Server.Entities;

/// <summary>How a block of the permission model is read.</summary>
public enum PermissionBlockKind
{
    /// <summary>Plain values (flags and 0/1/2 levels): combined groups take the highest.</summary>
    Values,

    /// <summary><c>{enabled, access_list}</c>: a folder whitelist when enabled.</summary>
    Folders,

    /// <summary><c>{enabled, &lt;list&gt;...}</c>: a name whitelist when enabled.</summary>
    Restriction,
}

/// <summary>
/// AYON's permission model (snake_case JSON, every block optional) and how the access groups a
/// user holds on a project combine into one set of rights.
/// </summary>
public static class Permissions
{
    public static readonly IReadOnlyDictionary<string, PermissionBlockKind> Blocks = new Dictionary<string, PermissionBlockKind>
    {
        ["studio"] = PermissionBlockKind.Values,
        ["project"] = PermissionBlockKind.Values,
        ["create"] = PermissionBlockKind.Folders,
        ["read"] = PermissionBlockKind.Folders,
        ["update"] = PermissionBlockKind.Folders,
        ["publish"] = PermissionBlockKind.Folders,
        ["delete"] = PermissionBlockKind.Folders,
        ["attrib_read"] = PermissionBlockKind.Restriction,
        ["attrib_write"] = PermissionBlockKind.Restriction,
        ["activities"] = PermissionBlockKind.Restriction,
        ["actions"] = PermissionBlockKind.Restriction,
        ["links"] = PermissionBlockKind.Restriction,
        ["endpoints"] = PermissionBlockKind.Restriction,
        ["addon_settings"] = PermissionBlockKind.Restriction,
        ["advanced"] = PermissionBlockKind.Values,
    };

    /// <summary>The values a group leaves out mean this.</summary>
    static readonly Dictionary<string, JsonObject> ValueDefaults = new()
    {
        ["studio"] = new() { ["create_projects"] = false, ["list_all_users"] = false },
        ["project"] = new() { ["anatomy"] = 0, ["access"] = 0, ["settings"] = 0 },
        ["advanced"] = new() { ["show_sibling_tasks"] = true },
    };

    /// <summary>
    /// The union of the groups' rights: a restriction block stays restricted only when every group
    /// restricts it, and then allows what any of them allows; values take the highest. (AYON keeps
    /// only the last group's <c>attrib_write.fields</c>; here they are united like every other list.)
    /// </summary>
    public static JsonObject Combine(IReadOnlyList<JsonObject> groups)
    {
        var combined = new JsonObject();
        foreach (var (block, kind) in Blocks)
        {
            var parts = groups.Select(g => g[block] as JsonObject ?? []).ToList();
            combined[block] = kind == PermissionBlockKind.Values ? CombineValues(block, parts) : CombineRestrictions(parts);
        }
        return combined;
    }

    /// <summary>What managers, admins and services hold: no restriction, every level at its highest.</summary>
    public static JsonObject Unrestricted()
    {
        var full = Combine([]);
        full["studio"] = new JsonObject { ["create_projects"] = true, ["list_all_users"] = true };
        full["project"] = new JsonObject { ["anatomy"] = 2, ["access"] = 2, ["settings"] = 2 };
        return full;
    }

    public static bool IsEnabled(JsonNode? block) =>
        block?["enabled"] is JsonValue enabled && enabled.GetValueKind() == JsonValueKind.True;

    static JsonObject CombineValues(string block, List<JsonObject> parts)
    {
        var result = (JsonObject)ValueDefaults[block].DeepClone();
        if (parts.Count == 0)
            return result;
        foreach (var (key, fallback) in ValueDefaults[block])
        {
            var values = parts.Select(p => p[key] ?? fallback).ToList();
            result[key] = fallback!.GetValueKind() is JsonValueKind.Number
                ? values.Max(v => v is JsonValue n && n.TryGetValue<int>(out var level) ? level : 0)
                : values.Any(v => v?.GetValueKind() == JsonValueKind.True);
        }
        return result;
    }

    static JsonObject CombineRestrictions(List<JsonObject> parts)
    {
        if (parts.Count == 0 || !parts.All(IsEnabled))
            return new JsonObject { ["enabled"] = false };
        var result = new JsonObject { ["enabled"] = true };
        foreach (var key in parts.SelectMany(p => p.Select(x => x.Key)).Where(k => k != "enabled").Distinct())
        {
            var items = new List<JsonNode>();
            foreach (var item in parts.SelectMany(p => p[key] as JsonArray ?? []).OfType<JsonNode>())
                if (!items.Any(i => JsonNode.DeepEquals(i, item)))
                    items.Add(item.DeepClone());
            result[key] = new JsonArray([.. items]);
        }
        return result;
    }
}
