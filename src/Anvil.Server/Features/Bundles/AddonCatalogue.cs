using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Bundles;

/// <summary>
/// <c>GET /api/addons</c> in AYON's shape, built from the stored rows and exports only (never from
/// Python), and kept as serialized bytes per (details, admin) until an install or delete drops it on
/// every instance. It lives with the bundles because it shows each addon's production and staging
/// versions: bundles build on addons, never the other way round.
/// </summary>
public sealed class AddonCatalogue
{

    readonly AddonStore _store;
    readonly BundleStore _bundles;
    readonly SharedCache<PreparedJson> _cache;

    public AddonCatalogue(AddonStore store, BundleStore bundles, CacheInvalidation invalidation, AyonOptions options)
    {
        _store = store;
        _bundles = bundles;
        _cache = new SharedCache<PreparedJson>(invalidation, AddonStore.CacheName, TimeSpan.FromSeconds(options.CacheTtl));
    }

    /// <summary>The catalogue, serialized.</summary>
    public async ValueTask<PreparedJson> GetAsync(bool details, bool admin, CancellationToken cancellationToken)
    {
        var key = (details, admin) switch
        {
            (true, true) => "details-admin",
            (true, false) => "details",
            (false, true) => "admin",
            _ => "plain",
        };
        if (_cache.TryGet(key, out var cached))
            return cached;
        var generation = _cache.Generation;
        var rows = await _store.ListAsync(cancellationToken);
        var production = await _bundles.ForVariantAsync("production", cancellationToken);
        var staging = await _bundles.ForVariantAsync("staging", cancellationToken);
        var prepared = new PreparedJson(Build(rows, details, admin, production, staging));
        _cache.Store(key, prepared, generation);
        return prepared;
    }

    /// <summary>The catalogue; productionVersion and stagingVersion are the versions in the production and staging bundles.</summary>
    public static JsonObject Build(IReadOnlyList<AddonVersionRow> rows, bool details, bool admin, BundleRecord? production = null, BundleRecord? staging = null)
    {
        var addons = new JsonArray();
        foreach (var group in rows.GroupBy(r => r.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var versions = group.OrderBy(r => r.Version, SemVerComparer.Instance).ToList();
            var latest = versions[^1];
            var system = versions.Any(v => Bool(v.Export?["addon"]?["system"]));
            if (system && !admin)
                continue;
            var versionMap = new JsonObject();
            foreach (var v in versions)
                versionMap[v.Version] = Version(v, details);
            var latestAddon = latest.Export?["addon"];
            addons.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["title"] = AyonJson.Text(latestAddon?["title"]) ?? AyonJson.Text(latest.Metadata["title"]) ?? group.Key,
                ["description"] = AyonJson.Text(latestAddon?["description"]) ?? AyonJson.Text(latest.Metadata["description"]) ?? "",
                ["productionVersion"] = production?.Addons[group.Key]?.DeepClone(),
                ["stagingVersion"] = staging?.Addons[group.Key]?.DeepClone(),
                ["addonType"] = AyonJson.Text(latestAddon?["addonType"]) ?? AyonJson.Text(latest.Metadata["addon_type"]) ?? "server",
                ["system"] = system,
                ["projectCanOverrideAddonVersion"] = CanOverride(latest),
                ["versions"] = versionMap,
            });
        }
        return new JsonObject { ["addons"] = addons };
    }

    static JsonObject Version(AddonVersionRow v, bool details)
    {
        var addon = v.Export?["addon"];
        var item = new JsonObject
        {
            ["hasSettings"] = Bool(addon?["hasSettings"]),
            ["hasSiteSettings"] = Bool(addon?["hasSiteSettings"]),
            ["frontendScopes"] = addon?["frontendScopes"] is JsonObject scopes ? scopes.DeepClone() : new JsonObject(),
            ["projectCanOverrideAddonVersion"] = CanOverride(v),
            ["isBroken"] = v.IsBroken,
            ["reason"] = v.IsBroken ? v.Reason : null,
        };
        if (details)
        {
            item["clientPyproject"] = v.ClientPyproject?.DeepClone();
            item["clientSourceInfo"] = v.HasClientZip ? new JsonArray(new JsonObject { ["type"] = "server", ["filename"] = "client.zip" }) : null;
            item["services"] = v.Metadata["services"] is JsonObject services ? services.DeepClone() : new JsonObject();
        }
        return item;
    }

    /// <summary>Whether a project bundle may set this version (package.py or the addon class says so).</summary>
    public static bool CanOverride(AddonVersionRow v) =>
        Bool(v.Metadata["project_can_override_addon_version"]) || Bool(v.Export?["addon"]?["projectCanOverrideAddonVersion"]);

    static bool Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) && b;
}
