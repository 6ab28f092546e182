using System.Data;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Addons.Packages;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Anvil.Server.Features.Addons;

/// <summary>An installed addon version as the catalogue reads it (no file index).</summary>
public sealed record AddonVersionRow
{
    public string Name { get; init; } = "";
    public string Version { get; init; } = "";
    public JsonObject Metadata { get; init; } = [];
    public JsonObject? Export { get; init; }
    public bool IsBroken { get; init; }
    public string? Reason { get; init; }
    public JsonObject? ClientPyproject { get; init; }
    public bool HasClientZip { get; init; }
}

/// <summary>What serving a version's files needs: its package and the set of its files.</summary>
/// <summary>The installed versions whose code subscribes to events (<c>EventStream.subscribe</c>), with the topics they subscribed.</summary>
public sealed record AddonSubscribers(IReadOnlyList<(string Name, string Version, IReadOnlyList<string> Topics)> Versions);

public sealed record AddonVersionFiles(string Name, string Version, string PackageSha256, string Layout, IReadOnlyDictionary<string, long> Files);

/// <summary>
/// A version ready to be written: the package read from its zip and what the host exported, with
/// <c>ExportedBy</c> the fingerprint of the host code that made the export (<see cref="AddonHostCode.Fingerprint"/>).
/// </summary>
public sealed record AddonVersionToStore(
    AddonPackage Package, string ZipPath, string Sha256, long Size, AddonExport Export, string ExportedBy, JsonObject? ClientPyproject, string? InstalledBy);

/// <summary>A version whose stored export an older addon host made.</summary>
public sealed record StaleExport(string Name, string Version, string PackageSha256);

/// <summary>
/// Addon packages in PostgreSQL (migration 0009): zips content-addressed by SHA-256 in chunks, and a row
/// per installed name+version. Every write drops the addon caches on every instance after it commits.
/// </summary>
public sealed class AddonStore
{
    /// <summary>The name under which every addon cache is dropped.</summary>
    public const string CacheName = "addons";

    /// <summary>Size of one stored chunk of a package.</summary>
    const int ChunkSize = 4 * 1024 * 1024;

    readonly Db _db;
    readonly CacheInvalidation _invalidation;
    readonly SharedCache<AddonVersionFiles> _files;
    readonly SharedCache<AddonSubscribers> _subscribers;

    public AddonStore(Db db, CacheInvalidation invalidation, AyonOptions options)
    {
        _db = db;
        _invalidation = invalidation;
        _files = new SharedCache<AddonVersionFiles>(invalidation, CacheName, TimeSpan.FromSeconds(options.CacheTtl));
        _subscribers = new SharedCache<AddonSubscribers>(invalidation, CacheName, TimeSpan.FromSeconds(options.CacheTtl));
    }

    /// <summary>Writes the package (unless stored already) and the version row in one transaction, replacing the same name+version.</summary>
    public async Task StoreAsync(AddonVersionToStore v, CancellationToken cancellationToken)
    {
        await using (var connection = await _db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(hashtextextended('anvil.addon-package:' || @sha, 0))", new { sha = v.Sha256 }, cancellationToken: cancellationToken));
            var chunkCount = (int)((v.Size + ChunkSize - 1) / ChunkSize);
            var created = await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO addon_packages (sha256, size, chunk_count) VALUES (@sha, @size, @chunkCount)
                ON CONFLICT (sha256) DO NOTHING
                """, new { sha = v.Sha256, size = v.Size, chunkCount }, cancellationToken: cancellationToken));
            if (created > 0)
                await WriteChunksAsync(connection, v.Sha256, v.ZipPath, cancellationToken);
            var files = new JsonArray([.. v.Package.Files.Select(f => (JsonNode)new JsonArray(f.Path, f.Length))]);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO addon_versions (name, version, layout, metadata, files, unpacked_size, package_sha256, package_size,
                    export, exported_by, is_broken, reason, client_pyproject, has_client_zip, installed_by)
                VALUES (@name, @version, @layout, @metadata, @files, @unpacked, @sha, @size,
                    @export, @exportedBy, @isBroken, @reason, @clientPyproject, @hasClientZip, @installedBy)
                ON CONFLICT (name, version) DO UPDATE SET
                    layout = EXCLUDED.layout, metadata = EXCLUDED.metadata, files = EXCLUDED.files,
                    unpacked_size = EXCLUDED.unpacked_size, package_sha256 = EXCLUDED.package_sha256,
                    package_size = EXCLUDED.package_size, export = EXCLUDED.export, exported_by = EXCLUDED.exported_by,
                    is_broken = EXCLUDED.is_broken,
                    reason = EXCLUDED.reason, client_pyproject = EXCLUDED.client_pyproject,
                    has_client_zip = EXCLUDED.has_client_zip, installed_at = now(), installed_by = EXCLUDED.installed_by
                """, new
            {
                name = v.Package.Name,
                version = v.Package.Version,
                layout = v.Package.Layout,
                metadata = v.Package.Metadata,
                files,
                unpacked = v.Package.UnpackedBytes,
                sha = v.Sha256,
                size = v.Size,
                export = v.Export.Document,
                exportedBy = v.ExportedBy,
                isBroken = v.Export.IsBroken,
                reason = v.Export.Reason,
                clientPyproject = v.ClientPyproject,
                hasClientZip = v.Package.Files.Any(f => f.Path == "private/client.zip"),
                installedBy = v.InstalledBy,
            }, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
        await _invalidation.InvalidateAsync(CacheName);
    }

    static async Task WriteChunksAsync(NpgsqlConnection connection, string sha, string zipPath, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(zipPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[ChunkSize];
        await using var command = new NpgsqlCommand("INSERT INTO addon_package_chunks (sha256, seq, data) VALUES (@sha, @seq, @data)", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("sha", sha));
        var seqParameter = new NpgsqlParameter<int>("seq", 0);
        command.Parameters.Add(seqParameter);
        var dataParameter = command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Bytea));
        for (var seq = 0; ; seq++)
        {
            var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
                break;
            seqParameter.TypedValue = seq;
            dataParameter.Value = new ReadOnlyMemory<byte>(buffer, 0, read);
            dataParameter.Size = read;
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (read < buffer.Length)
                break;
        }
    }

