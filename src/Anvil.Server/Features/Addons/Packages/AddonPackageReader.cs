using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Anvil.Server.Features.Addons.Packages;

/// <summary>A validated addon package: its name and version, its metadata, and the files of its version folder.</summary>
/// <param name="Name">The addon's name: letters, digits, <c>_</c> and <c>-</c>.</param>
/// <param name="Version">A semantic version.</param>
/// <param name="Metadata">Every top-level key of <c>package.py</c> / <c>package.yml</c> (or <c>manifest.json</c>, with
/// <c>addon_name</c> and <c>addon_version</c> as <c>name</c> and <c>version</c>), as written.</param>
/// <param name="Layout"><c>package</c> (the metadata file at the zip's root) or <c>manifest</c> (<c>manifest.json</c> with an <c>addon/</c> folder).</param>
/// <param name="Files">Regular files only, with paths relative to the version folder, separated by <c>/</c>.</param>
/// <param name="UnpackedBytes">The files' total size, as their zip entries declare it.</param>
public sealed record AddonPackage(string Name, string Version, JsonObject Metadata, string Layout, IReadOnlyList<PackageFile> Files, long UnpackedBytes);

public sealed record PackageFile(string Path, long Length);

public sealed record AddonPackageLimits(int MaxEntries, long MaxUnpackedBytes);

/// <summary>Why a package is refused, in a sentence a person can act on.</summary>
public sealed class InvalidAddonPackage(string message) : Exception(message);

/// <summary>
/// Opens an uploaded addon zip in either of AYON's layouts and refuses, before anything is written,
/// whatever could escape or overwhelm the version folder: entries outside it, links, devices,
/// duplicate paths, more entries or unpacked bytes than the limits, and metadata without a name or a
/// semantic version.
/// </summary>
public static partial class AddonPackageReader
{
    static readonly string[] MetadataFiles = ["package.yml", "package.yaml", "package.py"];

    /// <summary>Metadata files are a few kilobytes; a larger one is not a package file.</summary>
    const int MaxMetadataBytes = 1024 * 1024;

    public static AddonPackage Read(string zipPath, AddonPackageLimits limits)
    {
        using var stream = File.OpenRead(zipPath);
        var declaredEntries = ZipDirectory.CountEntries(stream)
            ?? throw new InvalidAddonPackage("The upload is not a zip archive (no zip directory found at its end)");
        if (declaredEntries > limits.MaxEntries)
            throw TooManyEntries(declaredEntries, limits);
        using var zip = Open(stream);
        if (zip.Entries.Count > limits.MaxEntries)
            throw TooManyEntries(zip.Entries.Count, limits);

        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            var path = EntryPath(entry);
            if (path.Length == 0)
                continue;
            if (!entries.TryAdd(path, entry))
                throw new InvalidAddonPackage($"The zip holds '{path}' twice");
        }

        var (layout, root, metadata) = Identify(entries);
        var name = Require(metadata, "name", layout);
        var version = Require(metadata, "version", layout);
        if (!AddonNamePattern().IsMatch(name))
            throw new InvalidAddonPackage($"The addon name '{name}' is not valid: use letters, digits, '_' and '-' (at most 64, starting with a letter or digit)");
        if (!SemVerPattern().IsMatch(version))
            throw new InvalidAddonPackage($"The version '{version}' of addon {name} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0 or 1.2.0-rc.1+dev)");

        var files = new List<PackageFile>();
        long unpacked = 0;
        foreach (var (path, entry) in entries)
        {
            if (!path.StartsWith(root, StringComparison.Ordinal) || entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                continue;
            unpacked += entry.Length;
            if (unpacked > limits.MaxUnpackedBytes)
                throw TooLarge(limits);
            files.Add(new PackageFile(path[root.Length..], entry.Length));
        }
        if (files.Count == 0)
            throw new InvalidAddonPackage($"The package of addon {name} {version} has no files");
        return new AddonPackage(name, version, metadata, layout, files, unpacked);
    }

