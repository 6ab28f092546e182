using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// <c>GET /api/addons</c> in AYON's shape, built from the stored rows and exports only (never from
/// Python), and kept as serialized bytes per (details, admin) until an install or delete drops it on
/// every instance.
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

/// <summary>Orders versions by semantic versioning (<c>1.10.0</c> after <c>1.9.0</c>; a pre-release before its release); text that is not semver sorts by ordinal text.</summary>
public sealed class SemVerComparer : IComparer<string>
{
    public static SemVerComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
            return string.CompareOrdinal(x, y);
        var (coreX, preX) = Split(x);
        var (coreY, preY) = Split(y);
        var partsX = coreX.Split('.');
        var partsY = coreY.Split('.');
        for (var i = 0; i < Math.Max(partsX.Length, partsY.Length); i++)
        {
            var c = Identifier(i < partsX.Length ? partsX[i] : "0", i < partsY.Length ? partsY[i] : "0");
            if (c != 0)
                return c;
        }
        if (preX.Length == 0 || preY.Length == 0)
            return preY.Length.CompareTo(preX.Length) is var p && p != 0 ? p : string.CompareOrdinal(x, y);
        var idsX = preX.Split('.');
        var idsY = preY.Split('.');
        for (var i = 0; i < Math.Min(idsX.Length, idsY.Length); i++)
        {
            var c = Identifier(idsX[i], idsY[i]);
            if (c != 0)
                return c;
        }
        return idsX.Length != idsY.Length ? idsX.Length.CompareTo(idsY.Length) : string.CompareOrdinal(x, y);
    }

    static (string Core, string Pre) Split(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
            version = version[..plus];
        var dash = version.IndexOf('-', StringComparison.Ordinal);
        return dash >= 0 ? (version[..dash], version[(dash + 1)..]) : (version, "");
    }

    static int Identifier(string a, string b)
    {
        var numericA = long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var na);
        var numericB = long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var nb);
        return (numericA, numericB) switch
        {
            (true, true) => na.CompareTo(nb),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(a, b),
        };
    }
}
