using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Desktop;

/// <summary>The two kinds of desktop files: launcher installers and dependency packages.</summary>
public enum DesktopKind
{
    Installer,
    DependencyPackage,
}

/// <summary>
/// The manifests of installers and dependency packages in AYON's shape, checked field by field: a bad
/// field is a 400 naming it. The stored (and served) manifest holds exactly the fields below.
/// </summary>
public static partial class DesktopManifest
{
    public static readonly string[] Platforms = ["windows", "linux", "darwin"];

    /// <summary>Hex digest length per algorithm the launcher can verify.</summary>
    static readonly Dictionary<string, int> DigestLengths = new(StringComparer.Ordinal)
    {
        ["md5"] = 32,
        ["sha1"] = 40,
        ["sha256"] = 64,
    };

    public static string Column(DesktopKind kind) => kind == DesktopKind.Installer ? "installer" : "dependency_package";

    public static string Noun(DesktopKind kind) => kind == DesktopKind.Installer ? "Installer" : "Dependency package";

    /// <summary>A file name a URL segment and every file system can carry: letters, digits, '.', '_', '-', '+'; no leading dot.</summary>
    public static bool IsSafeFilename(string? filename) =>
        filename is { Length: > 0 and <= 255 } && FilenameRegex().IsMatch(filename) && !filename.Contains("..", StringComparison.Ordinal);

    /// <summary>Checks a <c>POST</c> body and answers the manifest to store.</summary>
    public static JsonObject Validate(DesktopKind kind, JsonObject body)
    {
        var filename = RequiredString(body, "filename");
        if (!IsSafeFilename(filename))
            throw BadRequest.Field("filename", "must be a plain file name: letters, digits, '.', '_', '-' or '+', not starting with '.', no '..'");
        var platform = RequiredString(body, "platform");
        if (!Platforms.Contains(platform))
            throw BadRequest.Field("platform", "must be windows, linux or darwin");
        var algorithm = OptionalString(body, "checksumAlgorithm") ?? "md5";
        if (!DigestLengths.TryGetValue(algorithm, out var digestLength))
            throw BadRequest.Field("checksumAlgorithm", "must be md5, sha1 or sha256");
        var checksum = RequiredString(body, "checksum").ToLowerInvariant();
        if (checksum.Length != digestLength || !checksum.All(char.IsAsciiHexDigit))
            throw BadRequest.Field("checksum", $"must be the {digestLength}-digit hex {algorithm} digest of the file");
        var size = body["size"] is JsonValue sizeValue && sizeValue.TryGetValue<long>(out var s) ? s
            : body["size"] is JsonValue d && d.TryGetValue<double>(out var f) && f == Math.Floor(f) && f is >= 0 and < long.MaxValue ? (long)f
            : throw BadRequest.Field("size", "must be the file's size in bytes (an integer)");
        if (size < 0)
            throw BadRequest.Field("size", "must not be negative");

        var manifest = new JsonObject { ["filename"] = filename, ["platform"] = platform };
        if (kind == DesktopKind.Installer)
        {
            manifest["version"] = Version(body, "version", required: true);
            var pythonVersion = RequiredString(body, "pythonVersion");
            if (!PythonVersionRegex().IsMatch(pythonVersion))
                throw BadRequest.Field("pythonVersion", "must be a Python version such as 3.11.9");
            manifest["pythonVersion"] = pythonVersion;
            manifest["pythonModules"] = Modules(body, "pythonModules");
            manifest["runtimePythonModules"] = Modules(body, "runtimePythonModules");
        }
        else
        {
            manifest["installerVersion"] = Version(body, "installerVersion", required: false);
            manifest["sourceAddons"] = Modules(body, "sourceAddons");
            manifest["pythonModules"] = Modules(body, "pythonModules");
        }
        manifest["size"] = size;
        manifest["checksum"] = checksum;
        manifest["checksumAlgorithm"] = algorithm;
        manifest["sources"] = Sources(body["sources"], "sources");
        return manifest;
    }

