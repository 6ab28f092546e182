using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Bundles;

/// <summary>A bundle as stored. Addons: name -> version (null: the addon is not in the bundle).</summary>
public sealed record BundleRecord(
    string Name, JsonObject Addons, string? InstallerVersion, JsonObject DependencyPackages,
    JsonObject AddonDevelopment, bool IsProduction, bool IsStaging, bool IsDev, bool IsProject,
    bool IsArchived, string? ActiveUser, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The addons that are in the bundle: name and version, null versions left out.</summary>
    public IEnumerable<(string Name, string Version)> AddonVersions =>
        Addons.Where(a => a.Value is JsonValue v && v.TryGetValue<string>(out _))
            .Select(a => (a.Key, a.Value!.GetValue<string>()));

    /// <summary>The wire shape (<c>GET /api/bundles</c> item): every field the launcher and the client read, always present.</summary>
    public JsonObject ToJson()
    {
        var packages = new JsonObject();
        foreach (var platform in BundleRules.Platforms)
            packages[platform] = DependencyPackages[platform]?.DeepClone();
        foreach (var (platform, file) in DependencyPackages)
            packages.TryAdd(platform, file?.DeepClone());
        return new JsonObject
        {
            ["name"] = Name,
            ["createdAt"] = CreatedAt.UtcDateTime.ToString("O"),
            ["updatedAt"] = UpdatedAt.UtcDateTime.ToString("O"),
            ["installerVersion"] = InstallerVersion,
            ["addons"] = Addons.DeepClone(),
            ["dependencyPackages"] = packages,
            ["addonDevelopment"] = AddonDevelopment.DeepClone(),
            ["isProduction"] = IsProduction,
            ["isStaging"] = IsStaging,
            ["isArchived"] = IsArchived,
            ["isDev"] = IsDev,
            ["isProject"] = IsProject,
            ["activeUser"] = ActiveUser,
        };
    }
}

/// <summary>
/// Called inside the transaction of a bundle write whose addon versions changed (the settings part
/// migrates overrides here). Register as a singleton <c>IBundleObserver</c>; throwing rolls the write back.
/// </summary>
public interface IBundleObserver
{
    Task AddonVersionsChangedAsync(NpgsqlConnection connection, BundleRecord before, BundleRecord after, CancellationToken cancellationToken);
}

/// <summary>
/// The bundles (migration 0010). Reads come from a <see cref="SharedCache{TValue}"/> of the whole list;
/// every write drops it — and the addon catalogue, whose production and staging versions follow the
/// bundles — on every instance after it commits.
/// </summary>
public sealed class BundleStore
{
    public const string CacheName = "bundles";

    /// <summary>
    /// The cache of settings overrides (the settings part's <c>SettingsStore.CacheName</c>): dropped when a
    /// bundle write rewrites override rows (a promote, a dev bundle's delete).
    /// </summary>
    public const string OverridesCacheName = "settings";

    const string SelectBundle = """
        SELECT name, data, is_production, is_staging, is_dev, is_project, is_archived, active_user, created_at, updated_at
        FROM bundles
        """;

    readonly Db _db;
    readonly CacheInvalidation _invalidation;
    readonly EventStore _events;
    readonly IEnumerable<IBundleObserver> _observers;
    readonly SharedCache<BundleSet> _cache;

    sealed record BundleSet(IReadOnlyList<BundleRecord> All, IReadOnlyDictionary<string, BundleRecord> ByName);

    public BundleStore(Db db, CacheInvalidation invalidation, EventStore events, IEnumerable<IBundleObserver> observers, AyonOptions options)
    {
        _db = db;
        _invalidation = invalidation;
        _events = events;
        _observers = observers;
        _cache = new SharedCache<BundleSet>(invalidation, CacheName, TimeSpan.FromSeconds(options.CacheTtl));
        // A user renamed or deleted changes a dev bundle's activeUser (ON UPDATE CASCADE / ON DELETE SET NULL).
        invalidation.Register(AuthCache.UsersName, _cache.Clear);
    }

    // ---- reading (cached) -------------------------------------------------------------------------

    public async ValueTask<BundleRecord?> GetAsync(string name, CancellationToken cancellationToken) =>
        (await SetAsync(cancellationToken)).ByName.GetValueOrDefault(name);

    /// <summary>"production" -> the production bundle, "staging" -> the staging bundle, anything else -> the dev bundle of that name (null when none).</summary>
    public async ValueTask<BundleRecord?> ForVariantAsync(string variant, CancellationToken cancellationToken)
    {
        var set = await SetAsync(cancellationToken);
        return variant switch
        {
            "production" => set.All.FirstOrDefault(b => b.IsProduction),
            "staging" => set.All.FirstOrDefault(b => b.IsStaging),
            _ => set.ByName.GetValueOrDefault(variant) is { IsDev: true } dev ? dev : null,
        };
    }

    /// <summary>Every bundle, archived ones included, by name.</summary>
    public async ValueTask<IReadOnlyList<BundleRecord>> ListAsync(CancellationToken cancellationToken) =>
        (await SetAsync(cancellationToken)).All;

