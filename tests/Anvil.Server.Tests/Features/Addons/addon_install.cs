using System.Net;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary><c>POST /api/addons/install</c>: uploads and downloads, bad packages, reinstalls, the install list, rights.</summary>
public sealed class addon_install(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task an_uploaded_package_is_listed_once_its_install_event_finishes()
    {
        var name = Unique.Name("addon");
        var api = app.Service();

        var eventId = await UploadAsync(api, Simple(name, "1.2.3"));
        var done = await WaitAsync(api, eventId);

        Assert.Equal("addon.install", done["topic"]!.GetValue<string>());
        Assert.Equal("finished", done["status"]!.GetValue<string>());
        Assert.Equal($"Installed addon {name} 1.2.3", done["description"]!.GetValue<string>());
        Assert.Equal(name, done["summary"]!["addonName"]!.GetValue<string>());
        var listed = await ListedAsync(api, name);
        Assert.NotNull(listed);
        Assert.Equal($"Title of {name}", listed["title"]!.GetValue<string>());
        Assert.False(listed["versions"]!["1.2.3"]!["isBroken"]!.GetValue<bool>());
    }

    [Fact]
    public async Task a_body_that_is_not_a_zip_fails_with_a_reason()
    {
        var description = await FailedInstallAsync(app.Service(), "this is not a zip at all"u8.ToArray());

        Assert.Contains("not a zip", description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task an_empty_body_is_refused()
    {
        var answer = await app.Service().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/addons/install") { Content = new ByteArrayContent([]) }, 400);

        Assert.Contains("body", answer["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("server/../../escape.txt")]
    [InlineData("/etc/escape.txt")]
    public async Task an_entry_outside_the_version_folder_fails_and_installs_nothing(string entry)
    {
        var name = Unique.Name("addon");

        var description = await FailedInstallAsync(app.Service(), Simple(name, "1.0.0", (entry, "x")));

        Assert.Contains(entry.TrimStart('/'), description, StringComparison.Ordinal);
        Assert.Null(await ListedAsync(app.Service(), name));
        Assert.False(File.Exists(Path.Combine(app.AddonsDir, "escape.txt")));
    }

    [Fact]
    public async Task a_symbolic_link_entry_fails()
    {
        var name = Unique.Name("addon");

        var description = await FailedInstallAsync(app.Service(), WithSymlink(name, "private/passwd", "/etc/passwd"));

        Assert.Contains("symbolic link", description, StringComparison.Ordinal);
        Assert.Null(await ListedAsync(app.Service(), name));
    }

    [Fact]
    public async Task a_version_that_is_not_semver_fails()
    {
        var name = Unique.Name("addon");

        var description = await FailedInstallAsync(app.Service(), Simple(name, "1.0"));

        Assert.Contains("semantic version", description, StringComparison.Ordinal);
        Assert.Null(await ListedAsync(app.Service(), name));
    }

    [Fact]
    public async Task a_package_without_a_name_fails()
    {
        var description = await FailedInstallAsync(app.Service(), Zip(("package.py", "version = \"1.0.0\"\n"), ("server/__init__.py", PlainServer)));

        Assert.Contains("name", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_package_with_neither_package_py_nor_manifest_fails()
    {
        var description = await FailedInstallAsync(app.Service(), Zip(("readme.txt", "hello")));

        Assert.Contains("package.py", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_legacy_manifest_layout_installs_its_addon_folder()
    {
        var name = Unique.Name("addon");
        var api = app.Service();

        await InstallAsync(api, Zip(
            ("manifest.json", $$"""{"addon_name": "{{name}}", "addon_version": "2.0.0"}"""),
            ("addon/__init__.py", PlainServer),
            ("addon/private/hello.txt", "from the legacy layout")));

        Assert.NotNull((await ListedAsync(api, name))!["versions"]!["2.0.0"]);
        var file = await api.Http.GetStringAsync($"/addons/{name}/2.0.0/private/hello.txt");
        Assert.Equal("from the legacy layout", file);
    }

    [Fact]
    public async Task a_package_yml_installs()
    {
        var name = Unique.Name("addon");
        var api = app.Service();

        await InstallAsync(api, Zip(($"package.yml", $"name: {name}\nversion: 3.1.0\ntitle: Yaml Addon\n"), ("server/__init__.py", PlainServer)));

        Assert.Equal("Yaml Addon", (await ListedAsync(api, name))!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_package_at_a_url_is_downloaded_and_installed()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        using var server = new ZipServer(Simple(name, "1.0.0"));

        var eventId = (await api.PostAsync($"/api/addons/install?url={Uri.EscapeDataString(server.Url)}&addonName={name}&addonVersion=1.0.0", null))["eventId"]!.GetValue<string>();
        var done = await WaitAsync(api, eventId);

        Assert.Equal("finished", done["status"]!.GetValue<string>());
        Assert.NotNull(await ListedAsync(api, name));
    }

    [Fact]
    public async Task a_url_that_is_not_http_is_refused_naming_url()
    {
        var answer = await app.Service().PostAsync("/api/addons/install?url=file:///etc/passwd", null, expect: 400);

        Assert.Contains("url", answer["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_url_that_cannot_be_downloaded_fails_with_a_reason()
    {
        var api = app.Service();
        using var server = new ZipServer(null);

        var eventId = (await api.PostAsync($"/api/addons/install?url={Uri.EscapeDataString(server.Url)}", null))["eventId"]!.GetValue<string>();
        var done = await WaitAsync(api, eventId);

        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Contains("404", done["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_reinstall_of_the_same_version_replaces_it()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        await InstallAsync(api, Simple(name, "1.0.0", ("public/a.txt", "first")));

        await InstallAsync(api, Simple(name, "1.0.0", ("public/a.txt", "second"), ("public/b.txt", "new")));

        Assert.Equal("second", await api.Http.GetStringAsync($"/addons/{name}/1.0.0/public/a.txt"));
        Assert.Equal("new", await api.Http.GetStringAsync($"/addons/{name}/1.0.0/public/b.txt"));
        Assert.Equal(1, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM addon_versions WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task a_failed_reinstall_keeps_the_installed_version()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        await InstallAsync(api, Simple(name, "1.0.0", ("public/a.txt", "kept")));

        await FailedInstallAsync(api, Simple(name, "1.0.0", ("../a.txt", "escape")));

        Assert.Equal("kept", await api.Http.GetStringAsync($"/addons/{name}/1.0.0/public/a.txt"));
    }

    [Fact]
    public async Task two_versions_with_the_same_bytes_share_one_package_which_goes_with_the_last()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        var zip = Zip(("package.yml", $"name: {name}\nversion: 1.0.0\n"), ("public/x.txt", "x"));
        await InstallAsync(api, zip);
        var sha = await Sql.ScalarAsync<string>(app, "SELECT package_sha256 FROM addon_versions WHERE name = @name", new { name });
        await Sql.ExecuteAsync(app, """
            INSERT INTO addon_versions (name, version, layout, metadata, files, unpacked_size, package_sha256, package_size, export, exported_by, is_broken, reason, client_pyproject, has_client_zip)
            SELECT @other, version, layout, metadata, files, unpacked_size, package_sha256, package_size, export, exported_by, is_broken, reason, client_pyproject, has_client_zip
            FROM addon_versions WHERE name = @name
            """, new { name, other = name + "_twin" });

        await api.DeleteAsync($"/api/addons/{name}");
        Assert.Equal(1, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM addon_packages WHERE sha256 = @sha", new { sha }));
        await api.DeleteAsync($"/api/addons/{name}_twin");

        Assert.Equal(0, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM addon_packages WHERE sha256 = @sha", new { sha }));
        Assert.Equal(0, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM addon_package_chunks WHERE sha256 = @sha", new { sha }));
    }

    [Fact]
    public async Task a_package_larger_than_a_chunk_is_stored_in_chunks_and_served_whole()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        var big = new string('a', 3 * 1024 * 1024) + Guid.NewGuid().ToString("N");
        var random = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 * 1024 * 1024));
        await InstallAsync(api, Simple(name, "1.0.0", ("public/big.txt", big), ("public/random.txt", random)));
        var sha = await Sql.ScalarAsync<string>(app, "SELECT package_sha256 FROM addon_versions WHERE name = @name", new { name });
        Assert.True(await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM addon_package_chunks WHERE sha256 = @sha", new { sha }) >= 2);

        // A fresh materialisation reads the chunks back.
        Directory.Delete(Path.Combine(app.AddonsDir, name), recursive: true);

        Assert.Equal(random, await api.Http.GetStringAsync($"/addons/{name}/1.0.0/public/random.txt"));
    }

    [Fact]
    public async Task non_admins_may_not_install_list_installs_or_delete()
    {
        var (_, user) = await TestUsers.CreateAsync(app);

        await UploadAsync(user, Simple(Unique.Name("addon")), expect: 403);
        await user.PostAsync("/api/addons/install?url=http://127.0.0.1/x.zip", null, expect: 403);
        await user.GetAsync("/api/addons/install", expect: 403);
        await user.DeleteAsync("/api/addons/anything", expect: 403);
        await user.DeleteAsync("/api/addons/anything/1.0.0", expect: 403);
    }

    [Fact]
    public async Task the_install_list_shows_recent_installs_newest_first()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        var done = await InstallAsync(api, Simple(name, "4.5.6"));

        var list = await api.GetAsync("/api/addons/install");

        Assert.False(list["restartRequired"]!.GetValue<bool>());
        var item = list["items"]!.AsArray().First(i => i!["id"]!.GetValue<string>() == done["id"]!.GetValue<string>())!;
        Assert.Equal("addon.install", item["topic"]!.GetValue<string>());
        Assert.Equal(name, item["addonName"]!.GetValue<string>());
        Assert.Equal("4.5.6", item["addonVersion"]!.GetValue<string>());
        Assert.Equal("finished", item["status"]!.GetValue<string>());
        Assert.Equal("service", item["user"]!.GetValue<string>());
        Assert.NotNull(item["createdAt"]);
        Assert.NotNull(item["updatedAt"]);
    }

    [Fact]
    public async Task a_restart_waits_for_the_installs_running_on_its_instance()
    {
        var name = Unique.Name("addon");
        var api = app.Service();

        await UploadAsync(api, Simple(name));
        await api.PostAsync("/api/system/restart", null, expect: 204);

        Assert.NotNull(await ListedAsync(api, name));
    }

    [Fact]
    public async Task deleting_a_version_or_an_addon_removes_it_and_a_missing_one_is_named_in_the_404()
    {
        var name = Unique.Name("addon");
        var api = app.Service();
        await InstallAsync(api, Simple(name, "1.0.0"));
        await InstallAsync(api, Simple(name, "1.1.0"));

        await api.DeleteAsync($"/api/addons/{name}/1.0.0?purge=true");
        var versions = (await ListedAsync(api, name))!["versions"]!.AsObject();
        Assert.Equal(["1.1.0"], versions.Select(v => v.Key));

        await api.DeleteAsync($"/api/addons/{name}");
        Assert.Null(await ListedAsync(api, name));

        var missing = await api.DeleteAsync($"/api/addons/{name}", expect: 404);
        Assert.Contains(name, missing["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var missingVersion = await api.DeleteAsync($"/api/addons/{name}/9.9.9", expect: 404);
        Assert.Contains("9.9.9", missingVersion["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_install_left_in_progress_long_ago_is_marked_interrupted_when_a_server_starts()
    {
        var id = Guid.NewGuid();
        await Sql.ExecuteAsync(app, """
            INSERT INTO events (id, hash, topic, status, description, updated_at, created_at)
            VALUES (@id, @hash, 'addon.install', 'in_progress', 'Installing an addon from an upload', now() - interval '1 day', now() - interval '1 day')
            """, new { id, hash = id.ToString("N") });
        var recent = Guid.NewGuid();
        await Sql.ExecuteAsync(app, """
            INSERT INTO events (id, hash, topic, status, description) VALUES (@id, @hash, 'addon.install', 'in_progress', 'still running elsewhere')
            """, new { id = recent, hash = recent.ToString("N") });

        await using var restarted = new SecondAddonsApp();
        await restarted.InitializeAsync();
        _ = restarted.Services;

        var api = app.Service();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonNode interrupted;
        while ((interrupted = await api.GetAsync($"/api/events/{id:N}"))["status"]!.GetValue<string>() == "in_progress")
        {
            Assert.True(DateTime.UtcNow < deadline, "the old install is still in progress");
            await Task.Delay(100);
        }
        Assert.Equal("failed", interrupted["status"]!.GetValue<string>());
        Assert.Contains("interrupted", interrupted["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("in_progress", (await api.GetAsync($"/api/events/{recent:N}"))["status"]!.GetValue<string>());
        await Sql.ExecuteAsync(app, "DELETE FROM events WHERE id = @recent", new { recent });
    }
}

/// <summary>Serves one zip (or 404 when null) on a loopback port, as a download source for <c>?url=</c>.</summary>
public sealed class ZipServer : IDisposable
{
    readonly HttpListener _listener;
    readonly byte[]? _zip;

    public string Url { get; }

    public ZipServer(byte[]? zip)
    {
        _zip = zip;
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20000, 60000);
            var prefix = $"http://127.0.0.1:{port}/";
            // A listener whose start failed (the port taken) is closed by it: each attempt takes a new one.
            var listener = new HttpListener();
            listener.Prefixes.Add(prefix);
            try
            {
                listener.Start();
                _listener = listener;
                Url = prefix + "package.zip";
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
            }
        }
        _ = ServeAsync();
    }

    async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            if (_zip is null)
                context.Response.StatusCode = 404;
            else
            {
                context.Response.ContentType = "application/zip";
                context.Response.ContentLength64 = _zip.Length;
                await context.Response.OutputStream.WriteAsync(_zip);
            }
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
