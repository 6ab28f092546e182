using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Desktop;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Desktop.DesktopFiles;

namespace Anvil.Server.Tests.Features.Desktop;

/// <summary>
/// <c>/api/desktop/installers</c> and <c>/api/desktop/dependencyPackages</c> as the official client and
/// the launcher use them: manifests, the raw upload with its checksum checked, and downloads with
/// Content-Length, ETag and Range.
/// </summary>
public sealed class desktop_files(AnvilApp app) : IClassFixture<AnvilApp>
{
    static string Name(string prefix, string extension = ".zip") => Unique.Name(prefix) + extension;

    [Fact]
    public async Task an_installer_is_registered_uploaded_listed_and_downloaded_whole()
    {
        var admin = app.Service();
        var file = RandomBytes(DesktopStore.ChunkSize * 2 + 12345);
        var filename = Name("AYON-installer", ".tar.gz");
        await admin.PostAsync("/api/desktop/installers", Installer(filename, file), expect: 201);
        await UploadAsync(admin, $"/api/desktop/installers/{filename}", file);

        var artist = await app.ArtistAsync();
        var listed = (await artist.GetAsync("/api/desktop/installers?platform=linux&version=1.6.4"))["installers"]!.AsArray()
            .Single(i => i!["filename"]!.GetValue<string>() == filename)!;
        var otherPlatform = (await artist.GetAsync("/api/desktop/installers?platform=windows"))["installers"]!.AsArray();
        var response = await DownloadAsync(artist, $"/api/desktop/installers/{filename}");
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("1.6.4", listed["version"]!.GetValue<string>());
        Assert.Equal("3.11.9", listed["pythonVersion"]!.GetValue<string>());
        Assert.Equal("linux", listed["platform"]!.GetValue<string>());
        Assert.Equal(file.Length, listed["size"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(file)), listed["checksum"]!.GetValue<string>());
        Assert.Equal("md5", listed["checksumAlgorithm"]!.GetValue<string>());
        Assert.Equal("2.32.3", listed["pythonModules"]!["requests"]!.GetValue<string>());
        Assert.Equal("2024.2.2", listed["runtimePythonModules"]!["certifi"]!.GetValue<string>());
        Assert.Equal("server", listed["sources"]![0]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(otherPlatform, i => i!["filename"]!.GetValue<string>() == filename);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(file.Length, response.Content.Headers.ContentLength);
        Assert.Equal("bytes", response.Headers.AcceptRanges.Single());
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(file))}\"", response.Headers.ETag!.Tag);
        Assert.Equal(file, body);
    }

    [Fact]
    public async Task an_interrupted_download_resumes_with_a_range_and_the_checksum_matches()
    {
        var admin = app.Service();
        var file = RandomBytes(DesktopStore.ChunkSize + DesktopStore.SliceSize + 777);
        var filename = Name("deps");
        await admin.PostAsync("/api/desktop/dependencyPackages", DependencyPackage(filename, file, new JsonObject { ["core"] = "1.0.0" }), expect: 201);
        await UploadAsync(admin, $"/api/desktop/dependencyPackages/{filename}", file);
        var path = $"/api/desktop/dependencyPackages/{filename}";

        // The launcher's client read this much before the connection dropped, then asks for the rest.
        var first = await DownloadAsync(admin, path);
        var received = new byte[DesktopStore.ChunkSize - 100];
        await using (var stream = await first.Content.ReadAsStreamAsync())
            await stream.ReadExactlyAsync(received);
        first.Dispose();
        var rest = await DownloadAsync(admin, path, r => r.Headers.Range = new RangeHeaderValue(received.Length, null));
        var tail = await rest.Content.ReadAsByteArrayAsync();
        var whole = received.Concat(tail).ToArray();

        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(file.Length - received.Length, rest.Content.Headers.ContentLength);
        Assert.Equal($"bytes {received.Length}-{file.Length - 1}/{file.Length}", rest.Content.Headers.ContentRange!.ToString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), Convert.ToHexStringLower(SHA256.HashData(whole)));
    }

    [Fact]
    public async Task ranges_inside_and_across_chunks_suffixes_if_range_head_and_unsatisfiable_ranges()
    {
        var admin = app.Service();
        var file = RandomBytes(DesktopStore.ChunkSize + 5000);
        var filename = Name("ranges");
        await admin.PostAsync("/api/desktop/installers", Installer(filename, file), expect: 201);
        await UploadAsync(admin, $"/api/desktop/installers/{filename}", file, chunked: false);
        var path = $"/api/desktop/installers/{filename}";
        var etag = (await DownloadAsync(admin, path)).Headers.ETag!;

        var across = await DownloadAsync(admin, path, r => r.Headers.Range = new RangeHeaderValue(DesktopStore.ChunkSize - 10, DesktopStore.ChunkSize + 9));
        var suffix = await DownloadAsync(admin, path, r => r.Headers.Range = new RangeHeaderValue(null, 100));
        var matching = await DownloadAsync(admin, path, r => { r.Headers.Range = new RangeHeaderValue(10, 19); r.Headers.IfRange = new RangeConditionHeaderValue(etag); });
        var stale = await DownloadAsync(admin, path, r => { r.Headers.Range = new RangeHeaderValue(10, 19); r.Headers.IfRange = new RangeConditionHeaderValue("\"old\""); });
        var beyond = await DownloadAsync(admin, path, r => r.Headers.Range = new RangeHeaderValue(file.Length, null));
        var head = await admin.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        var notModified = await DownloadAsync(admin, path, r => r.Headers.IfNoneMatch.Add(etag));

        Assert.Equal(HttpStatusCode.PartialContent, across.StatusCode);
        Assert.Equal(file[(DesktopStore.ChunkSize - 10)..(DesktopStore.ChunkSize + 10)], await across.Content.ReadAsByteArrayAsync());
        Assert.Equal(file[^100..], await suffix.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, matching.StatusCode);
        Assert.Equal(file[10..20], await matching.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(file.Length, stale.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal($"bytes */{file.Length}", beyond.Content.Headers.ContentRange!.ToString());
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(file.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task an_upload_whose_checksum_or_size_differs_is_refused_and_nothing_is_kept()
    {
        var admin = app.Service();
        var file = RandomBytes(300_000);
        var filename = Name("checked");
        await admin.PostAsync("/api/desktop/dependencyPackages", DependencyPackage(filename, file, []), expect: 201);
        var path = $"/api/desktop/dependencyPackages/{filename}";
        var tampered = (byte[])file.Clone();
        tampered[1000] ^= 0xff;

        var wrongChecksum = await UploadAsync(admin, path, tampered, expect: 400);
        var shorter = await UploadAsync(admin, path, file[..^1], expect: 400);
        var longer = await UploadAsync(admin, path, [.. file, 1], expect: 400);
        var longerByHeader = await UploadAsync(admin, path, [.. file, 1], expect: 400, chunked: false);
        var download = await DownloadAsync(admin, path);
        var stored = await Sql.ScalarAsync<long>(app, """
            SELECT count(*) FROM desktop_files f WHERE NOT EXISTS (SELECT FROM desktop_packages p WHERE p.file_id = f.id)
            """);
        var listed = (await admin.GetAsync("/api/desktop/dependencyPackages"))["packages"]!.AsArray()
            .Single(p => p!["filename"]!.GetValue<string>() == filename)!;

        Assert.Equal("checksum", wrongChecksum["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal("size", shorter["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal("size", longer["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal("size", longerByHeader["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
        Assert.Equal(0, stored);
        Assert.Empty(listed["sources"]!.AsArray());
    }

    [Fact]
    public async Task a_second_upload_replaces_the_file_and_delete_removes_manifest_and_bytes()
    {
        var admin = app.Service();
        var file = RandomBytes(50_000);
        var filename = Name("replaced");
        await admin.PostAsync("/api/desktop/installers", Installer(filename, file, platform: "windows"), expect: 201);
        var path = $"/api/desktop/installers/{filename}";
        await UploadAsync(admin, path, file);
        await UploadAsync(admin, path, file);
        var files = await Sql.ScalarAsync<long>(app, """
            SELECT count(*) FROM desktop_files f JOIN desktop_packages p ON p.file_id = f.id WHERE p.filename = @filename
            """, new { filename });
        var sources = (await admin.GetAsync("/api/desktop/installers?platform=windows"))["installers"]!.AsArray()
            .Single(i => i!["filename"]!.GetValue<string>() == filename)!["sources"]!.AsArray();

        await admin.DeleteAsync(path);
        var orphans = await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM desktop_files f WHERE NOT EXISTS (SELECT FROM desktop_packages p WHERE p.file_id = f.id)");

        Assert.Equal(1, files);
        Assert.Single(sources);
        Assert.Equal(0, orphans);
        await admin.GetAsync(path, expect: 404);
        await admin.DeleteAsync(path, expect: 404);
    }

    [Fact]
    public async Task patch_replaces_the_sources_and_an_http_source_needs_a_url()
    {
        var admin = app.Service();
        var filename = Name("patched");
        await admin.PostAsync("/api/desktop/dependencyPackages", DependencyPackage(filename, [1, 2, 3], []), expect: 201);
        var path = $"/api/desktop/dependencyPackages/{filename}";

        await admin.PatchAsync(path, new { sources = new object[] { new { type = "http", url = "https://cdn.example.com/deps.zip" }, new { type = "server" } } }, expect: 204);
        var noUrl = await admin.PatchAsync(path, new { sources = new object[] { new { type = "http" } } }, expect: 400);
        var badType = await admin.PatchAsync(path, new { sources = new object[] { new { type = "ftp" } } }, expect: 400);
        await admin.PatchAsync($"/api/desktop/dependencyPackages/{Name("missing")}", new { sources = Array.Empty<object>() }, expect: 404);
        var listed = (await admin.GetAsync("/api/desktop/dependencyPackages"))["packages"]!.AsArray()
            .Single(p => p!["filename"]!.GetValue<string>() == filename)!;

        Assert.Equal("https://cdn.example.com/deps.zip", listed["sources"]![0]!["url"]!.GetValue<string>());
        Assert.Equal("server", listed["sources"]![1]!["type"]!.GetValue<string>());
        Assert.Equal("sources.0.url", string.Join('.', noUrl["errors"]![0]!["loc"]!.AsArray().Skip(1).Select(n => n!.ToString())));
        Assert.Equal("sources.0.type", string.Join('.', badType["errors"]![0]!["loc"]!.AsArray().Skip(1).Select(n => n!.ToString())));
    }

    [Theory]
    [InlineData("filename", "../etc/passwd")]
    [InlineData("filename", ".hidden.zip")]
    [InlineData("filename", "a/b.zip")]
    [InlineData("platform", "amiga")]
    [InlineData("version", "latest")]
    [InlineData("checksum", "abc")]
    [InlineData("checksumAlgorithm", "crc32")]
    [InlineData("pythonVersion", "three")]
    public async Task a_bad_installer_field_is_a_400_naming_it(string field, string value)
    {
        var body = Installer(Name("bad"), [1, 2, 3]);
        body[field] = value;

        var answer = await app.Service().PostAsync("/api/desktop/installers", body, expect: 400);

        Assert.Equal(field, answer["errors"]![0]!["loc"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task missing_or_mistyped_package_fields_are_400s_naming_them_and_a_taken_name_is_409()
    {
        var admin = app.Service();
        var filename = Name("fields");
        var body = DependencyPackage(filename, [1], []);
        var noSize = (JsonObject)body.DeepClone();
        noSize.Remove("size");
        var negative = (JsonObject)body.DeepClone();
        negative["size"] = -1;
        var addons = (JsonObject)body.DeepClone();
        addons["sourceAddons"] = new JsonArray("core");

        var a = await admin.PostAsync("/api/desktop/dependencyPackages", noSize, expect: 400);
        var b = await admin.PostAsync("/api/desktop/dependencyPackages", negative, expect: 400);
        var c = await admin.PostAsync("/api/desktop/dependencyPackages", addons, expect: 400);
        await admin.PostAsync("/api/desktop/dependencyPackages", body, expect: 201);
        await admin.PostAsync("/api/desktop/dependencyPackages", body, expect: 409);

        Assert.Equal("size", a["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal("size", b["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal("sourceAddons", c["errors"]![0]!["loc"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task only_admins_write_and_only_logged_in_users_read()
    {
        var admin = app.Service();
        var file = RandomBytes(1000);
        var filename = Name("guarded");
        await admin.PostAsync("/api/desktop/installers", Installer(filename, file), expect: 201);
        var path = $"/api/desktop/installers/{filename}";
        var artist = await app.ArtistAsync();

        await artist.PostAsync("/api/desktop/installers", Installer(Name("mine"), file), expect: 403);
        await UploadAsync(artist, path, file, expect: 403);
        await artist.PatchAsync(path, new { sources = Array.Empty<object>() }, expect: 403);
        await artist.DeleteAsync(path, expect: 403);
        await app.Anonymous().GetAsync("/api/desktop/installers", expect: 401);
        await app.Anonymous().GetAsync(path, expect: 401);
        await UploadAsync(admin, path, file);
        await artist.GetAsync("/api/desktop/installers");
        Assert.Equal(HttpStatusCode.OK, (await DownloadAsync(artist, path)).StatusCode);
        await UploadAsync(admin, $"/api/desktop/installers/{Name("unregistered")}", file, expect: 404);
    }
}
