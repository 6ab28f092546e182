using System.Collections.Concurrent;
using Anvil.Server.Features.Addons.Packages;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// Unpacks addon versions into this instance's <c>AYON_ADDONS_DIR</c> on demand: the stored package is
/// read into a temporary zip, checked and extracted into a temporary folder, which is then renamed to
/// <c>&lt;name&gt;/&lt;version&gt;@&lt;sha12&gt;</c> — atomic, so a folder under that name is always
/// complete. The package is immutable per SHA-256, so a folder once made stays right; a reinstall with
/// other bytes gets another folder.
/// </summary>
public sealed class AddonMaterializer(AyonOptions options, AddonStore store, ILogger<AddonMaterializer> logger)
{
    readonly ConcurrentDictionary<string, Lazy<Task<string>>> _making = new(StringComparer.Ordinal);

    public string Root { get; } = options.AddonsDirectory;

    public AddonPackageLimits Limits { get; } = new(options.AddonMaxEntries, options.AddonMaxUnpackedSize);

    /// <summary>The folder a version with this package is (or will be) unpacked in.</summary>
    public string FolderOf(string name, string version, string sha256) =>
        Path.Combine(Root, SafeSegment(name), $"{SafeSegment(version)}@{sha256[..12]}");

    /// <summary>A new empty temporary path under the root (same file system as the version folders).</summary>
    public string TempPath(string suffix = "")
    {
        var temp = Path.Combine(Root, ".tmp");
        Directory.CreateDirectory(temp);
        return Path.Combine(temp, Guid.NewGuid().ToString("N") + suffix);
    }

    /// <summary>The version's folder, unpacked from the database first if this instance has not yet.</summary>
    public async Task<string> EnsureAsync(AddonVersionFiles version, CancellationToken cancellationToken)
    {
        var folder = FolderOf(version.Name, version.Version, version.PackageSha256);
        if (Directory.Exists(folder))
            return folder;
        var making = _making.GetOrAdd(folder, _ => new Lazy<Task<string>>(() => MakeFromStoreAsync(version, folder)));
        try
        {
            return await making.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (making.Value.IsCompleted)
                _making.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(folder, making));
        }
    }

    async Task<string> MakeFromStoreAsync(AddonVersionFiles version, string folder)
    {
        await Task.Yield();
        var zip = TempPath(".zip");
        try
        {
            if (!await store.ReadPackageAsync(version.PackageSha256, zip, CancellationToken.None))
                throw new NotFound($"Addon {version.Name} {version.Version} not found");
            var package = AddonPackageReader.Read(zip, Limits);
            return Install(zip, package, folder);
        }
        finally
        {
            TryDelete(zip);
        }
    }

    /// <summary>Unpacks a checked package into <paramref name="folder"/> unless it is there already.</summary>
    public string Install(string zipPath, AddonPackage package, string folder)
    {
        if (Directory.Exists(folder))
            return folder;
        var temp = TempPath();
        try
        {
            AddonPackageReader.Extract(zipPath, package, temp, Limits);
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            try
            {
                Directory.Move(temp, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another materialiser won the race; its folder is as good as ours.
            }
            logger.LogDebug("Unpacked addon {Name} {Version} into {Folder}", package.Name, package.Version, folder);
            return folder;
        }
        finally
        {
            TryDeleteDirectory(temp);
        }
    }

    /// <summary>Removes this instance's unpacked folders of the addon (every version, or one).</summary>
    public void Forget(string name, string? version)
    {
        var addon = Path.Combine(Root, SafeSegment(name));
        if (!Directory.Exists(addon))
            return;
        foreach (var folder in Directory.EnumerateDirectories(addon))
            if (version is null || Path.GetFileName(folder).StartsWith(SafeSegment(version) + "@", StringComparison.Ordinal))
                TryDeleteDirectory(folder);
    }

    /// <summary>A name or version as one path segment: they are checked on install, this only guards the file system.</summary>
    static string SafeSegment(string value) =>
        value.Length == 0 || value is "." or ".." || value.IndexOfAny(['/', '\\', '\0']) >= 0
            ? throw new ArgumentException($"'{value}' cannot name a folder")
            : value;

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
