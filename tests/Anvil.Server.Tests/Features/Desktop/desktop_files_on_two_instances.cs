using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Features.Sites;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Desktop.DesktopFiles;

namespace Anvil.Server.Tests.Features.Desktop;

/// <summary>
/// Two instances sharing the database and Redis, no disk: a file uploaded through one is downloaded
/// (and resumed) through the other, and a site registered on one resolves roots on the other.
/// </summary>
public sealed class desktop_files_on_two_instances(AddonsApp a, SecondAddonsApp b) : IClassFixture<AddonsApp>, IClassFixture<SecondAddonsApp>
{
    [Fact]
    public async Task a_file_uploaded_through_one_instance_is_served_and_resumed_by_the_other()
    {
        var file = RandomBytes(3_000_000);
        var filename = Unique.Name("twin") + ".zip";
        await a.Service().PostAsync("/api/desktop/dependencyPackages", DependencyPackage(filename, file, []), expect: 201);
        await UploadAsync(a.Service(), $"/api/desktop/dependencyPackages/{filename}", file);

        var head = await DownloadAsync(b.Service(), $"/api/desktop/dependencyPackages/{filename}", r => r.Headers.Range = new RangeHeaderValue(0, 999_999));
        var tail = await DownloadAsync(b.Service(), $"/api/desktop/dependencyPackages/{filename}", r => r.Headers.Range = new RangeHeaderValue(1_000_000, null));
        var joined = (await head.Content.ReadAsByteArrayAsync()).Concat(await tail.Content.ReadAsByteArrayAsync()).ToArray();

        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), Convert.ToHexStringLower(SHA256.HashData(joined)));
    }

    [Fact]
    public async Task a_site_registered_on_one_instance_resolves_roots_on_the_other_at_once()
    {
        var project = await TestProjects.CreateAsync(a);
        var site = SiteHeaders.NewSiteId();
        var onB = await b.LoginAsync();
        await onB.GetAsync($"/api/projects/{project}/siteRoots?site_id={site}", expect: 400);

        await SiteHeaders.RegisterAsync(await a.LoginAsync(), site, "windows");
        var roots = await onB.GetAsync($"/api/projects/{project}/siteRoots?site_id={site}");

        Assert.NotNull(roots["work"]);
    }
}
