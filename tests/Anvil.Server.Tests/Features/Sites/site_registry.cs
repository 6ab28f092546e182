using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Sites.SiteHeaders;

namespace Anvil.Server.Tests.Features.Sites;

/// <summary>
/// Sites (pipeline-clients §1.2 step 4, finding 4): an authenticated <c>GET /api/info</c> with the
/// x-ayon-* headers registers the workstation for the user, <c>/api/info</c> lists the user's sites, and
/// project roots are answered for a site's own platform.
/// </summary>
public sealed class site_registry(AnvilApp app) : IClassFixture<AnvilApp>
{
    static IEnumerable<JsonObject> Sites(JsonNode info) => info["sites"]!.AsArray().Select(s => s!.AsObject());

    [Fact]
    public async Task api_info_with_site_headers_registers_the_site_for_that_user_and_lists_it()
    {
        var artist = await app.ArtistAsync();
        var me = (await artist.GetAsync("/api/users/me"))["name"]!.GetValue<string>();
        var site = NewSiteId();

        var info = await RegisterAsync(artist, site, "windows", "paint-07", "1.6.4");
        var other = await (await app.ArtistAsync()).GetAsync("/api/info");
        var anonymous = await app.Anonymous().OnSite(NewSiteId(), "linux").GetAsync("/api/info");

        var listed = Assert.Single(Sites(info), s => s["id"]!.GetValue<string>() == site);
        Assert.Equal("windows", listed["platform"]!.GetValue<string>());
        Assert.Equal("paint-07", listed["hostname"]!.GetValue<string>());
        Assert.Equal("1.6.4", listed["version"]!.GetValue<string>());
        Assert.Equal([me], listed["users"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.DoesNotContain(Sites(other), s => s["id"]!.GetValue<string>() == site);
        Assert.Empty(anonymous["sites"]!.AsArray());
    }

    [Fact]
    public async Task a_known_site_is_written_once_and_again_only_when_its_fields_change()
    {
        var artist = await app.ArtistAsync();
        var site = NewSiteId();
        await RegisterAsync(artist, site, "linux", "farm-1", "1.6.3");
        var firstWrite = await Sql.ScalarAsync<DateTime>(app, "SELECT updated_at FROM sites WHERE id = @site", new { site });

        for (var i = 0; i < 5; i++)
            await artist.GetAsync("/api/info");
        var unchanged = await Sql.ScalarAsync<DateTime>(app, "SELECT updated_at FROM sites WHERE id = @site", new { site });
        var upgraded = await RegisterAsync(artist, site, "linux", "farm-1", "1.6.4");
        var secondWrite = await Sql.ScalarAsync<DateTime>(app, "SELECT updated_at FROM sites WHERE id = @site", new { site });

        Assert.Equal(firstWrite, unchanged);
        Assert.True(secondWrite > firstWrite);
        Assert.Equal("1.6.4", Sites(upgraded).Single(s => s["id"]!.GetValue<string>() == site)["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task two_users_on_one_workstation_share_the_site()
    {
        var first = await app.ArtistAsync();
        var second = await app.ArtistAsync();
        var site = NewSiteId();

        await RegisterAsync(first, site, "darwin");
        var info = await RegisterAsync(second, site, "darwin");

        Assert.Equal(2, Sites(info).Single(s => s["id"]!.GetValue<string>() == site)["users"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("Not A Site", "linux")]
    [InlineData("ok-site", "amiga")]
    [InlineData("ok-site", "")]
    public async Task headers_that_name_no_valid_site_register_nothing_and_info_still_answers(string siteId, string platform)
    {
        var artist = await app.ArtistAsync();

        var info = await artist.OnSite(siteId, platform).GetAsync("/api/info");

        Assert.Empty(info["sites"]!.AsArray());
        Assert.NotNull(info["version"]);
    }

    [Fact]
    public async Task site_roots_answer_for_the_registered_sites_platform_not_the_callers()
    {
        var admin = app.Service();
        var project = await TestProjects.CreateAsync(app);
        await admin.PatchAsync($"/api/projects/{project}", new
        {
            config = new { roots = new { work = new { windows = "P:/projects", linux = "/mnt/projects", darwin = "/Volumes/projects" } } },
        }, expect: 204);
        var windowsUser = await app.ArtistAsync();
        var windowsSite = NewSiteId();
        await RegisterAsync(windowsUser, windowsSite, "windows");
        var linuxCaller = (await app.LoginAsync()).OnSite(NewSiteId(), "linux");
        await linuxCaller.GetAsync("/api/info");

        var asked = await linuxCaller.GetAsync($"/api/projects/{project}/siteRoots?site_id={windowsSite}");
        var own = await linuxCaller.GetAsync($"/api/projects/{project}/siteRoots");
        var byPlatform = await linuxCaller.GetAsync($"/api/projects/{project}/siteRoots?platform=darwin");

        Assert.Equal("P:/projects", asked["work"]!.GetValue<string>());
        Assert.Equal("/mnt/projects", own["work"]!.GetValue<string>());
        Assert.Equal("/Volumes/projects", byPlatform["work"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_unknown_site_without_a_platform_is_a_400_as_on_ayon()
    {
        var project = await TestProjects.CreateAsync(app);
        var admin = await app.LoginAsync();

        var unknown = await admin.GetAsync($"/api/projects/{project}/siteRoots?site_id={NewSiteId()}", expect: 400);
        var malformed = await admin.GetAsync($"/api/projects/{project}/siteRoots?site_id=Bad%20Site", expect: 400);
        var withPlatform = await admin.GetAsync($"/api/projects/{project}/siteRoots?site_id={NewSiteId()}&platform=linux");
        var nothing = await admin.GetAsync($"/api/projects/{project}/siteRoots", expect: 400);

        Assert.Equal("site_id", unknown["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.Equal("site_id", malformed["errors"]![0]!["loc"]![1]!.GetValue<string>());
        Assert.NotNull(withPlatform["work"]);
        Assert.Equal("platform", nothing["errors"]![0]!["loc"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task a_sites_root_overrides_apply_on_its_platforms_roots_and_roots_lists_them_by_site()
    {
        var project = await TestProjects.CreateAsync(app);
        var site = NewSiteId();
        var atTheWorkstation = await app.LoginAsync();
        await RegisterAsync(atTheWorkstation, site, "windows");
        await atTheWorkstation.PutAsync($"/api/projects/{project}/roots/{site}", new { work = "D:/local/work" }, expect: 204);

        var fromLinux = await (await app.LoginAsync()).OnSite(NewSiteId(), "linux").GetAsync($"/api/projects/{project}/siteRoots?site_id={site}");
        var overrides = await atTheWorkstation.GetAsync($"/api/projects/{project}/roots");

        Assert.Equal("D:/local/work", fromLinux["work"]!.GetValue<string>());
        Assert.Equal("D:/local/work", overrides[site]!["work"]!.GetValue<string>());
    }

    [Fact]
    public async Task system_sites_lists_every_site_to_managers_and_their_own_to_others_and_admins_delete_them()
    {
        var artist = await app.ArtistAsync();
        var mine = NewSiteId();
        var theirs = NewSiteId();
        await RegisterAsync(artist, mine, "linux", "anim-3");
        await RegisterAsync(await app.ArtistAsync(), theirs, "windows");

        var own = (await artist.GetAsync("/api/system/sites")).AsArray().Select(s => s!["id"]!.GetValue<string>()).ToList();
        var admin = app.Service();
        var all = (await admin.GetAsync("/api/system/sites?platform=windows")).AsArray().Select(s => s!["id"]!.GetValue<string>()).ToList();
        await artist.DeleteAsync($"/api/system/sites/{mine}", expect: 403);
        await admin.DeleteAsync($"/api/system/sites/{mine}");
        await admin.DeleteAsync($"/api/system/sites/{mine}", expect: 404);
        var afterDelete = (await admin.GetAsync("/api/system/sites")).AsArray().Select(s => s!["id"]!.GetValue<string>()).ToList();
        var again = await RegisterAsync(artist, mine, "linux", "anim-3");

        Assert.Contains(mine, own);
        Assert.DoesNotContain(theirs, own);
        Assert.Contains(theirs, all);
        Assert.DoesNotContain(mine, all);
        Assert.DoesNotContain(mine, afterDelete);
        Assert.Contains(Sites(again), s => s["id"]!.GetValue<string>() == mine);
    }
}