    public static void Extract(string zipPath, AddonPackage package, string directory, AddonPackageLimits limits)
    {
        if (Directory.Exists(directory) || File.Exists(directory))
            throw new IOException($"{directory} already exists");
        var root = package.Layout == "manifest" ? "addon/" : "";
        var wanted = package.Files.ToDictionary(f => root + f.Path, StringComparer.Ordinal);
        var fullRoot = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(directory);
        try
        {
            using var zip = Open(File.OpenRead(zipPath));
            long written = 0;
            foreach (var entry in zip.Entries)
            {
                if (!wanted.TryGetValue(EntryPath(entry), out var file) || entry.FullName.EndsWith('/'))
                    continue;
                var target = Path.GetFullPath(Path.Combine(directory, file.Path));
                if (!target.StartsWith(fullRoot, StringComparison.Ordinal))
                    throw new InvalidAddonPackage($"'{file.Path}' would be written outside the version folder");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var input = entry.Open();
                using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                var buffer = new byte[81920];
                long entryBytes = 0;
                int read;
                while ((read = input.Read(buffer)) > 0)
                {
                    entryBytes += read;
                    written += read;
                    if (entryBytes > file.Length)
                        throw new InvalidAddonPackage($"'{file.Path}' unpacks to more than the {file.Length} bytes its zip entry declares");
                    if (written > limits.MaxUnpackedBytes)
                        throw TooLarge(limits);
                    output.Write(buffer, 0, read);
                }
            }
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    static ZipArchive Open(Stream stream)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false, Encoding.UTF8);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new InvalidAddonPackage($"The upload is not a readable zip archive: {e.Message}");
        }
    }

    /// <summary>The entry's path inside the zip, checked: relative, no <c>..</c>, no link, no device.</summary>
    static string EntryPath(ZipArchiveEntry entry)
    {
        var name = entry.FullName.Replace('\\', '/');
        if (name.Any(c => char.IsControl(c)))
            throw new InvalidAddonPackage($"The zip entry '{Printable(entry.FullName)}' has a control character in its name");
        if (name.StartsWith('/') || name.Length > 1 && name[1] == ':')
            throw new InvalidAddonPackage($"The zip entry '{entry.FullName}' has an absolute path");
        var segments = name.TrimEnd('/').Split('/');
        if (segments.Any(s => s == ".."))
            throw new InvalidAddonPackage($"The zip entry '{entry.FullName}' points outside the version folder");
        if (entry.IsEncrypted)
            throw new InvalidAddonPackage($"The zip entry '{entry.FullName}' is encrypted");
        var unixType = (entry.ExternalAttributes >> 16) & 0xF000;
        if (unixType == 0xA000)
            throw new InvalidAddonPackage($"The zip entry '{entry.FullName}' is a symbolic link; packages may hold only files and folders");
        if (unixType is not (0 or 0x8000 or 0x4000))
            throw new InvalidAddonPackage($"The zip entry '{entry.FullName}' is not a regular file");
        return string.Join('/', segments.Where(s => s is not ("" or ".")));
    }

    static string Printable(string s) => new([.. s.Select(c => char.IsControl(c) ? '?' : c)]);

    static (string Layout, string Root, JsonObject Metadata) Identify(Dictionary<string, ZipArchiveEntry> entries)
    {
        if (MetadataFiles.FirstOrDefault(entries.ContainsKey) is { } rootMetadata)
            return ("package", "", ReadMetadata(rootMetadata, entries[rootMetadata]));
        if (entries.TryGetValue("manifest.json", out var manifestEntry))
        {
            var manifest = ReadManifest(manifestEntry);
            if (!entries.Keys.Any(p => p.StartsWith("addon/", StringComparison.Ordinal)))
                throw new InvalidAddonPackage("The zip has manifest.json but no addon/ folder with the addon in it");
            if (MetadataFiles.FirstOrDefault(f => entries.ContainsKey("addon/" + f)) is { } inner)
            {
                var package = ReadMetadata(inner, entries["addon/" + inner]);
                foreach (var key in new[] { "name", "version" })
                {
                    if (package[key] is JsonValue p && manifest[key] is JsonValue m && p.ToJsonString() != m.ToJsonString())
                        throw new InvalidAddonPackage($"manifest.json and addon/{inner} disagree on the {key} ({m} and {p})");
                }
                foreach (var (key, value) in package)
                    manifest[key] = value?.DeepClone();
            }
            return ("manifest", "addon/", manifest);
        }
        var folders = entries.Keys.Select(p => p.Split('/')[0]).Distinct().ToList();
        var hint = folders.Count == 1 && MetadataFiles.Any(f => entries.ContainsKey($"{folders[0]}/{f}"))
            ? $" (its files sit in a folder '{folders[0]}/': zip the folder's contents, not the folder)"
            : "";
        throw new InvalidAddonPackage($"The zip has neither package.py, package.yml nor package.yaml, nor manifest.json with an addon/ folder, at its root{hint}");
    }

    static JsonObject ReadMetadata(string fileName, ZipArchiveEntry entry)
    {
        var text = ReadText(entry, fileName);
        return fileName == "package.py" ? PackagePy.Evaluate(text) : PackageYaml.Read(text, fileName);
    }

    static JsonObject ReadManifest(ZipArchiveEntry entry)
    {
        JsonObject manifest;
        try
        {
            manifest = JsonNode.Parse(ReadText(entry, "manifest.json")) as JsonObject
                ?? throw new InvalidAddonPackage("manifest.json is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidAddonPackage($"manifest.json is not valid JSON: {e.Message}");
        }
        var metadata = new JsonObject();
        foreach (var (key, value) in manifest)
        {
            var renamed = key switch { "addon_name" => "name", "addon_version" => "version", _ => key };
            metadata[renamed] = value?.DeepClone();
        }
        return metadata;
    }

    static string ReadText(ZipArchiveEntry entry, string fileName)
    {
        if (entry.Length > MaxMetadataBytes)
            throw new InvalidAddonPackage($"{fileName} is larger than {MaxMetadataBytes / 1024} KiB");
        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
        var buffer = new char[MaxMetadataBytes + 1];
        var length = reader.ReadBlock(buffer, 0, buffer.Length);
        if (length > MaxMetadataBytes)
            throw new InvalidAddonPackage($"{fileName} is larger than {MaxMetadataBytes / 1024} KiB");
        return new string(buffer, 0, length);
    }

    static string Require(JsonObject metadata, string key, string layout)
    {
        var source = layout == "manifest" ? $"manifest.json (addon_{key})" : "the package file";
        return metadata[key] switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) && text.Trim().Length > 0 => text.Trim(),
            null => throw new InvalidAddonPackage($"The addon has no {key}: {source} must set it"),
            _ => throw new InvalidAddonPackage($"The addon's {key} in {source} must be a string"),
        };
    }

    static InvalidAddonPackage TooManyEntries(long count, AddonPackageLimits limits) =>
        new($"The zip has {count} entries; at most {limits.MaxEntries} are allowed (AYON_ADDON_MAX_ENTRIES)");

    static InvalidAddonPackage TooLarge(AddonPackageLimits limits) =>
        new($"The package unpacks to more than {limits.MaxUnpackedBytes} bytes, the limit (AYON_ADDON_MAX_UNPACKED_SIZE)");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex AddonNamePattern();

    /// <summary>Semantic Versioning 2.0.0, as semver.org gives it.</summary>
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVerPattern();
}
