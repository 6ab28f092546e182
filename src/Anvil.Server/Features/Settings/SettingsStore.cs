using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;

namespace Anvil.Server.Features.Settings;

/// <summary>What one addon version's export says about its settings.</summary>
public sealed record AddonSettingsInfo(
    string Name, string Version, string Title, bool IsBroken, string? Reason, bool ProjectCanOverrideVersion,
    JsonObject? Schema, JsonObject? Defaults, JsonObject? SiteSchema, JsonObject? SiteDefaults)
{
    public bool HasSettings => Schema is not null && Defaults is not null;
    public bool HasSiteSettings => SiteSchema is not null && SiteDefaults is not null;
}

/// <summary>The four levels of stored overrides (migration 0010).</summary>
public enum SettingsLevel { Studio, Project, Site, ProjectSite }

/// <summary>Where one override row lives.</summary>
public sealed record SettingsScope(SettingsLevel Level, string Addon, string Version, string Variant = "production",
    string? Project = null, string? Site = null, string? User = null)
{
    public string Key => $"{Level}\n{Addon}\n{Version}\n{Variant}\n{Project?.ToLowerInvariant()}\n{Site}\n{User}";
}

/// <summary>
/// Stored overrides and the addons' exports, read through process-local caches that any write drops on
/// every instance (<see cref="CacheName"/>; exports with <see cref="AddonStore.CacheName"/>), so reads never
/// touch PostgreSQL twice nor wait on Python.
/// </summary>
public sealed class SettingsStore
{
    /// <summary>Dropped by every settings write.</summary>
    public const string CacheName = "settings";

    readonly Db _db;
    readonly CacheInvalidation _invalidation;
    readonly SharedCache<AddonSettingsInfo> _addons;
    readonly SharedCache<Stored> _overrides;
    readonly SharedCache<Stored> _projects;

    /// <summary>A cached row (null data: no row), so absence is cached too.</summary>
    sealed record Stored(JsonObject? Data, string? Text = null);

    public SettingsStore(Db db, CacheInvalidation invalidation, AyonOptions options)
    {
        _db = db;
        _invalidation = invalidation;
        var ttl = TimeSpan.FromSeconds(options.CacheTtl);
        _addons = new SharedCache<AddonSettingsInfo>(invalidation, AddonStore.CacheName, ttl);
        _overrides = new SharedCache<Stored>(invalidation, CacheName, ttl);
        invalidation.Register("projects", _overrides.Clear);
        // Bundle writes copy (promote) and delete (dev bundles) override rows in their own transaction.
        invalidation.Register(BundleStore.CacheName, _overrides.Clear);
        _projects = new SharedCache<Stored>(invalidation, "projects", ttl);
    }

