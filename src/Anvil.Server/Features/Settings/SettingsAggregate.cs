using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Settings;

/// <summary>
/// <c>GET /api/settings</c>: every addon of the selected bundle (an explicit <c>bundle_name</c>, else the
/// production or staging bundle, else the dev bundle named by <c>variant</c>), merged with the project
/// bundle's addons that may be pinned per project, each with its effective settings. The answer is kept
/// per parameter tuple in a cache that any settings, addon, bundle or project change drops on every
/// instance: a repeated read is a dictionary look-up.
/// </summary>
public sealed class SettingsAggregate
{
    readonly SettingsStore _store;
    readonly BundleStore _bundles;
    readonly SharedCache<PreparedJson> _cache;

    public SettingsAggregate(SettingsStore store, BundleStore bundles, CacheInvalidation invalidation, AyonOptions options)
    {
        _store = store;
        _bundles = bundles;
        _cache = new SharedCache<PreparedJson>(invalidation, SettingsStore.CacheName, TimeSpan.FromSeconds(options.CacheTtl));
        invalidation.Register(AddonStore.CacheName, _cache.Clear);
        invalidation.Register(BundleStore.CacheName, _cache.Clear);
        invalidation.Register("projects", _cache.Clear);
    }

    public static async Task<IResult> GetAsync(SettingsAggregate aggregate, CurrentUser user, HttpContext http,
        string? bundle_name = null, string? project_name = null, string? project_bundle_name = null, string? variant = null,
        string? site_id = null, string? summary = null)
    {
        var ct = http.RequestAborted;
        var v = string.IsNullOrEmpty(variant) ? "production" : variant;
        var isSummary = Flags.IsSet(summary);
        string? project = null;
        if (!string.IsNullOrEmpty(project_name))
        {
            var found = await aggregate._store.ProjectAsync(project_name, ct) ?? throw new NotFound($"Project {project_name} not found", "project-not-found");
            if (!ProjectAccess.MayEnter(user, found.Name))
                throw new Forbidden("No access group assigned on this project");
            project = found.Name;
        }
        var site = string.IsNullOrEmpty(site_id) ? null : site_id;
        var key = string.Join('\n', bundle_name, project?.ToLowerInvariant(), project_bundle_name, v, site, isSummary, site is null ? "" : user.Name);
        var answer = await aggregate._cache.GetOrLoadAsync(key, 0, async _ =>
            new PreparedJson(await aggregate.BuildAsync(bundle_name, project, project_bundle_name, v, site, isSummary, user.Name, ct)));
        return answer!.ToResult(http);
    }

    /// <summary>
    /// The addon versions in effect for <paramref name="project"/> (none: the studio): the bundle's, with
    /// those of the project bundle (<paramref name="projectBundleName"/>, else the one the project pins for
    /// <paramref name="variant"/>) in place of them where the version allows a project to choose it.
    /// </summary>
    public async Task<(BundleRecord? ProjectBundle, SortedDictionary<string, (string Version, bool FromProject)> Addons)> AddonVersionsAsync(
        BundleRecord bundle, string? project, string? projectBundleName, string variant, CancellationToken ct)
    {
        BundleRecord? projectBundle = null;
        if (!string.IsNullOrEmpty(projectBundleName))
            projectBundle = await _bundles.GetAsync(projectBundleName, ct) ?? throw new NotFound($"Bundle {projectBundleName} not found");
        else if (project is not null && (await _store.ProjectAsync(project, ct))?.Data["bundle"]?[variant]?.ToString() is { Length: > 0 } pinned)
            projectBundle = await _bundles.GetAsync(pinned, ct);

        var chosen = new SortedDictionary<string, (string Version, bool FromProject)>(StringComparer.Ordinal);
        foreach (var (name, version) in bundle.AddonVersions)
            chosen[name] = (version, false);
        foreach (var (name, version) in projectBundle?.AddonVersions ?? [])
        {
            if (await _store.AddonAsync(name, version, ct) is { ProjectCanOverrideVersion: true })
                chosen[name] = (version, true);
        }
        return (projectBundle, chosen);
    }

