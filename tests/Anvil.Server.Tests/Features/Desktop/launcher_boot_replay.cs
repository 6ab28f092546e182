using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Features.Bundles;
using Anvil.Server.Tests.Features.Sites;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Desktop.DesktopFiles;

namespace Anvil.Server.Tests.Features.Desktop;

/// <summary>
/// The AYON launcher's boot (pipeline-clients §1.2, steps 1–12) replayed request by request against a
/// server holding our own test addons, a production bundle, an installer and a dependency package:
/// every field the launcher reads is checked where it reads it, and the downloads are made as its client
/// makes them — Content-Length first, an interrupted download resumed with Range, the checksum verified.
/// </summary>
[Collection(BundlesCollection.Name)]
public sealed class launcher_boot_replay(AddonsApp app) : IClassFixture<AddonsApp>
{
    const string RunningLauncher = "1.6.3";
    const string BundleLauncher = "1.6.4";

    [Fact]
    public async Task a_launcher_boots_through_every_step_and_gets_every_file_it_needs()
    {
        // Setup, as a studio admin does it: addons, the files, a production bundle.
        var admin = app.Service();
        var core = Unique.Name("core");
        var plain = Unique.Name("srv");
        var clientZip = ClientZip(core);
        await AddonPackages.InstallAsync(admin, AddonWithClient(core, "1.2.0", clientZip));
        await BundleWorld.AddonAsync(admin, "srv", name: plain);
        var installerBytes = RandomBytes(DesktopStoreChunk + 4321);
        var installerName = $"AYON-{BundleLauncher}-linux-{Guid.NewGuid():N}.tar.gz";
        await admin.PostAsync("/api/desktop/installers", Installer(installerName, installerBytes, BundleLauncher), expect: 201);
        await UploadAsync(admin, $"/api/desktop/installers/{installerName}", installerBytes);
        var depsBytes = RandomBytes(DesktopStoreChunk * 2 + 99);
        var depsName = $"ayon_{Guid.NewGuid():N}_linux.zip";
        await admin.PostAsync("/api/desktop/dependencyPackages",
            DependencyPackage(depsName, depsBytes, new JsonObject { [core] = "1.2.0" }, installerVersion: BundleLauncher), expect: 201);
        await UploadAsync(admin, $"/api/desktop/dependencyPackages/{depsName}", depsBytes);
        var bundleName = Unique.Name("prod");
        var bundleBody = BundleWorld.CreateBody(bundleName, new JsonObject { [core] = "1.2.0", [plain] = "1.0.0" }, BundleLauncher);
        bundleBody["isProduction"] = true;
        bundleBody["dependencyPackages"] = new JsonObject { ["linux"] = depsName };
        await admin.PostAsync("/api/bundles", bundleBody, expect: 201);
        var artistName = await Users.CreateAsync(app);

        // 1. The URL check: a bare GET /api/info must answer JSON.
        var bare = app.Anonymous();
        Assert.NotNull((await bare.GetAsync("/api/info"))["version"]);

        // 2. The stored token is checked (none yet): GET / answers 200, users/me 401.
        await bare.GetAsync("/", expect: 200);
        await bare.GetAsync("/api/users/me", expect: 401);

        // 3. Password login.
        var token = (await bare.PostAsync("/api/auth/login", new { name = artistName, password = Users.Password }))["token"]!.GetValue<string>();

        // 4. create_connection(site_id, AYON_VERSION): GET /, GET /api/info with the site headers (registers the site), users/me.
        var site = SiteHeaders.NewSiteId();
        var launcher = app.Anonymous();
        launcher.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        launcher.OnSite(site, "linux", "render-07", RunningLauncher);
        await launcher.GetAsync("/", expect: 200);
        var info = await launcher.GetAsync("/api/info");
        Assert.Matches(@"^\d+\.\d+\.\d+$", info["version"]!.GetValue<string>());
        var registered = info["sites"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == site)!;
        Assert.Equal("linux", registered["platform"]!.GetValue<string>());
        Assert.Equal(RunningLauncher, registered["version"]!.GetValue<string>());
        Assert.Equal(artistName, (await launcher.GetAsync("/api/users/me"))["name"]!.GetValue<string>());

        // 5. Bundles: every key the launcher's Bundle.from_dict reads without .get must be there.
        var bundles = await launcher.GetAsync("/api/bundles");
        foreach (var item in bundles["bundles"]!.AsArray())
            foreach (var key in new[] { "name", "isProduction", "isStaging" })
                Assert.True(item!.AsObject().ContainsKey(key), $"bundle {item["name"]} lacks {key}");
        var bundle = BundleWorld.StudioBundle(bundles.AsObject(), artistName)!;
        Assert.Equal(bundleName, bundle["name"]!.GetValue<string>());
        Assert.Equal(BundleLauncher, bundle["installerVersion"]!.GetValue<string>());
        Assert.Equal("1.2.0", bundle["addons"]![core]!.GetValue<string>());
        Assert.Equal(depsName, bundle["dependencyPackages"]!["linux"]!.GetValue<string>());
        Assert.NotNull(bundle["addonDevelopment"]!.AsObject());
        Assert.False(bundle["isDev"]!.GetValue<bool>());

        // 6. The current user, for the dev bundle pick.
        Assert.Equal(artistName, (await launcher.GetAsync("/api/users/me"))["name"]!.GetValue<string>());

        // 7. (AYON_PROJECT_NAME unset: no project bundle.) 7b is skipped with it.

        // 8. Disk mapping: GET /api/settings for the studio bundle, no variant.
        var settings = await launcher.GetAsync($"/api/settings?bundle_name={bundleName}");
        var settingsAddons = settings["addons"]!.AsArray().Select(a => (a!["name"]!.GetValue<string>(), a["version"]!.GetValue<string>())).ToList();
        Assert.Contains((core, "1.2.0"), settingsAddons);
        Assert.Contains((plain, "1.0.0"), settingsAddons);

        // 9. Installer check: a built launcher of another version looks for the bundle's installer for its platform.
        Assert.NotEqual(RunningLauncher, bundle["installerVersion"]!.GetValue<string>());
        var installer = (await launcher.GetAsync("/api/desktop/installers"))["installers"]!.AsArray()
            .Single(i => i!["version"]!.GetValue<string>() == BundleLauncher && i["platform"]!.GetValue<string>() == "linux"
                && i["filename"]!.GetValue<string>() == installerName)!;
        Assert.Equal(installerBytes.Length, installer["size"]!.GetValue<long>());
        Assert.Equal("md5", installer["checksumAlgorithm"]!.GetValue<string>());
        Assert.Equal("3.11.9", installer["pythonVersion"]!.GetValue<string>());
        Assert.NotNull(installer["pythonModules"]!.AsObject());
        Assert.NotNull(installer["runtimePythonModules"]!.AsObject());
        var installerSource = ServerSource(installer);

        // 10. Addon list with client sources.
        var addons = (await launcher.GetAsync("/api/addons?details=1"))["addons"]!.AsArray();
        var coreItem = addons.Single(a => a!["name"]!.GetValue<string>() == core)!;
        Assert.NotNull(coreItem["title"]);
        var coreSource = coreItem["versions"]!["1.2.0"]!["clientSourceInfo"]!.AsArray().Single()!;
        Assert.Equal("server", coreSource["type"]!.GetValue<string>());
        Assert.Equal("client.zip", coreSource["filename"]!.GetValue<string>());
        var plainItem = addons.Single(a => a!["name"]!.GetValue<string>() == plain)!;
        Assert.Null(plainItem["versions"]!["1.0.0"]!["clientSourceInfo"]);

        // 11. Dependency packages: the item named by the bundle, with every key DependencyItem.from_dict indexes.
        var package = (await launcher.GetAsync("/api/desktop/dependencyPackages"))["packages"]!.AsArray()
            .Single(p => p!["filename"]!.GetValue<string>() == depsName)!;
        foreach (var key in new[] { "filename", "platform", "checksum", "sourceAddons", "pythonModules" })
            Assert.True(package.AsObject().ContainsKey(key), $"the dependency package lacks {key}");
        Assert.Equal("linux", package["platform"]!.GetValue<string>());
        Assert.Equal("1.2.0", package["sourceAddons"]![core]!.GetValue<string>());
        Assert.Equal("sha256", package["checksumAlgorithm"]!.GetValue<string>());
        var packageSource = ServerSource(package);

        // 12. Downloads. The addon's client.zip from /addons/{name}/{version}/private/{filename}.
        var addonDownload = await DownloadAsync(launcher, $"/addons/{core}/1.2.0/private/{coreSource["filename"]!.GetValue<string>()}");
        Assert.Equal(HttpStatusCode.OK, addonDownload.StatusCode);
        Assert.Equal(clientZip.Length, addonDownload.Content.Headers.ContentLength);
        var addonBytes = await addonDownload.Content.ReadAsByteArrayAsync();
        Assert.Equal(clientZip, addonBytes);
        using (var unpacked = new ZipArchive(new MemoryStream(addonBytes)))
            Assert.NotNull(unpacked.GetEntry($"{core}/__init__.py"));

        // The dependency package: the connection drops part-way, the client resumes from its offset with Range.
        var packagePath = $"/api/desktop/dependencyPackages/{packageSource}";
        var first = await DownloadAsync(launcher, packagePath);
        var contentSize = first.Content.Headers.ContentLength!.Value;
        var received = new byte[DesktopStoreChunk + 12345];
        await using (var stream = await first.Content.ReadAsStreamAsync())
            await stream.ReadExactlyAsync(received);
        first.Dispose();
        var resumed = await DownloadAsync(launcher, packagePath, r => r.Headers.Range = new RangeHeaderValue(received.Length, null));
        Assert.Equal(HttpStatusCode.PartialContent, resumed.StatusCode);
        var package12 = received.Concat(await resumed.Content.ReadAsByteArrayAsync()).ToArray();
        Assert.Equal(contentSize, package12.Length);
        Assert.Equal(package["checksum"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(package12)));

        // The installer, checked with its md5 and size.
        var installerDownload = await DownloadAsync(launcher, $"/api/desktop/installers/{installerSource}");
        Assert.Equal(installer["size"]!.GetValue<long>(), installerDownload.Content.Headers.ContentLength);
        var installer12 = await installerDownload.Content.ReadAsByteArrayAsync();
        Assert.Equal(installer["checksum"]!.GetValue<string>(), Convert.ToHexStringLower(MD5.HashData(installer12)));

        // And the site the boot registered resolves roots for its own platform (ayon-core's Anatomy, next).
        var project = await TestProjects.CreateAsync(app);
        var roots = await admin.GetAsync($"/api/projects/{project}/siteRoots?site_id={site}");
        Assert.NotNull(roots["work"]);
    }