    /// <summary>Checks a list of sources: <c>server</c> (optional <c>filename</c>), <c>http</c> (<c>url</c>, optional <c>filename</c>, <c>headers</c>), <c>filesystem</c> (<c>path</c> per platform).</summary>
    public static JsonArray Sources(JsonNode? node, string field)
    {
        if (node is null)
            return [];
        if (node is not JsonArray list)
            throw BadRequest.Field(field, "must be a list of sources");
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"{field}.{i}";
            if (list[i] is not JsonObject source)
                throw BadRequest.Field(at, "must be an object with a type");
            var type = source["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
            var clean = new JsonObject { ["type"] = type };
            switch (type)
            {
                case "server":
                    CopyString(source, clean, "filename", at);
                    CopyString(source, clean, "path", at);
                    break;
                case "http":
                    var url = source["url"] is JsonValue u && u.GetValueKind() == JsonValueKind.String ? u.GetValue<string>() : null;
                    if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                        throw BadRequest.Field($"{at}.url", "an http source needs an http:// or https:// url");
                    clean["url"] = url;
                    CopyString(source, clean, "filename", at);
                    if (source["headers"] is JsonObject headers)
                    {
                        foreach (var (name, value) in headers)
                            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                                throw BadRequest.Field($"{at}.headers.{name}", "must be a string");
                        clean["headers"] = headers.DeepClone();
                    }
                    else if (source["headers"] is not null)
                        throw BadRequest.Field($"{at}.headers", "must be an object of strings");
                    break;
                case "filesystem":
                    if (source["path"] is not JsonObject paths || paths.Any(p => !Platforms.Contains(p.Key) || p.Value is not null && p.Value.GetValueKind() != JsonValueKind.String))
                        throw BadRequest.Field($"{at}.path", "a filesystem source needs path: {windows, linux, darwin}");
                    clean["path"] = new JsonObject(Platforms.Select(p => KeyValuePair.Create(p, paths[p]?.DeepClone())));
                    break;
                default:
                    throw BadRequest.Field($"{at}.type", "must be server, http or filesystem");
            }
            result.Add(clean);
        }
        return result;
    }

    /// <summary>The sources with a <c>server</c> source first, added when the file is uploaded and none is listed.</summary>
    public static JsonArray WithServerSource(JsonArray sources)
    {
        if (sources.Any(s => s?["type"]?.GetValue<string>() == "server"))
            return sources;
        var result = new JsonArray(new JsonObject { ["type"] = "server" });
        foreach (var source in sources)
            result.Add(source?.DeepClone());
        return result;
    }

    static void CopyString(JsonObject from, JsonObject to, string key, string at)
    {
        var value = from[key];
        if (value is null)
            return;
        if (value.GetValueKind() != JsonValueKind.String)
            throw BadRequest.Field($"{at}.{key}", "must be a string");
        to[key] = value.GetValue<string>();
    }

    static string RequiredString(JsonObject body, string field) =>
        OptionalString(body, field) is { Length: > 0 } value ? value : throw BadRequest.Field(field, "is required");

    static string? OptionalString(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw BadRequest.Field(field, "must be a string"),
    };

    static string? Version(JsonObject body, string field, bool required)
    {
        var value = required ? RequiredString(body, field) : OptionalString(body, field);
        if (value is null)
            return null;
        if (!SemverRegex().IsMatch(value))
            throw BadRequest.Field(field, "must be a version such as 1.2.3 or 1.2.3-beta.1+build");
        return value;
    }

    /// <summary><c>{name: version}</c> maps (python modules, source addons): an object of strings.</summary>
    static JsonObject Modules(JsonObject body, string field)
    {
        var node = body[field];
        if (node is null)
            return [];
        if (node is not JsonObject map)
            throw BadRequest.Field(field, "must be an object {name: version}");
        foreach (var (name, value) in map)
            if (value is null || value.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Object))
                throw BadRequest.Field($"{field}.{name}", "must be a version string");
        return (JsonObject)map.DeepClone();
    }

    [GeneratedRegex(@"^[A-Za-z0-9_+\-][A-Za-z0-9._+\-]*$")]
    private static partial Regex FilenameRegex();

    [GeneratedRegex(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.\-]+)?(\+[0-9A-Za-z.\-]+)?$")]
    private static partial Regex SemverRegex();

    [GeneratedRegex(@"^[0-9]+\.[0-9]+(\.[0-9]+)?([a-z0-9.+\-]*)$")]
    private static partial Regex PythonVersionRegex();
}
