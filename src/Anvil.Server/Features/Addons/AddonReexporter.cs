using Anvil.Server.Data;
using Dapper;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// At start, exports again every installed version whose stored export other addon-host code made
/// (an upgrade of Anvil, or a version installed by an older one), so what the catalogue and the
/// settings read follows the host that now runs without anyone reinstalling. One instance does it
/// at a time (a PostgreSQL advisory lock): the next finds nothing left to do, and every instance
/// serves the stored exports meanwhile.
/// </summary>
public sealed class AddonReexporter(Db db, AddonStore store, AddonMaterializer materializer, AddonHost host, ILogger<AddonReexporter> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await RefreshAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not export the installed addons again for the current addon host");
        }
    }

    /// <summary>Exports the stale versions again; answers how many this call refreshed.</summary>
    public async Task<int> RefreshAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(hashtextextended('anvil.addon-reexport', 0))", cancellationToken: cancellationToken));
        try
        {
            var fingerprint = AddonHostCode.Fingerprint;
            var stale = await store.StaleExportsAsync(fingerprint, cancellationToken);
            var refreshed = 0;
            foreach (var version in stale)
            {
                if (await store.FilesAsync(version.Name, version.Version, cancellationToken) is not { } files || files.PackageSha256 != version.PackageSha256)
                    continue;
                var folder = await materializer.EnsureAsync(files, cancellationToken);
                var export = await host.ExportAsync(folder, version.Name, version.Version, cancellationToken);
                if (await store.ReplaceExportAsync(version, export, fingerprint, cancellationToken))
                    refreshed++;
            }
            if (refreshed > 0)
                logger.LogInformation("Exported {Count} installed addon versions again for the current addon host", refreshed);
            return refreshed;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(hashtextextended('anvil.addon-reexport', 0))", cancellationToken: CancellationToken.None));
        }
    }
}
