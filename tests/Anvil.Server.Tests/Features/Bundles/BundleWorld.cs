using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary>
/// The bundle tests share one database and at most one production and one staging bundle: they run
/// one class at a time (this collection), and each test sets the flags it relies on.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BundlesCollection
{
    public const string Name = "bundles";
}

/// <summary>Small addons installed for bundle tests, and the calls the launcher and the official client make.</summary>
public static class BundleWorld
{
    /// <summary>Installs a plain addon under a unique name, with extra package.py lines; answers its name.</summary>
    public static async Task<string> AddonAsync(Api api, string prefix, string version = "1.0.0", string packageExtra = "", string? name = null)
    {
        name ??= Unique.Name(prefix);
        await InstallAsync(api, Zip(("package.py", PackagePy(name, version, packageExtra)), ("server/__init__.py", PlainServer)));
        return name;
    }

    /// <summary>The body the official client's <c>create_bundle</c> sends.</summary>
    public static JsonObject CreateBody(string name, JsonObject addons, string? installerVersion = "1.0.0") => new()
    {
        ["name"] = name,
        ["installerVersion"] = installerVersion,
        ["addons"] = addons,
    };

    public static async Task<JsonObject> BundleAsync(Api api, string name, bool archived = false) =>
        (await ListAsync(api, archived))["bundles"]!.AsArray().Single(b => b!["name"]!.GetValue<string>() == name)!.AsObject();

    public static async Task<JsonObject> ListAsync(Api api, bool archived = false) =>
        (await api.GetAsync(archived ? "/api/bundles?archived=true" : "/api/bundles")).AsObject();

    /// <summary>
    /// The launcher's pick (pipeline-clients §1.4): project bundles never serve as studio bundle; staging
    /// mode takes isStaging, dev mode isDev with activeUser == me, otherwise isProduction.
    /// </summary>
    public static JsonObject? StudioBundle(JsonObject bundles, string me, bool staging = false, bool dev = false) =>
        bundles["bundles"]!.AsArray().Select(b => b!.AsObject())
            .Where(b => !b["isProject"]!.GetValue<bool>())
            .FirstOrDefault(b => dev
                ? b["isDev"]!.GetValue<bool>() && b["activeUser"]?.GetValue<string>() == me
                : staging ? b["isStaging"]!.GetValue<bool>() : b["isProduction"]!.GetValue<bool>());
}