    const int DesktopStoreChunk = Anvil.Server.Features.Desktop.DesktopStore.ChunkSize;

    /// <summary>The file name a server source points at, filled from the item as the launcher does when it has none.</summary>
    static string ServerSource(JsonNode item)
    {
        var source = item["sources"]!.AsArray().First(s => s!["type"]!.GetValue<string>() == "server")!;
        return source["filename"]?.GetValue<string>() ?? item["filename"]!.GetValue<string>();
    }

    /// <summary>The client code zip a launcher unpacks into {addons}/{name}_{version}/.</summary>
    static byte[] ClientZip(string name)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var init = zip.CreateEntry($"{name}/__init__.py").Open();
            init.Write(Encoding.UTF8.GetBytes("ADDON_VERSION = \"1.2.0\"\n"));
        }
        return memory.ToArray();
    }

    /// <summary>An addon package with server code and <c>private/client.zip</c>.</summary>
    static byte[] AddonWithClient(string name, string version, byte[] clientZip)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string path, byte[] bytes)
            {
                using var stream = zip.CreateEntry(path).Open();
                stream.Write(bytes);
            }
            Add("package.py", Encoding.UTF8.GetBytes(AddonPackages.PackagePy(name, version)));
            Add("server/__init__.py", Encoding.UTF8.GetBytes(AddonPackages.PlainServer));
            Add("private/client.zip", clientZip);
        }
        return memory.ToArray();
    }
}