    async Task<JsonObject> BuildAsync(string? bundleName, string? project, string? projectBundleName, string variant, string? site, bool summary,
        string userName, CancellationToken ct)
    {
        var bundle = !string.IsNullOrEmpty(bundleName)
            ? await _bundles.GetAsync(bundleName, ct) ?? throw new NotFound($"Bundle {bundleName} not found")
            : await _bundles.ForVariantAsync(variant, ct) ?? throw new NotFound(variant is "production" or "staging"
                ? $"There is no {variant} bundle" : $"There is no dev bundle {variant}");

        var (projectBundle, chosen) = await AddonVersionsAsync(bundle, project, projectBundleName, variant, ct);
        var inherited = new JsonArray();
        if (projectBundle is not null)
        {
            foreach (var (name, pick) in chosen)
                if (!pick.FromProject)
                    inherited.Add(name);
        }

        var addons = new JsonArray();
        foreach (var (name, (version, fromProject)) in chosen)
            addons.Add(await AddonAsync(name, version, fromProject, project, variant, site, summary, userName, ct));
        return new JsonObject
        {
            ["bundleName"] = bundle.Name,
            ["projectName"] = project,
            ["projectBundleName"] = projectBundle?.Name,
            ["inheritedAddons"] = inherited,
            ["addons"] = addons,
        };
    }

    async Task<JsonObject> AddonAsync(string name, string version, bool fromProject, string? project, string variant, string? site, bool summary,
        string userName, CancellationToken ct)
    {
        var item = new JsonObject { ["name"] = name, ["title"] = name, ["version"] = version, ["settings"] = new JsonObject() };
        var info = await _store.AddonAsync(name, version, ct);
        var ok = info is { IsBroken: false };
        item["title"] = info?.Title ?? name;
        item["hasSettings"] = ok && info!.HasSettings;
        item["hasProjectSettings"] = ok && info!.HasSettings && SettingsTree.HasScope(info.Schema, "project");
        item["hasProjectSiteSettings"] = ok && info!.HasSettings && SettingsTree.HasScope(info.Schema, "site");
        item["hasSiteSettings"] = ok && info!.HasSiteSettings;
        var studio = ok ? await _store.OverridesAsync(new SettingsScope(SettingsLevel.Studio, name, version, variant), ct) : null;
        var projectOverrides = ok && project is not null
            ? await _store.OverridesAsync(new SettingsScope(SettingsLevel.Project, name, version, variant, project), ct) : null;
        var projectSite = ok && project is not null && site is not null
            ? await _store.OverridesAsync(new SettingsScope(SettingsLevel.ProjectSite, name, version, "production", project, site, userName), ct) : null;
        item["hasStudioOverrides"] = studio is { Count: > 0 };
        item["hasProjectOverrides"] = projectOverrides is { Count: > 0 };
        item["hasProjectSiteOverrides"] = projectSite is { Count: > 0 };
        item["isBroken"] = info is null || info.IsBroken;
        item["reason"] = info is null ? $"Addon {name} {version} is not installed" : info.Reason;
        item["isProjectBundle"] = fromProject;
        if (!ok || summary)
            return item;
        if (info!.HasSettings)
        {
            var settings = SettingsTree.Apply(info.Schema!, info.Schema!, info.Defaults!, studio);
            if (project is not null)
            {
                settings = SettingsTree.Apply(info.Schema!, info.Schema!, settings, projectOverrides);
                settings = SettingsTree.Apply(info.Schema!, info.Schema!, settings, projectSite);
            }
            item["settings"] = settings;
        }
        if (site is not null && info.HasSiteSettings)
            item["siteSettings"] = await _store.SiteAsync(info, site, userName, ct);
        return item;
    }
}
