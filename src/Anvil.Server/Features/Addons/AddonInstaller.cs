using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Anvil.Server.Data;
using Anvil.Server.Features.Addons.Packages;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Addons;

/// <summary>One queued install: a zip already received (<see cref="ZipPath"/>) or one to download (<see cref="Url"/>).</summary>
public sealed record InstallRequest(Guid EventId, string User, string? ZipPath, Uri? Url);

/// <summary>
/// Installs addons in the background, each as an <c>addon.install</c> event that moves from
/// <c>in_progress</c> to <c>finished</c> or <c>failed</c> (with a description a person can act on).
/// A bounded queue feeds a few workers. A package is checked, unpacked, exported by the addon host and
/// then stored in one transaction: nothing is visible until all of it is there, and a failure leaves
/// nothing behind. At start, install events that a server which died long ago left in progress are
/// marked failed.
/// </summary>
public sealed class AddonInstaller(
    AyonOptions options, AddonStore store, AddonMaterializer materializer, AddonHost host, EventStore events, Db db,
    ILogger<AddonInstaller> logger) : BackgroundService
{
    public const string Topic = "addon.install";

    const int Workers = 2;
    const int QueueCapacity = 64;

    /// <summary>How long past the export timeout an install may go without news before a starting server calls it interrupted.</summary>
    static readonly TimeSpan InterruptedMargin = TimeSpan.FromMinutes(10);

    static readonly HttpClient Downloads = new(new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 5 })
    {
        Timeout = TimeSpan.FromMinutes(30),
    };

    readonly Channel<InstallRequest> _queue = Channel.CreateBounded<InstallRequest>(new BoundedChannelOptions(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    int _active;

    /// <summary>Installs queued or running on this instance.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Receives a zip body into a temporary file (never whole in memory), within the size limit.</summary>
    public async Task<string> ReceiveAsync(Stream body, CancellationToken cancellationToken)
    {
        var path = materializer.TempPath(".zip");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await CopyLimitedAsync(body, file, cancellationToken);
            if (file.Length == 0)
                throw BadRequest.Field("body", "send the addon zip as the request body, or give ?url= to download it");
            return path;
        }
        catch
        {
            AddonMaterializer.TryDelete(path);
            throw;
        }
    }

    async Task CopyLimitedAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > options.AddonMaxPackageSize)
                throw new AyonError(413, $"The addon package is larger than {options.AddonMaxPackageSize} bytes (AYON_ADDON_MAX_PACKAGE_SIZE)");
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    /// <summary>Records the <c>addon.install</c> event and queues the install; answers the event's id.</summary>
    public async Task<Guid> EnqueueAsync(string user, string? zipPath, Uri? url, string? addonName, string? addonVersion, CancellationToken cancellationToken)
    {
        var summary = new JsonObject();
        if (addonName is not null)
            summary["addonName"] = addonName;
        if (addonVersion is not null)
            summary["addonVersion"] = addonVersion;
        if (url is not null)
            summary["url"] = url.ToString();
        Interlocked.Increment(ref _active);
        try
        {
            var id = await events.DispatchAsync(new NewEvent
            {
                Topic = Topic,
                User = user,
                Status = "in_progress",
                Description = url is null ? "Installing an addon from an upload" : $"Downloading an addon from {url}",
                Summary = summary,
            }, cancellationToken);
            if (!_queue.Writer.TryWrite(new InstallRequest(id, user, zipPath, url)))
            {
                await FailAsync(id, "Too many addon installs are queued on this server; try again when they have finished");
                throw new ServiceUnavailable("Too many addon installs are queued; try again later");
            }
            return id;
        }
        catch
        {
            Interlocked.Decrement(ref _active);
            throw;
        }
    }

    /// <summary>Waits until no install is queued or running on this instance, at most <paramref name="budget"/>; false if some still are.</summary>
    public async Task<bool> WaitForIdleAsync(TimeSpan budget, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + budget;
        while (Active > 0)
        {
            if (DateTime.UtcNow >= deadline)
                return false;
            await Task.Delay(100, cancellationToken);
        }
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await MarkInterruptedAsync(stoppingToken);
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => WorkAsync(stoppingToken)));
    }

    async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await InstallAsync(request, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // Shutting down: the event stays in progress and a later start calls it interrupted.
                    return;
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Addon install {EventId} failed unexpectedly", request.EventId);
                    await TryFailAsync(request.EventId, $"The install failed unexpectedly: {e.Message}");
                }
                finally
                {
                    Interlocked.Decrement(ref _active);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task InstallAsync(InstallRequest request, CancellationToken cancellationToken)
    {
        var zip = request.ZipPath;
        string? createdFolder = null;
        try
        {
            if (request.Url is { } url)
            {
                zip = materializer.TempPath(".zip");
                if (await DownloadAsync(url, zip, cancellationToken) is { } error)
                {
                    await FailAsync(request.EventId, error);
                    return;
                }
            }
            var (sha, size) = await HashAsync(zip!, cancellationToken);
            AddonPackage package;
            try
            {
                package = AddonPackageReader.Read(zip!, materializer.Limits);
            }
            catch (InvalidAddonPackage e)
            {
                await FailAsync(request.EventId, $"The addon package cannot be installed: {e.Message}");
                return;
            }
            var what = $"{package.Name} {package.Version}";
            await events.UpdateAsync(request.EventId, new EventChanges
            {
                Description = $"Installing addon {what}",
                Summary = new JsonObject { ["addonName"] = package.Name, ["addonVersion"] = package.Version },
            }, cancellationToken);

            var folder = materializer.FolderOf(package.Name, package.Version, sha);
            if (!Directory.Exists(folder))
                createdFolder = folder;
            try
            {
                materializer.Install(zip!, package, folder);
            }
            catch (InvalidAddonPackage e)
            {
                await FailAsync(request.EventId, $"The addon package cannot be installed: {e.Message}");
                return;
            }
            var pyproject = ReadPyproject(folder, package);
            var export = await host.ExportAsync(folder, package.Name, package.Version, cancellationToken);
            try
            {
                await store.StoreAsync(new AddonVersionToStore(package, zip!, sha, size, export, AddonHostCode.Fingerprint, pyproject, request.User), cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or IOException)
            {
                logger.LogError(e, "Could not store addon {Addon}", what);
                await FailAsync(request.EventId, $"Addon {what} could not be stored: {e.Message}");
                return;
            }
            createdFolder = null;
            await events.UpdateAsync(request.EventId, new EventChanges
            {
                Status = "finished",
                Description = export.IsBroken
                    ? $"Installed addon {what}, but it is broken: {export.Reason}"
                    : $"Installed addon {what}",
                Progress = 100,
            }, CancellationToken.None);
        }
        finally
        {
            if (zip is not null)
                AddonMaterializer.TryDelete(zip);
            if (createdFolder is not null)
                AddonMaterializer.TryDeleteDirectory(createdFolder);
        }
    }

    JsonObject? ReadPyproject(string folder, AddonPackage package)
    {
        const string path = "private/pyproject.toml";
        if (!package.Files.Any(f => f.Path == path))
            return null;
        try
        {
            return AyonJson.Settle(Pyproject.Parse(File.ReadAllText(Path.Combine(folder, path))));
        }
        catch (Exception e) when (e is Tomlyn.TomlException or IOException)
        {
            logger.LogWarning("Addon {Name} {Version}: {Path} cannot be read, clientPyproject is null: {Error}", package.Name, package.Version, path, e.Message);
            return null;
        }
    }

    /// <summary>Downloads within the package size limit; answers why it failed, or null.</summary>
    async Task<string?> DownloadAsync(Uri url, string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Downloads.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
                return $"Could not download the addon from {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}";
            if (response.Content.Headers.ContentLength > options.AddonMaxPackageSize)
                return $"Could not download the addon from {url}: it is larger than {options.AddonMaxPackageSize} bytes (AYON_ADDON_MAX_PACKAGE_SIZE)";
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await CopyLimitedAsync(body, file, cancellationToken);
            return null;
        }
        catch (AyonError e)
        {
            return $"Could not download the addon from {url}: {e.Message}";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? $"no answer within {Downloads.Timeout.TotalMinutes} minutes" : e.Message;
            return $"Could not download the addon from {url}: {reason}";
        }
    }

    static async Task<(string Sha, long Size)> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(file, cancellationToken);
        return (Convert.ToHexStringLower(hash), file.Length);
    }

    Task FailAsync(Guid id, string description) =>
        events.UpdateAsync(id, new EventChanges { Status = "failed", Description = description }, CancellationToken.None);

    async Task TryFailAsync(Guid id, string description)
    {
        try
        {
            await FailAsync(id, description);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not mark addon install {EventId} failed", id);
        }
    }

    /// <summary>Install events still in progress long after any install could have finished: their server died.</summary>
    async Task MarkInterruptedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var olderThan = TimeSpan.FromSeconds(options.AddonExportTimeout) + InterruptedMargin;
            await using var connection = await db.OpenAsync(cancellationToken);
            var ids = await connection.QueryAsync<Guid>(new CommandDefinition("""
                SELECT id FROM events
                WHERE topic = @topic AND status = 'in_progress' AND updated_at < now() - make_interval(secs => @seconds)
                """, new { topic = Topic, seconds = olderThan.TotalSeconds }, cancellationToken: cancellationToken));
            foreach (var id in ids)
                await FailAsync(id, "The install was interrupted: the server that ran it stopped before it finished. Upload the addon again.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Could not look for interrupted addon installs: {Error}", e.Message);
        }
    }

    /// <summary>Whether <paramref name="url"/> is an http(s) URL a download can start from.</summary>
    public static bool IsDownloadable(string url, out Uri? uri) =>
        Uri.TryCreate(url, UriKind.Absolute, out uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host);
}