    async ValueTask<BundleSet> SetAsync(CancellationToken cancellationToken) =>
        (await _cache.GetOrLoadAsync("all", cancellationToken, async ct =>
        {
            await using var connection = await _db.OpenAsync(ct);
            var all = await ReadAllAsync(connection, false, ct);
            return new BundleSet(all, all.ToDictionary(b => b.Name, StringComparer.Ordinal));
        }))!;

    static async Task<List<BundleRecord>> ReadAllAsync(NpgsqlConnection connection, bool forUpdate, CancellationToken cancellationToken) =>
        [.. (await connection.QueryAsync<BundleRow>(new CommandDefinition(
            SelectBundle + " ORDER BY name" + (forUpdate ? " FOR UPDATE" : ""), cancellationToken: cancellationToken))).Select(r => r.ToRecord())];

    // ---- writing ----------------------------------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="change"/> over the current bundles (locked) in one transaction, writes what it
    /// answers, then drops the caches everywhere. <paramref name="change"/> answers the bundles to write
    /// (new or changed), the names to delete and the events to dispatch.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<BundleWrite, Task<T>> change, CancellationToken cancellationToken)
    {
        T result;
        bool overridesChanged;
        await using (var connection = await _db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(hashtextextended('anvil.bundles', 0))", cancellationToken: cancellationToken));
            var current = await ReadAllAsync(connection, true, cancellationToken);
            var write = new BundleWrite(connection, current);
            result = await change(write);
            foreach (var name in write.Deleted)
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM bundles WHERE name = @name", new { name }, cancellationToken: cancellationToken));
            // Flags are cleared first, so the unique indexes never see two holders at once.
            foreach (var b in write.Saved)
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE bundles SET is_production = is_production AND @p, is_staging = is_staging AND @s WHERE name = @name",
                    new { name = b.Name, p = b.IsProduction, s = b.IsStaging }, cancellationToken: cancellationToken));
            foreach (var b in write.Saved)
            {
                var before = current.FirstOrDefault(c => c.Name == b.Name);
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO bundles (name, data, is_production, is_staging, is_dev, is_project, is_archived, active_user)
                    VALUES (@name, @data, @isProduction, @isStaging, @isDev, @isProject, @isArchived, @activeUser)
                    ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, is_production = EXCLUDED.is_production,
                        is_staging = EXCLUDED.is_staging, is_dev = EXCLUDED.is_dev, is_project = EXCLUDED.is_project,
                        is_archived = EXCLUDED.is_archived, active_user = EXCLUDED.active_user, updated_at = now()
                    """, new
                {
                    name = b.Name,
                    data = new JsonObject
                    {
                        ["addons"] = b.Addons.DeepClone(),
                        ["installerVersion"] = b.InstallerVersion,
                        ["dependencyPackages"] = b.DependencyPackages.DeepClone(),
                        ["addonDevelopment"] = b.AddonDevelopment.DeepClone(),
                    },
                    isProduction = b.IsProduction,
                    isStaging = b.IsStaging,
                    isDev = b.IsDev,
                    isProject = b.IsProject,
                    isArchived = b.IsArchived,
                    activeUser = b.ActiveUser,
                }, cancellationToken: cancellationToken));
                if (before is not null && !JsonNode.DeepEquals(before.Addons, b.Addons))
                    foreach (var observer in _observers)
                        await observer.AddonVersionsChangedAsync(connection, before, b, cancellationToken);
            }
            foreach (var e in write.Events)
                await _events.DispatchAsync(connection, e, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            overridesChanged = write.OverridesChanged;
        }
        await ChangedAsync();
        if (overridesChanged)
            await _invalidation.InvalidateAsync(OverridesCacheName);
        return result;
    }

    /// <summary>Drops the bundle cache, then the addon catalogue (which reads the bundles), on every instance.</summary>
    public async Task ChangedAsync()
    {
        await _invalidation.InvalidateAsync(CacheName);
        await _invalidation.InvalidateAsync(AddonStore.CacheName);
    }

    sealed class BundleRow
    {
        public string Name { get; init; } = "";
        public JsonObject Data { get; init; } = [];
        public bool IsProduction { get; init; }
        public bool IsStaging { get; init; }
        public bool IsDev { get; init; }
        public bool IsProject { get; init; }
        public bool IsArchived { get; init; }
        public string? ActiveUser { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public BundleRecord ToRecord() => new(
            Name,
            Data["addons"] as JsonObject ?? [],
            Data["installerVersion"] is JsonValue iv && iv.TryGetValue<string>(out var installer) ? installer : null,
            Data["dependencyPackages"] as JsonObject ?? [],
            Data["addonDevelopment"] as JsonObject ?? [],
            IsProduction, IsStaging, IsDev, IsProject, IsArchived, ActiveUser,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
    }
}

/// <summary>One bundle write in progress: the bundles as they were (locked), and what to write.</summary>
public sealed class BundleWrite(NpgsqlConnection connection, IReadOnlyList<BundleRecord> current)
{
    public NpgsqlConnection Connection { get; } = connection;
    public IReadOnlyList<BundleRecord> Current { get; } = current;
    public List<BundleRecord> Saved { get; } = [];
    public List<string> Deleted { get; } = [];
    public List<NewEvent> Events { get; } = [];

    /// <summary>Set when the write changed settings override rows, so their cache is dropped too.</summary>
    public bool OverridesChanged { get; set; }

    public BundleRecord? Find(string name) => Current.FirstOrDefault(b => b.Name == name);
}
