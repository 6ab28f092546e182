using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Settings;

/// <summary>
/// AYON's layering of settings, natively, driven by the field tree of the addon's exported JSON schema:
/// a property whose schema is a model (<c>$ref</c> / <c>allOf</c> to a definition with properties, or
/// inline properties) is a branch and recurses; anything else — strings, numbers, lists, dicts, colours —
/// is a leaf and is replaced whole. A model marked <c>isgroup</c> is a leaf too: it is stored whole.
/// </summary>
public static class SettingsTree
{
    /// <summary>The model behind a property schema, or null when the property is a leaf.</summary>
    public static JsonObject? Branch(JsonObject root, JsonNode? property)
    {
        var model = ModelOf(root, property);
        return model is null || model["isgroup"]?.GetValueKind() == System.Text.Json.JsonValueKind.True ? null : model;
    }

    /// <summary>The model (an object schema with properties) a property refers to, group or not.</summary>
    public static JsonObject? ModelOf(JsonObject root, JsonNode? property)
    {
        if (property is not JsonObject p)
            return null;
        if (p["properties"] is JsonObject)
            return p;
        if (p["$ref"] is JsonValue r)
            return Definition(root, r.GetValue<string>());
        if (p["allOf"] is JsonArray { Count: 1 } all && all[0] is JsonObject first && first["$ref"] is JsonValue r2)
            return Definition(root, r2.GetValue<string>());
        return null;
    }

