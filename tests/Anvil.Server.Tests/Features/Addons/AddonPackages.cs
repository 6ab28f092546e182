using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>A server with its own addon folder, a short export timeout and a small host memory limit.</summary>
public class AddonsApp : AnvilApp
{
    public string AddonsDir { get; } = Path.Combine(Path.GetTempPath(), "anvil-test-addons-" + Guid.NewGuid().ToString("N")[..10]);

    protected override IEnumerable<(string Variable, string Value)> Settings =>
    [
        ("AYON_ADDONS_DIR", AddonsDir),
        ("AYON_ADDON_EXPORT_TIMEOUT", "6"),
        ("AYON_ADDON_HOST_MEMORY_LIMIT", "400"),
        .. ExtraSettings,
    ];

    protected virtual IEnumerable<(string Variable, string Value)> ExtraSettings => [];
}

/// <summary>A second instance over the same database and Redis, with another addon folder.</summary>
public sealed class SecondAddonsApp : AddonsApp;

/// <summary>An instance with small package limits, for zip bombs and oversized uploads.</summary>
public sealed class SmallLimitsAddonsApp : AddonsApp
{
    protected override IEnumerable<(string Variable, string Value)> ExtraSettings =>
    [
        ("AYON_ADDON_MAX_ENTRIES", "20"),
        ("AYON_ADDON_MAX_UNPACKED_SIZE", "200000"),
        ("AYON_ADDON_MAX_PACKAGE_SIZE", "300000"),
    ];
}

/// <summary>Test addon zips, made at test time, and the calls that install them.</summary>
public static class AddonPackages
{
    /// <summary>The smallest server code the host loads: an addon class with no settings.</summary>
    public const string PlainServer = """
        from ayon_server.addons import BaseServerAddon


        class PlainAddon(BaseServerAddon):
            pass
        """;

    public static string PackagePy(string name, string version, string extra = "") =>
        $"name = \"{name}\"\nversion = \"{version}\"\ntitle = \"Title of {name}\"\n{extra}\n";

    /// <summary>A zip of the given files; a null content makes a folder entry.</summary>
    public static byte[] Zip(params (string Path, string? Content)[] files)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = zip.CreateEntry(path);
                if (content is null)
                    continue;
                using var stream = entry.Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }
        return memory.ToArray();
    }

    /// <summary>A package.py addon with plain server code and the given extra files.</summary>
    public static byte[] Simple(string name, string version = "1.0.0", params (string Path, string? Content)[] files) =>
        Zip([("package.py", PackagePy(name, version)), ("server/__init__.py", PlainServer), .. files]);

    /// <summary>A zip with a symbolic link entry pointing at <paramref name="target"/>.</summary>
    public static byte[] WithSymlink(string name, string linkPath, string target)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in new[] { ("package.py", PackagePy(name, "1.0.0")), ("server/__init__.py", PlainServer) })
            {
                using var stream = zip.CreateEntry(path).Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
            var link = zip.CreateEntry(linkPath);
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16));
            using var linkStream = link.Open();
            linkStream.Write(Encoding.UTF8.GetBytes(target));
        }
        return memory.ToArray();
    }

    /// <summary>Uploads a zip as the official client does (raw body, its session's JSON content type); answers the event id.</summary>
    public static async Task<string> UploadAsync(Api api, byte[] zip, int expect = 200)
    {
        var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var answer = await api.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/addons/install") { Content = content }, expect);
        return expect == 200 ? answer["eventId"]!.GetValue<string>() : "";
    }

    /// <summary>Waits until the install event has finished or failed; answers it.</summary>
    public static async Task<JsonNode> WaitAsync(Api api, string eventId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var e = await api.GetAsync($"/api/events/{eventId}");
            if (e["status"]!.GetValue<string>() is not ("in_progress" or "pending"))
                return e;
            Assert.True(DateTime.UtcNow < deadline, $"the install {eventId} is still running: {e.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Uploads and waits; asserts the install finished.</summary>
    public static async Task<JsonNode> InstallAsync(Api api, byte[] zip)
    {
        var done = await WaitAsync(api, await UploadAsync(api, zip));
        Assert.True(done["status"]!.GetValue<string>() == "finished", $"the install did not finish: {done.ToJsonString()}");
        return done;
    }

    /// <summary>Uploads and waits; asserts the install failed and answers its description.</summary>
    public static async Task<string> FailedInstallAsync(Api api, byte[] zip)
    {
        var done = await WaitAsync(api, await UploadAsync(api, zip));
        Assert.True(done["status"]!.GetValue<string>() == "failed", $"the install did not fail: {done.ToJsonString()}");
        return done["description"]!.GetValue<string>();
    }

    /// <summary>The catalogue entry of the addon, or null.</summary>
    public static async Task<JsonNode?> ListedAsync(Api api, string name, bool details = false) =>
        (await api.GetAsync(details ? "/api/addons?details=1" : "/api/addons"))["addons"]!.AsArray()
            .FirstOrDefault(a => a!["name"]!.GetValue<string>() == name);

    /// <summary>
    /// Zips a test addon source tree of <c>tests/addons/</c> under a unique name (the database is shared
    /// by every test class): the <c>name = ...</c> and <c>version = ...</c> lines of package.py are rewritten,
    /// and <paramref name="packageExtra"/> lines added to it.
    /// </summary>
    public static byte[] FromSourceTree(string tree, string name, string version = "1.0.0", string packageExtra = "")
    {
        var root = Path.Combine(Repository.Root, "tests", "addons", tree);
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Contains("__pycache__", StringComparison.Ordinal))
                    continue;
                var bytes = File.ReadAllBytes(file);
                if (relative == "package.py")
                    bytes = Encoding.UTF8.GetBytes(string.Join('\n', Encoding.UTF8.GetString(bytes).Split('\n').Select(line =>
                        line.StartsWith("name =", StringComparison.Ordinal) || line.StartsWith("name=", StringComparison.Ordinal) ? $"name = \"{name}\""
                        : line.StartsWith("version =", StringComparison.Ordinal) || line.StartsWith("version=", StringComparison.Ordinal) ? $"version = \"{version}\""
                        : line)) + (packageExtra.Length > 0 ? "\n" + packageExtra + "\n" : ""));
                using var stream = zip.CreateEntry(relative).Open();
                stream.Write(bytes);
            }
        }
        return memory.ToArray();
    }
}