    /// <summary>Writes the stored package of <paramref name="sha"/> to <paramref name="path"/>; false when it is gone.</summary>
    public async Task<bool> ReadPackageAsync(string sha, string path, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT data FROM addon_package_chunks WHERE sha256 = @sha ORDER BY seq", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("sha", sha));
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        var any = false;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                any = true;
                await using var chunk = await reader.GetStreamAsync(0, cancellationToken);
                await chunk.CopyToAsync(file, cancellationToken);
            }
        }
        return any;
    }

    /// <summary>Every installed version, for the catalogue.</summary>
    public async Task<IReadOnlyList<AddonVersionRow>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AddonVersionRow>(new CommandDefinition("""
            SELECT name, version, metadata, export, is_broken, reason, client_pyproject, has_client_zip
            FROM addon_versions ORDER BY name, version
            """, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Every working version whose export lists event subscriptions. Cached, dropped on every instance by any change.</summary>
    public async ValueTask<AddonSubscribers> SubscribersAsync(CancellationToken cancellationToken) =>
        (await _subscribers.GetOrLoadAsync("subscribers", cancellationToken, async ct =>
        {
            await using var connection = await _db.OpenAsync(ct);
            var rows = await connection.QueryAsync<(string Name, string Version, string Topics)>(new CommandDefinition("""
                SELECT name, version, (export->'addon'->'eventSubscriptions')::text FROM addon_versions
                WHERE NOT is_broken AND jsonb_typeof(export->'addon'->'eventSubscriptions') = 'array' AND export->'addon'->'eventSubscriptions' <> '[]'::jsonb
                ORDER BY name, version
                """, cancellationToken: ct));
            return new AddonSubscribers([.. rows.Select(r => (r.Name, r.Version,
                (IReadOnlyList<string>)[.. JsonNode.Parse(r.Topics)!.AsArray().Select(t => AyonJson.Text(t)).OfType<string>()]))]);
        }))!;

    /// <summary>The version's package and file index; null when it is not installed. Cached, dropped on every instance by any change.</summary>
    public ValueTask<AddonVersionFiles?> FilesAsync(string name, string version, CancellationToken cancellationToken) =>
        _files.GetOrLoadAsync($"{name}\n{version}", (name, version, cancellationToken), async state =>
        {
            await using var connection = await _db.OpenAsync(state.cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<(string Sha, string Layout, string Files)?>(new CommandDefinition("""
                SELECT package_sha256, layout, files::text FROM addon_versions WHERE name = @name AND version = @version
                """, new { name = state.name, version = state.version }, cancellationToken: state.cancellationToken));
            if (row is not { } found)
                return null;
            var files = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var item in JsonNode.Parse(found.Files)!.AsArray())
                files[item![0]!.GetValue<string>()] = item[1]!.GetValue<long>();
            return new AddonVersionFiles(state.name, state.version, found.Sha, found.Layout, files);
        });

    /// <summary>The versions whose export another host code made than <paramref name="fingerprint"/>.</summary>
    public async Task<IReadOnlyList<StaleExport>> StaleExportsAsync(string fingerprint, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<StaleExport>(new CommandDefinition("""
            SELECT name, version, package_sha256 FROM addon_versions
            WHERE exported_by IS DISTINCT FROM @fingerprint ORDER BY name, version
            """, new { fingerprint }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Replaces a version's export, unless it was reinstalled with other bytes or deleted meanwhile; answers whether it did.</summary>
    public async Task<bool> ReplaceExportAsync(StaleExport version, AddonExport export, string fingerprint, CancellationToken cancellationToken)
    {
        int updated;
        await using (var connection = await _db.OpenAsync(cancellationToken))
        {
            updated = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE addon_versions SET export = @export, exported_by = @fingerprint, is_broken = @isBroken, reason = @reason
                WHERE name = @name AND version = @version AND package_sha256 = @sha
                """, new
            {
                export = export.Document,
                fingerprint,
                isBroken = export.IsBroken,
                reason = export.Reason,
                name = version.Name,
                version = version.Version,
                sha = version.PackageSha256,
            }, cancellationToken: cancellationToken));
        }
        if (updated > 0)
            await _invalidation.InvalidateAsync(CacheName);
        return updated > 0;
    }

    /// <summary>Deletes one version, or every version of the addon when <paramref name="version"/> is null; answers how many.</summary>
    public async Task<int> DeleteAsync(string name, string? version, CancellationToken cancellationToken)
    {
        int deleted;
        await using (var connection = await _db.OpenAsync(cancellationToken))
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM addon_versions WHERE name = @name AND (@version::text IS NULL OR version = @version)",
                new { name, version }, cancellationToken: cancellationToken));
        }
        if (deleted > 0)
            await _invalidation.InvalidateAsync(CacheName);
        return deleted;
    }
}