    static JsonObject? Definition(JsonObject root, string reference)
    {
        const string prefix = "#/definitions/";
        if (!reference.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        return root["definitions"]?[reference[prefix.Length..]] is JsonObject d && d["properties"] is JsonObject ? d : null;
    }

    static JsonObject Properties(JsonObject model) => model["properties"] as JsonObject ?? [];

    /// <summary>A copy of <paramref name="target"/> with <paramref name="overrides"/> applied; keys the model does not know are ignored.</summary>
    public static JsonObject Apply(JsonObject root, JsonObject model, JsonObject target, JsonObject? overrides)
    {
        var result = (JsonObject)target.DeepClone();
        if (overrides is not null)
            ApplyInPlace(root, model, result, overrides);
        return result;
    }

    static void ApplyInPlace(JsonObject root, JsonObject model, JsonObject target, JsonObject overrides)
    {
        var properties = Properties(model);
        foreach (var (key, value) in overrides)
        {
            if (!properties.TryGetPropertyValue(key, out var property))
                continue;
            if (Branch(root, property) is { } branch && value is JsonObject sub)
            {
                if (target[key] is not JsonObject inner)
                    target[key] = inner = [];
                ApplyInPlace(root, branch, inner, sub);
            }
            else
                target[key] = value?.DeepClone();
        }
    }

    /// <summary>
    /// The sparse override that turns <paramref name="below"/> into <paramref name="full"/>: a leaf is kept
    /// when it differs from the level below or was already overridden (<paramref name="existing"/>: pinned),
    /// unless the payload lists it in <c>__unpinned_fields__</c>; <c>__pinned_fields__</c> force it in.
    /// </summary>
    /// <paramref name="hints"/> is the payload as sent, at the same place (it carries the pin lists).
    public static JsonObject Extract(JsonObject root, JsonObject model, JsonObject below, JsonObject full, JsonObject? existing, JsonObject? hints = null)
    {
        var result = new JsonObject();
        var pinned = Names(hints?["__pinned_fields__"]);
        var unpinned = Names(hints?["__unpinned_fields__"]);
        foreach (var (key, property) in Properties(model))
        {
            if (!full.TryGetPropertyValue(key, out var value))
                continue;
            var old = existing?[key];
            var lower = below[key];
            if (Branch(root, property) is { } branch && value is JsonObject sub)
            {
                var inner = Extract(root, branch, lower as JsonObject ?? [], sub, unpinned.Contains(key) ? null : old as JsonObject, hints?[key] as JsonObject);
                if (pinned.Contains(key))
                    inner = (JsonObject)sub.DeepClone();
                if (inner.Count > 0)
                    result[key] = inner;
                continue;
            }
            var keep = pinned.Contains(key) || !JsonNode.DeepEquals(value, lower) || (old is not null && !unpinned.Contains(key));
            if (keep)
                result[key] = value?.DeepClone();
        }
        return result;
    }

    static HashSet<string> Names(JsonNode? node) =>
        node is JsonArray a ? [.. a.OfType<JsonValue>().Select(v => v.ToString())] : [];

    /// <summary>The overrides without the value at <paramref name="path"/> (empty branches pruned).</summary>
    public static JsonObject Delete(JsonObject overrides, IReadOnlyList<string> path)
    {
        var result = (JsonObject)overrides.DeepClone();
        DeleteIn(result, path, 0);
        return result;
    }

    static void DeleteIn(JsonObject node, IReadOnlyList<string> path, int index)
    {
        if (path.Count == 0)
        {
            node.Clear();
            return;
        }
        var key = path[index];
        if (index == path.Count - 1)
        {
            node.Remove(key);
            return;
        }
        if (node[key] is JsonObject child)
        {
            DeleteIn(child, path, index + 1);
            if (child.Count == 0)
                node.Remove(key);
        }
    }

    /// <summary>
    /// The overrides with the value at <paramref name="path"/> pinned to its current effective value
    /// (a branch is pinned leaf by leaf, a group whole); null when the path is not a field.
    /// </summary>
    public static JsonObject? Pin(JsonObject root, JsonObject model, JsonObject overrides, JsonObject effective, IReadOnlyList<string> path)
    {
        var result = (JsonObject)overrides.DeepClone();
        var target = result;
        var current = model;
        JsonNode? value = effective;
        for (var i = 0; i < path.Count; i++)
        {
            var key = path[i];
            var property = Properties(current)[key];
            if (property is null || value is not JsonObject valueObject)
                return null;
            value = valueObject[key];
            var branch = Branch(root, property);
            if (i == path.Count - 1)
            {
                target[key] = branch is not null && value is JsonObject v ? PinAll(root, branch, target[key] as JsonObject, v) : value?.DeepClone();
                return result;
            }
            if (branch is null)
                return null;
            if (target[key] is not JsonObject next)
                target[key] = next = [];
            target = next;
            current = branch;
        }
        return PinAll(root, model, result, effective);
    }

    static JsonObject PinAll(JsonObject root, JsonObject model, JsonObject? overrides, JsonObject effective)
    {
        var result = overrides is null ? [] : (JsonObject)overrides.DeepClone();
        foreach (var (key, property) in Properties(model))
        {
            if (!effective.TryGetPropertyValue(key, out var value))
                continue;
            result[key] = Branch(root, property) is { } b && value is JsonObject v
                ? PinAll(root, b, result[key] as JsonObject, v)
                : value?.DeepClone();
        }
        return result;
    }

    /// <summary>
    /// AYON-style override metadata for the editor: one entry per field path, keyed <c>root_a_b</c>, with the
    /// level that sets the value (<c>default</c>, <c>studio</c>, <c>project</c>, <c>site</c>), whether it is
    /// inside a group, and the value.
    /// </summary>
    public static JsonObject Metadata(JsonObject root, JsonObject model, JsonObject effective, IReadOnlyList<(string Level, JsonObject? Overrides)> levels)
    {
        var result = new JsonObject();
        Walk(root, model, effective, levels.Select(l => (l.Level, (JsonNode?)l.Overrides)).ToList(), [], false, result);
        return result;
    }

    static void Walk(JsonObject root, JsonObject model, JsonObject effective, List<(string Level, JsonNode? Node)> levels, List<string> path,
        bool inGroup, JsonObject result)
    {
        foreach (var (key, property) in Properties(model))
        {
            if (!effective.TryGetPropertyValue(key, out var value))
                continue;
            path.Add(key);
            var sub = levels.Select(l => (l.Level, l.Node is JsonObject o ? o[key] : null)).ToList();
            var level = "default";
            foreach (var (name, node) in sub)
                if (node is not null)
                    level = name;
            var id = "root_" + string.Join('_', path);
            var entry = new JsonObject
            {
                ["path"] = new JsonArray([.. path.Select(p => (JsonNode?)p)]),
                ["type"] = level,
                ["level"] = level,
                ["inGroup"] = inGroup,
            };
            var model2 = ModelOf(root, property);
            if (model2 is not null && value is JsonObject v)
            {
                result[id] = entry;
                Walk(root, model2, v, sub, path, inGroup || Branch(root, property) is null, result);
            }
            else
            {
                entry["value"] = value?.DeepClone();
                result[id] = entry;
            }
            path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>True when the model has a top-level field whose scope names <paramref name="scope"/>.</summary>
    public static bool HasScope(JsonObject? schema, string scope) =>
        schema?["properties"] is JsonObject properties &&
        properties.Any(p => p.Value?["scope"] is JsonArray s ? s.Any(x => x?.ToString() == scope) : scope is "studio" or "project");
}
