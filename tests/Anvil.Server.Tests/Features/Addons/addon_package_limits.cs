using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>Zip bombs and oversized uploads, against an instance with small limits (20 entries, 200 kB unpacked, 300 kB uploads).</summary>
public sealed class addon_package_limits(SmallLimitsAddonsApp app) : IClassFixture<SmallLimitsAddonsApp>
{
    [Fact]
    public async Task a_zip_with_too_many_entries_fails_naming_the_limit()
    {
        var name = Unique.Name("addon");
        var files = Enumerable.Range(0, 30).Select(i => ($"public/{i}.txt", (string?)"x")).ToArray();

        var description = await FailedInstallAsync(app.Service(), Simple(name, "1.0.0", files));

        Assert.Contains("AYON_ADDON_MAX_ENTRIES", description, StringComparison.Ordinal);
        Assert.Null(await ListedAsync(app.Service(), name));
    }

    [Fact]
    public async Task a_zip_that_unpacks_too_large_fails_naming_the_limit()
    {
        var name = Unique.Name("addon");

        // 1 MB of zeros compresses to about a kilobyte.
        var description = await FailedInstallAsync(app.Service(), Simple(name, "1.0.0", ("public/zeros.txt", new string('0', 1_000_000))));

        Assert.Contains("AYON_ADDON_MAX_UNPACKED_SIZE", description, StringComparison.Ordinal);
        Assert.Null(await ListedAsync(app.Service(), name));
    }

    [Fact]
    public async Task an_upload_larger_than_the_package_limit_is_refused_naming_it()
    {
        var random = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(400_000));
        var zip = Zip(("package.yml", "name: big\nversion: 1.0.0\n"), ("public/random.txt", random));

        var content = new ByteArrayContent(zip);
        var answer = await app.Service().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/addons/install") { Content = content }, 413);

        Assert.Contains("AYON_ADDON_MAX_PACKAGE_SIZE", answer["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_download_larger_than_the_package_limit_fails_naming_it()
    {
        var random = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(400_000));
        using var server = new ZipServer(Zip(("package.yml", "name: big\nversion: 1.0.0\n"), ("public/random.txt", random)));
        var api = app.Service();

        var eventId = (await api.PostAsync($"/api/addons/install?url={Uri.EscapeDataString(server.Url)}", null))["eventId"]!.GetValue<string>();
        var done = await WaitAsync(api, eventId);

        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Contains("AYON_ADDON_MAX_PACKAGE_SIZE", done["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
