// TEMPORARY: a stand-in for the lead's AddonPackageReader (contract §1), so the platform compiles and its
// tests run before branch addons-reader is merged. Delete this file when merging addons-reader.
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Anvil.Server.Features.Addons.Packages;

public sealed record AddonPackage(string Name, string Version, JsonObject Metadata, string Layout, IReadOnlyList<PackageFile> Files, long UnpackedBytes);

public sealed record PackageFile(string Path, long Length);

public sealed record AddonPackageLimits(int MaxEntries, long MaxUnpackedBytes);

public sealed class InvalidAddonPackage(string message) : Exception(message);

public static partial class AddonPackageReader
{
    public static AddonPackage Read(string zipPath, AddonPackageLimits limits)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(zipPath); }
        catch (InvalidDataException) { throw new InvalidAddonPackage("the upload is not a zip file"); }
        using (zip)
        {
            if (zip.Entries.Count > limits.MaxEntries)
                throw new InvalidAddonPackage($"the zip has {zip.Entries.Count} entries; at most {limits.MaxEntries} are allowed (AYON_ADDON_MAX_ENTRIES)");
            var manifest = zip.GetEntry("manifest.json");
            var prefix = manifest is not null && zip.GetEntry("package.py") is null ? "addon/" : "";
            var files = new List<PackageFile>();
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                if (name.Contains('\\') || name.Contains('\0') || name.StartsWith('/') || name.Split('/').Any(s => s == ".."))
                    throw new InvalidAddonPackage($"the entry '{name}' points outside the addon folder");
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
                    throw new InvalidAddonPackage($"the entry '{name}' is a symbolic link; links are not allowed");
                if (name.EndsWith('/'))
                    continue;
                total += entry.Length;
                if (total > limits.MaxUnpackedBytes)
                    throw new InvalidAddonPackage($"the zip unpacks to more than {limits.MaxUnpackedBytes} bytes (AYON_ADDON_MAX_UNPACKED_SIZE)");
                if (prefix.Length > 0)
                {
                    if (!name.StartsWith(prefix, StringComparison.Ordinal))
                        continue;
                    name = name[prefix.Length..];
                }
                files.Add(new PackageFile(name, entry.Length));
            }
            JsonObject metadata;
            string layout;
            if (prefix.Length > 0)
            {
                using var reader = new StreamReader(manifest!.Open());
                var json = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
                metadata = new JsonObject { ["name"] = json["addon_name"]?.DeepClone(), ["version"] = json["addon_version"]?.DeepClone() };
                layout = "manifest";
            }
            else if (zip.GetEntry("package.py") is { } py)
            {
                metadata = [];
                using var reader = new StreamReader(py.Open());
                foreach (var line in reader.ReadToEnd().Split('\n'))
                    if (Assignment().Match(line) is { Success: true } m)
                        metadata[m.Groups[1].Value] = m.Groups[3].Value;
                    else if (BoolAssignment().Match(line) is { Success: true } b)
                        metadata[b.Groups[1].Value] = b.Groups[2].Value == "True";
                layout = "package";
            }
            else if ((zip.GetEntry("package.yml") ?? zip.GetEntry("package.yaml")) is { } yml)
            {
                metadata = [];
                using var reader = new StreamReader(yml.Open());
                foreach (var line in reader.ReadToEnd().Split('\n'))
                    if (YamlLine().Match(line) is { Success: true } m)
                        metadata[m.Groups[1].Value] = m.Groups[2].Value.Trim().Trim('"', '\'');
                layout = "package";
            }
            else
                throw new InvalidAddonPackage("the zip has neither a package.py, package.yml or package.yaml at its root nor a manifest.json with an addon/ folder");
            var addonName = metadata["name"]?.GetValue<string>() ?? throw new InvalidAddonPackage("the package names no addon (name)");
            var version = metadata["version"]?.GetValue<string>() ?? throw new InvalidAddonPackage("the package gives no version");
            if (!SemVer().IsMatch(version))
                throw new InvalidAddonPackage($"the version '{version}' is not a semantic version (x.y.z)");
            return new AddonPackage(addonName, version, metadata, layout, files, total);
        }
    }

    public static void Extract(string zipPath, AddonPackage package, string directory, AddonPackageLimits limits)
    {
        Directory.CreateDirectory(directory);
        using var zip = ZipFile.OpenRead(zipPath);
        var prefix = package.Layout == "manifest" ? "addon/" : "";
        foreach (var file in package.Files)
        {
            var entry = zip.GetEntry(prefix + file.Path)!;
            var target = Path.Combine(directory, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target);
        }
    }

    [GeneratedRegex("""^([a-z_][a-z0-9_]*)\s*=\s*(["'])(.*)\2\s*$""")]
    private static partial Regex Assignment();

    [GeneratedRegex("""^([a-z_][a-z0-9_]*)\s*=\s*(True|False)\s*$""")]
    private static partial Regex BoolAssignment();

    [GeneratedRegex("""^([a-z_][a-z0-9_]*):\s*(.+)$""")]
    private static partial Regex YamlLine();

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
