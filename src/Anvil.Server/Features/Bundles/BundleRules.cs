using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Info;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Bundles;

/// <summary>One problem the compatibility check found: which addon of the bundle (null: the bundle itself) and why.</summary>
public sealed record BundleIssue(string Severity, string? Addon, string Message)
{
    public JsonObject ToJson() => new() { ["severity"] = Severity, ["addon"] = Addon, ["message"] = Message };
}

/// <summary>
/// What a bundle body may hold (docs/bundles.md): the shape of each field, 400 naming the field
/// otherwise, and the compatibility check of its addon versions against each other, the server and
/// the launcher version.
/// </summary>
public static partial class BundleRules
{
    public static readonly string[] Platforms = ["windows", "linux", "darwin"];

    const int MaxNameLength = 64;

    /// <summary>A bundle from a <c>POST /api/bundles</c> body (flags and everything), shape-checked.</summary>
    public static BundleRecord Parse(JsonObject body)
    {
        var name = AyonJson.Text(body["name"]) ?? throw BadRequest.Field("name", "a bundle name is required");
        if (name.Length > MaxNameLength || !Names.IsEntityName(name))
            throw BadRequest.Field("name", $"must match {Names.Entity} and be at most {MaxNameLength} characters");
        var empty = new BundleRecord(name, [], null, [], [], false, false, false, false, false, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        return Apply(empty, body, creating: true);
    }

    /// <summary>The bundle with the fields of a body (POST or PATCH) applied; fields left out stay as they are.</summary>
    public static BundleRecord Apply(BundleRecord bundle, JsonObject body, bool creating)
    {
        // Fields other than these are ignored, as AYON's models do (the web UI sends whole bundles back).
        if (!creating && AyonJson.Text(body["name"]) is { } renamed && renamed != bundle.Name)
            throw BadRequest.Field("name", "a bundle cannot be renamed");
        var addons = bundle.Addons;
        if (body.ContainsKey("addons"))
        {
            var given = body["addons"] as JsonObject ?? throw BadRequest.Field("addons", "must be an object {addon name: version or null}");
            addons = creating ? [] : (JsonObject)bundle.Addons.DeepClone();
            foreach (var (addon, version) in given)
            {
                if (version is not null && !(version is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0))
                    throw BadRequest.Field($"addons.{addon}", "must be a version (text) or null");
                addons[addon] = version?.DeepClone();
            }
        }
        var installer = bundle.InstallerVersion;
        if (body.ContainsKey("installerVersion"))
        {
            installer = body["installerVersion"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<string>(out var s) && VersionRegex().IsMatch(s) => s,
                _ => throw BadRequest.Field("installerVersion", "must be a version such as 1.0.0, or null"),
            };
        }
        var packages = bundle.DependencyPackages;
        if (body.ContainsKey("dependencyPackages"))
        {
            var given = body["dependencyPackages"] as JsonObject ?? throw BadRequest.Field("dependencyPackages", "must be an object {platform: filename or null}");
            // Only the platforms given change (the official client's update_bundle sends one at a time).
            packages = creating ? [] : (JsonObject)bundle.DependencyPackages.DeepClone();
            foreach (var (platform, file) in given)
            {
                if (!Platforms.Contains(platform))
                    throw BadRequest.Field($"dependencyPackages.{platform}", "the platform must be windows, linux or darwin");
                if (file is not null && !(file is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0))
                    throw BadRequest.Field($"dependencyPackages.{platform}", "must be a file name or null");
                packages[platform] = file?.DeepClone();
            }
        }
        var development = bundle.AddonDevelopment;
        if (body.ContainsKey("addonDevelopment"))
        {
            var given = body["addonDevelopment"] as JsonObject ?? throw BadRequest.Field("addonDevelopment", "must be an object {addon name: {enabled, path}}");
            development = [];
            foreach (var (addon, item) in given)
            {
                if (item is not JsonObject config)
                    throw BadRequest.Field($"addonDevelopment.{addon}", "must be an object {enabled, path}");
                var enabled = config["enabled"] switch
                {
                    null => false,
                    JsonValue v when v.TryGetValue<bool>(out var b) => b,
                    _ => throw BadRequest.Field($"addonDevelopment.{addon}.enabled", "must be true or false"),
                };
                var path = config["path"] switch
                {
                    null => "",
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    _ => throw BadRequest.Field($"addonDevelopment.{addon}.path", "must be text"),
                };
                development[addon] = new JsonObject { ["enabled"] = enabled, ["path"] = path };
            }
        }
        var activeUser = bundle.ActiveUser;
        if (body.ContainsKey("activeUser"))
        {
            activeUser = body["activeUser"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0 ? null : s,
                _ => throw BadRequest.Field("activeUser", "must be a user name or null"),
            };
        }
        var result = bundle with
        {
            Addons = addons,
            InstallerVersion = installer,
            DependencyPackages = packages,
            AddonDevelopment = development,
            IsProduction = Flag(body, "isProduction") ?? bundle.IsProduction,
            IsStaging = Flag(body, "isStaging") ?? bundle.IsStaging,
            IsDev = Flag(body, "isDev") ?? bundle.IsDev,
            IsProject = Flag(body, "isProject") ?? bundle.IsProject,
            IsArchived = Flag(body, "isArchived") ?? bundle.IsArchived,
            ActiveUser = activeUser,
        };
        if (!creating && body.ContainsKey("isProject") && result.IsProject != bundle.IsProject)
            throw BadRequest.Field("isProject", "cannot change after the bundle is created");
        CheckFlags(result);
        return result;
    }

    /// <summary>Which flags may go together.</summary>
    static void CheckFlags(BundleRecord b)
    {
        if (b.IsDev && (b.IsProduction || b.IsStaging))
            throw BadRequest.Field("isDev", "a dev bundle cannot be production or staging");
        if (b.IsProject && (b.IsProduction || b.IsStaging || b.IsDev))
            throw BadRequest.Field("isProject", "a project bundle cannot be production, staging or dev");
        if (b.IsArchived && (b.IsProduction || b.IsStaging))
            throw BadRequest.Field("isArchived", "the production or staging bundle cannot be archived");
        if (!b.IsDev && b.ActiveUser is not null)
            throw BadRequest.Field("activeUser", "only a dev bundle has an active user");
        if (!b.IsDev && b.AddonDevelopment.Count > 0)
            throw BadRequest.Field("addonDevelopment", "only a dev bundle has addon development paths");
    }

    /// <summary>Every addon of the bundle with a version must be installed in that version (400 naming it).</summary>
    public static void CheckInstalled(BundleRecord bundle, IReadOnlyList<AddonVersionRow> installed)
    {
        foreach (var (addon, version) in bundle.Addons)
        {
            if (!installed.Any(r => r.Name == addon))
                throw BadRequest.Field($"addons.{addon}", $"the addon {addon} is not installed");
            if (version is not null && !installed.Any(r => r.Name == addon && r.Version == version.GetValue<string>()))
                throw BadRequest.Field($"addons.{addon}", $"{addon} {version.GetValue<string>()} is not installed");
        }
        foreach (var (addon, _) in bundle.AddonDevelopment)
            if (!installed.Any(r => r.Name == addon))
                throw BadRequest.Field($"addonDevelopment.{addon}", $"the addon {addon} is not installed");
    }

    /// <summary>
    /// The compatibility check: for each addon version of the bundle, its package's
    /// <c>ayon_required_addons</c> (must be in the bundle, in a matching version),
    /// <c>ayon_compatible_addons</c> (when in the bundle, in a matching version),
    /// <c>ayon_server_version</c> (against the version <c>/api/info</c> reports) and
    /// <c>ayon_launcher_version</c> (against the bundle's installerVersion, when set).
    /// </summary>
    public static List<BundleIssue> Check(BundleRecord bundle, IReadOnlyList<AddonVersionRow> installed)
    {
        var issues = new List<BundleIssue>();
        var versions = bundle.AddonVersions.ToDictionary(a => a.Name, a => a.Version, StringComparer.Ordinal);
        foreach (var (addon, version) in versions)
        {
            var row = installed.FirstOrDefault(r => r.Name == addon && r.Version == version);
            if (row is null)
            {
                issues.Add(new BundleIssue("error", addon, $"{addon} {version} is not installed"));
                continue;
            }
            if (Requirements(row.Metadata["ayon_required_addons"]) is { } required)
                foreach (var (other, spec) in required)
                {
                    if (!versions.TryGetValue(other, out var otherVersion))
                        issues.Add(new BundleIssue("error", addon, $"{addon} {version} requires {other} {spec}, which is not in the bundle"));
                    else if (!Matches(otherVersion, spec))
                        issues.Add(new BundleIssue("error", addon, $"{addon} {version} requires {other} {spec}, the bundle has {otherVersion}"));
                }
            if (Requirements(row.Metadata["ayon_compatible_addons"]) is { } compatible)
                foreach (var (other, spec) in compatible)
                    if (versions.TryGetValue(other, out var otherVersion) && !Matches(otherVersion, spec))
                        issues.Add(new BundleIssue("error", addon, $"{addon} {version} is compatible with {other} {spec}, the bundle has {otherVersion}"));
            if (AyonJson.Text(row.Metadata["ayon_server_version"]) is { } server && !Matches(InfoEndpoints.AyonVersion, server))
                issues.Add(new BundleIssue("error", addon, $"{addon} {version} requires server {server}, this server is {InfoEndpoints.AyonVersion}"));
            if (AyonJson.Text(row.Metadata["ayon_launcher_version"]) is { } launcher && bundle.InstallerVersion is { } installer && !Matches(installer, launcher))
                issues.Add(new BundleIssue("error", addon, $"{addon} {version} requires launcher {launcher}, the bundle's installerVersion is {installer}"));
        }
        return issues;
    }

    /// <summary>400 listing the issues (also as <c>issues</c> in the body), when there are any.</summary>
    public static void ThrowIfAny(List<BundleIssue> issues)
    {
        if (issues.Count == 0)
            return;
        var error = new BadRequest("The bundle is not compatible: " + string.Join("; ", issues.Select(i => i.Message)) + " (force=true stores it anyway)", "bundle-incompatible");
        error.Extra["issues"] = new JsonArray([.. issues.Select(i => (JsonNode)i.ToJson())]);
        throw error;
    }

    static IEnumerable<(string Name, string Spec)>? Requirements(JsonNode? node) =>
        node is JsonObject map
            ? map.Where(p => p.Value is JsonValue v && v.TryGetValue<string>(out _)).Select(p => (p.Key, p.Value!.GetValue<string>()))
            : null;

    /// <summary>
    /// Whether <paramref name="version"/> satisfies a PEP 440-style specifier: clauses separated by commas,
    /// each <c>&gt;=</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&lt;</c>, <c>==</c> (a trailing <c>.*</c> matches a prefix),
    /// <c>!=</c>, <c>~=</c> or a bare version (equal); empty or <c>*</c> matches anything.
    /// </summary>
    public static bool Matches(string version, string specifier)
    {
        foreach (var raw in specifier.Split(','))
        {
            var clause = raw.Trim();
            if (clause.Length == 0 || clause == "*")
                continue;
            var op = OperatorRegex().Match(clause).Value;
            var target = clause[op.Length..].Trim();
            var c = SemVerComparer.Instance.Compare(Normalize(version), Normalize(target));
            var ok = op switch
            {
                ">=" => c >= 0,
                "<=" => c <= 0,
                ">" => c > 0,
                "<" => c < 0,
                "!=" => !Equal(version, target),
                "~=" => c >= 0 && SemVerComparer.Instance.Compare(Normalize(version), CompatibleCeiling(target)) < 0,
                _ => Equal(version, target),
            };
            if (!ok)
                return false;
        }
        return true;
    }

    static bool Equal(string version, string target) =>
        target.EndsWith(".*", StringComparison.Ordinal)
            ? Normalize(version) == target[..^2] || Normalize(version).StartsWith(target[..^1], StringComparison.Ordinal)
            : SemVerComparer.Instance.Compare(Normalize(version), Normalize(target)) == 0;

    /// <summary><c>~=1.4.2</c> allows below 1.5.0; <c>~=1.4</c> below 2.0.</summary>
    static string CompatibleCeiling(string target)
    {
        var parts = Normalize(target).Split('-')[0].Split('.');
        if (parts.Length < 2)
            return target;
        var prefix = parts[..^1];
        prefix[^1] = (long.Parse(prefix[^1], CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        return string.Join('.', prefix);
    }

    static string Normalize(string version) => version.Trim().TrimStart('v');


    static bool? Flag(JsonObject body, string key) => body[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw BadRequest.Field(key, "must be true or false"),
    };

    [GeneratedRegex(@"^\d+(\.\d+){0,3}([-+.]?[0-9A-Za-z][0-9A-Za-z.+-]*)?$")]
    private static partial Regex VersionRegex();

    [GeneratedRegex("^(>=|<=|==|!=|~=|>|<)?")]
    private static partial Regex OperatorRegex();
}