    /// <summary>The export of an installed addon version; null when not installed.</summary>
    public ValueTask<AddonSettingsInfo?> AddonAsync(string name, string version, CancellationToken cancellationToken) =>
        _addons.GetOrLoadAsync($"{name}\n{version}", (name, version, cancellationToken), async state =>
        {
            await using var connection = await _db.OpenAsync(state.cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<AddonRow>(new CommandDefinition(
                "SELECT metadata, export, is_broken, reason FROM addon_versions WHERE name = @name AND version = @version",
                new { name = state.name, version = state.version }, cancellationToken: state.cancellationToken));
            if (row is null)
                return null;
            var export = row.Export;
            var settings = export?["settings"] as JsonObject;
            var site = export?["siteSettings"] as JsonObject;
            var title = export?["addon"]?["title"]?.ToString() ?? row.Metadata["title"]?.ToString() ?? state.name;
            var canOverride = (export?["addon"]?["projectCanOverrideAddonVersion"] ?? row.Metadata["project_can_override_addon_version"])
                ?.GetValueKind() == System.Text.Json.JsonValueKind.True;
            return new AddonSettingsInfo(state.name, state.version, title, row.IsBroken, row.Reason, canOverride,
                settings?["schema"] as JsonObject, settings?["defaults"] as JsonObject, site?["schema"] as JsonObject, site?["defaults"] as JsonObject);
        });

    sealed record AddonRow
    {
        public JsonObject Metadata { get; init; } = [];
        public JsonObject? Export { get; init; }
        public bool IsBroken { get; init; }
        public string? Reason { get; init; }
    }

    /// <summary>A project's exact name and its data (for <c>data.bundle</c>); null when there is no such project.</summary>
    public async ValueTask<(string Name, JsonObject Data)?> ProjectAsync(string name, CancellationToken cancellationToken)
    {
        var stored = await _projects.GetOrLoadAsync("settings-project\n" + name.ToLowerInvariant(), (name, cancellationToken), async state =>
        {
            await using var connection = await _db.OpenAsync(state.cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<(string Name, JsonObject Data)?>(new CommandDefinition(
                "SELECT name, data FROM projects WHERE lower(name) = lower(@name)", new { name = state.name }, cancellationToken: state.cancellationToken));
            return row is { } r ? new Stored(r.Data, r.Name) : new Stored(null);
        });
        return stored?.Data is { } data ? (stored.Text!, data) : null;
    }

    /// <summary>The stored overrides of one scope; null when none are stored.</summary>
    public async ValueTask<JsonObject?> OverridesAsync(SettingsScope scope, CancellationToken cancellationToken)
    {
        var stored = await _overrides.GetOrLoadAsync(scope.Key, (scope, cancellationToken), async state =>
        {
            var (sql, args) = Select(state.scope);
            await using var connection = await _db.OpenAsync(state.cancellationToken);
            var data = await connection.QuerySingleOrDefaultAsync<JsonObject?>(new CommandDefinition(sql, args, cancellationToken: state.cancellationToken));
            return new Stored(data);
        });
        return stored?.Data;
    }

    static (string Sql, object Args) Select(SettingsScope s) => s.Level switch
    {
        SettingsLevel.Studio => ("SELECT data FROM studio_settings WHERE addon_name = @Addon AND addon_version = @Version AND variant = @Variant", s),
        SettingsLevel.Project => ("SELECT data FROM project_settings WHERE project_name = @Project AND addon_name = @Addon AND addon_version = @Version AND variant = @Variant", s),
        SettingsLevel.Site => ("SELECT data FROM site_settings WHERE addon_name = @Addon AND addon_version = @Version AND site_id = @Site AND user_name = @User", s),
        _ => ("SELECT data FROM project_site_settings WHERE project_name = @Project AND addon_name = @Addon AND addon_version = @Version AND site_id = @Site AND user_name = @User", s),
    };

    /// <summary>Stores (or, when empty, deletes) the overrides of one scope, then drops the settings caches on every instance.</summary>
    public Task SaveAsync(SettingsScope s, JsonObject? data, CancellationToken cancellationToken) => SaveAsync([(s, data)], cancellationToken);

    /// <summary>Stores several scopes in one transaction, then drops the settings caches on every instance once.</summary>
    public async Task SaveAsync(IReadOnlyList<(SettingsScope Scope, JsonObject? Data)> changes, CancellationToken cancellationToken)
    {
        await using (var connection = await _db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await WriteAsync(connection, changes, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await ChangedAsync();
    }

    /// <summary>The project settings rows of one addon version and variant: project name → overrides.</summary>
    public async Task<IReadOnlyList<(string Project, JsonObject Data)>> ProjectRowsAsync(string addon, string version, string variant, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, JsonObject)>(new CommandDefinition(
            "SELECT project_name, data FROM project_settings WHERE addon_name = @addon AND addon_version = @version AND variant = @variant",
            new { addon, version, variant }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>The project-site rows of one addon version: (project, site, user, overrides).</summary>
    public async Task<IReadOnlyList<(string Project, string Site, string User, JsonObject Data)>> ProjectSiteRowsAsync(string addon, string version,
        CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, string, string, JsonObject)>(new CommandDefinition(
            "SELECT project_name, site_id, user_name, data FROM project_site_settings WHERE addon_name = @addon AND addon_version = @version",
            new { addon, version }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Writes several scopes through <paramref name="connection"/> (the caller's transaction); the caller drops the caches after its commit.</summary>
    public static async Task WriteAsync(Npgsql.NpgsqlConnection connection, IReadOnlyList<(SettingsScope Scope, JsonObject? Data)> changes, CancellationToken cancellationToken)
    {
        foreach (var (s, data) in changes)
            await SaveOneAsync(connection, s, data, cancellationToken);
    }

    static async Task SaveOneAsync(Npgsql.NpgsqlConnection connection, SettingsScope s, JsonObject? data, CancellationToken cancellationToken)
    {
        {
            string sql;
            if (data is null || data.Count == 0)
            {
                sql = s.Level switch
                {
                    SettingsLevel.Studio => "DELETE FROM studio_settings WHERE addon_name = @Addon AND addon_version = @Version AND variant = @Variant",
                    SettingsLevel.Project => "DELETE FROM project_settings WHERE project_name = @Project AND addon_name = @Addon AND addon_version = @Version AND variant = @Variant",
                    SettingsLevel.Site => "DELETE FROM site_settings WHERE addon_name = @Addon AND addon_version = @Version AND site_id = @Site AND user_name = @User",
                    _ => "DELETE FROM project_site_settings WHERE project_name = @Project AND addon_name = @Addon AND addon_version = @Version AND site_id = @Site AND user_name = @User",
                };
                await connection.ExecuteAsync(new CommandDefinition(sql, s, cancellationToken: cancellationToken));
            }
            else
            {
                sql = s.Level switch
                {
                    SettingsLevel.Studio => """
                        INSERT INTO studio_settings (addon_name, addon_version, variant, data) VALUES (@Addon, @Version, @Variant, @Data::jsonb)
                        ON CONFLICT (addon_name, addon_version, variant) DO UPDATE SET data = excluded.data, updated_at = now()
                        """,
                    SettingsLevel.Project => """
                        INSERT INTO project_settings (project_name, addon_name, addon_version, variant, data) VALUES (@Project, @Addon, @Version, @Variant, @Data::jsonb)
                        ON CONFLICT (project_name, addon_name, addon_version, variant) DO UPDATE SET data = excluded.data, updated_at = now()
                        """,
                    SettingsLevel.Site => """
                        INSERT INTO site_settings (addon_name, addon_version, site_id, user_name, data) VALUES (@Addon, @Version, @Site, @User, @Data::jsonb)
                        ON CONFLICT (addon_name, addon_version, site_id, user_name) DO UPDATE SET data = excluded.data, updated_at = now()
                        """,
                    _ => """
                        INSERT INTO project_site_settings (project_name, addon_name, addon_version, site_id, user_name, data) VALUES (@Project, @Addon, @Version, @Site, @User, @Data::jsonb)
                        ON CONFLICT (project_name, addon_name, addon_version, site_id, user_name) DO UPDATE SET data = excluded.data, updated_at = now()
                        """,
                };
                await connection.ExecuteAsync(new CommandDefinition(sql, new
                {
                    s.Addon,
                    s.Version,
                    s.Variant,
                    s.Project,
                    s.Site,
                    s.User,
                    Data = data.ToJsonString(),
                }, cancellationToken: cancellationToken));
            }
        }
    }

    /// <summary>Drops every settings cache on every instance; call after any committed change of overrides.</summary>
    public Task ChangedAsync() => _invalidation.InvalidateAsync(CacheName);

    // ---- effective settings ------------------------------------------------------------------------

    /// <summary>defaults ← studio overrides (of <paramref name="variant"/>).</summary>
    public async ValueTask<JsonObject> StudioAsync(AddonSettingsInfo addon, string variant, CancellationToken cancellationToken) =>
        SettingsTree.Apply(addon.Schema!, addon.Schema!, addon.Defaults!,
            await OverridesAsync(new SettingsScope(SettingsLevel.Studio, addon.Name, addon.Version, variant), cancellationToken));

    /// <summary>studio ← project overrides.</summary>
    public async ValueTask<JsonObject> ProjectSettingsAsync(AddonSettingsInfo addon, string variant, string project, CancellationToken cancellationToken) =>
        SettingsTree.Apply(addon.Schema!, addon.Schema!, await StudioAsync(addon, variant, cancellationToken),
            await OverridesAsync(new SettingsScope(SettingsLevel.Project, addon.Name, addon.Version, variant, project), cancellationToken));

    /// <summary>project ← the project-site overrides of one user's site.</summary>
    public async ValueTask<JsonObject> ProjectSiteAsync(AddonSettingsInfo addon, string variant, string project, string site, string user,
        CancellationToken cancellationToken) =>
        SettingsTree.Apply(addon.Schema!, addon.Schema!, await ProjectSettingsAsync(addon, variant, project, cancellationToken),
            await OverridesAsync(new SettingsScope(SettingsLevel.ProjectSite, addon.Name, addon.Version, "production", project, site, user), cancellationToken));

    /// <summary>site defaults ← the site overrides of one user's site.</summary>
    public async ValueTask<JsonObject> SiteAsync(AddonSettingsInfo addon, string site, string user, CancellationToken cancellationToken) =>
        SettingsTree.Apply(addon.SiteSchema!, addon.SiteSchema!, addon.SiteDefaults!,
            await OverridesAsync(new SettingsScope(SettingsLevel.Site, addon.Name, addon.Version, "production", null, site, user), cancellationToken));

    /// <summary>The effective settings of the level below <paramref name="scope"/> (what its overrides apply to).</summary>
    public async ValueTask<JsonObject> BelowAsync(AddonSettingsInfo addon, SettingsScope scope, CancellationToken cancellationToken) => scope.Level switch
    {
        SettingsLevel.Studio => (JsonObject)addon.Defaults!.DeepClone(),
        SettingsLevel.Project => await StudioAsync(addon, scope.Variant, cancellationToken),
        SettingsLevel.ProjectSite => await ProjectSettingsAsync(addon, scope.Variant, scope.Project!, cancellationToken),
        _ => (JsonObject)addon.SiteDefaults!.DeepClone(),
    };

    /// <summary>The model a scope's overrides follow (the site model for site settings).</summary>
    public static JsonObject SchemaOf(AddonSettingsInfo addon, SettingsScope scope) =>
        scope.Level == SettingsLevel.Site ? addon.SiteSchema! : addon.Schema!;
}
