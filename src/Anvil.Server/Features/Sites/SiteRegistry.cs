using System.Text.RegularExpressions;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;

namespace Anvil.Server.Features.Sites;

/// <summary>A workstation as <c>/api/info</c> lists it (AYON's shape).</summary>
public sealed record SiteInfo(string Id, string Platform, string Hostname, string Version, IReadOnlyList<string> Users);

/// <summary>What a request's <c>x-ayon-*</c> headers say about the machine it came from.</summary>
public sealed record SiteHeaders(string Id, string Platform, string Hostname, string Version)
{
    /// <summary>The announced site, or null when the headers do not name a valid site id and platform (then nothing is registered).</summary>
    public static SiteHeaders? From(HttpRequest request)
    {
        var id = request.Headers["x-ayon-site-id"].ToString();
        var platform = request.Headers["x-ayon-platform"].ToString().ToLowerInvariant();
        if (!SiteRegistry.IsSiteId(id) || !SiteRegistry.IsPlatform(platform))
            return null;
        return new SiteHeaders(id, platform, Clip(request.Headers["x-ayon-hostname"].ToString(), 255), Clip(request.Headers["x-ayon-version"].ToString(), 64));
    }

    static string Clip(string value, int length)
    {
        var clean = new string([.. value.Where(c => !char.IsControl(c))]);
        return clean.Length <= length ? clean : clean[..length];
    }

    /// <summary>What a change of any field means: the row must be written again.</summary>
    public string Fingerprint => $"{Platform}\n{Hostname}\n{Version}";
}

/// <summary>
/// The sites registry (migration 0013). <c>GET /api/info</c> with <c>x-ayon-*</c> headers registers the
/// caller's machine for the caller; since that route is the hottest one, each instance remembers what it
/// has written (user, site, fields) and writes again only when something is new or changed — then it
/// drops the site caches on every instance. Listing a user's sites and a site's platform are cached.
/// </summary>
public sealed partial class SiteRegistry
{
    public const string CacheName = "sites";

    readonly Db _db;
    readonly CacheInvalidation _invalidation;
    readonly SharedCache<string> _written;
    readonly SharedCache<IReadOnlyList<SiteInfo>> _byUser;
    readonly SharedCache<SiteInfo> _byId;

    public SiteRegistry(Db db, CacheInvalidation invalidation, AyonOptions options)
    {
        _db = db;
        _invalidation = invalidation;
        var ttl = TimeSpan.FromSeconds(options.CacheTtl);
        _written = new SharedCache<string>(invalidation, CacheName, ttl);
        _byUser = new SharedCache<IReadOnlyList<SiteInfo>>(invalidation, CacheName, ttl);
        _byId = new SharedCache<SiteInfo>(invalidation, CacheName, ttl);
    }

    public static bool IsSiteId(string? id) => id is { Length: > 0 and <= 128 } && SiteIdRegex().IsMatch(id);

    public static bool IsPlatform(string? platform) => platform is "windows" or "linux" or "darwin";

    /// <summary>Registers (or refreshes) <paramref name="site"/> for <paramref name="userName"/>; a no-op when this instance wrote the same already.</summary>
    public async Task RegisterAsync(string userName, SiteHeaders site, CancellationToken cancellationToken)
    {
        var key = $"{userName}\n{site.Id}";
        if (_written.TryGet(key, out var fingerprint) && fingerprint == site.Fingerprint)
            return;
        var generation = _written.Generation;
        int changed;
        await using (var connection = await _db.OpenAsync(cancellationToken))
        {
            // One statement: the site row when new or different, the user's link when new; answers how many rows changed.
            changed = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
                WITH site AS (
                    INSERT INTO sites (id, platform, hostname, version) VALUES (@id, @platform, @hostname, @version)
                    ON CONFLICT (id) DO UPDATE SET platform = EXCLUDED.platform, hostname = EXCLUDED.hostname,
                        version = EXCLUDED.version, updated_at = now()
                    WHERE (sites.platform, sites.hostname, sites.version) IS DISTINCT FROM (EXCLUDED.platform, EXCLUDED.hostname, EXCLUDED.version)
                    RETURNING 1
                ), link AS (
                    INSERT INTO site_users (site_id, user_name) VALUES (@id, @user)
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM site) + (SELECT count(*) FROM link)
                """, new { id = site.Id, platform = site.Platform, hostname = site.Hostname, version = site.Version, user = userName },
                cancellationToken: cancellationToken));
        }
        if (changed > 0)
            await _invalidation.InvalidateAsync(CacheName);
        else
            _written.Store(key, site.Fingerprint, generation);
    }

    /// <summary>The sites <paramref name="userName"/> has used, oldest first.</summary>
    public async ValueTask<IReadOnlyList<SiteInfo>> OfUserAsync(string userName, CancellationToken cancellationToken) =>
        await _byUser.GetOrLoadAsync(userName, (db: _db, userName, cancellationToken), static async state =>
        {
            await using var connection = await state.db.OpenAsync(state.cancellationToken);
            var rows = await connection.QueryAsync<SiteRow>(new CommandDefinition($"""
                {SelectSites}
                WHERE EXISTS (SELECT FROM site_users m WHERE m.site_id = s.id AND m.user_name = @user)
                ORDER BY s.created_at, s.id
                """, new { user = state.userName }, cancellationToken: state.cancellationToken));
            return (IReadOnlyList<SiteInfo>)[.. rows.Select(r => r.ToInfo())];
        }) ?? [];

    /// <summary>Every registered site (not cached: an admin listing).</summary>
    public async Task<IReadOnlyList<SiteInfo>> AllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<SiteRow>(new CommandDefinition($"{SelectSites} ORDER BY s.created_at, s.id", cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToInfo())];
    }

    /// <summary>Forgets a site and who used it; false when it was not registered. Site settings stay (keyed by id) for when it returns.</summary>
    public async Task<bool> DeleteAsync(string siteId, CancellationToken cancellationToken)
    {
        int deleted;
        await using (var connection = await _db.OpenAsync(cancellationToken))
            deleted = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sites WHERE id = @siteId", new { siteId }, cancellationToken: cancellationToken));
        if (deleted > 0)
            await _invalidation.InvalidateAsync(CacheName);
        return deleted > 0;
    }

    const string SelectSites = """
        SELECT s.id, s.platform, s.hostname, s.version,
            (SELECT array_agg(u.user_name ORDER BY u.user_name) FROM site_users u WHERE u.site_id = s.id) AS users
        FROM sites s
        """;

    /// <summary>A registered site, or null.</summary>
    public ValueTask<SiteInfo?> GetAsync(string siteId, CancellationToken cancellationToken) =>
        _byId.GetOrLoadAsync(siteId, (siteId, cancellationToken), async state =>
        {
            await using var connection = await _db.OpenAsync(state.cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<SiteRow>(new CommandDefinition($"""
                {SelectSites}
                WHERE s.id = @id
                """, new { id = state.siteId }, cancellationToken: state.cancellationToken));
            return row?.ToInfo();
        });

    sealed record SiteRow
    {
        public string Id { get; init; } = "";
        public string Platform { get; init; } = "";
        public string Hostname { get; init; } = "";
        public string Version { get; init; } = "";
        public string[]? Users { get; init; }

        public SiteInfo ToInfo() => new(Id, Platform, Hostname, Version, Users ?? []);
    }

    [GeneratedRegex(Names.Site)]
    private static partial Regex SiteIdRegex();
}
