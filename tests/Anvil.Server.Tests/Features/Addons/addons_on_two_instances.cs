using System.Net;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// Two instances that share the database and Redis but not a disk (each its own AYON_ADDONS_DIR): a
/// version installed through one is listed and served by the other at once, and a delete through one
/// stops the other at once.
/// </summary>
public sealed class addons_on_two_instances(AddonsApp a, SecondAddonsApp b) : IClassFixture<AddonsApp>, IClassFixture<SecondAddonsApp>
{
    [Fact]
    public async Task a_version_installed_through_one_instance_is_listed_and_served_by_the_other_at_once()
    {
        var name = Unique.Name("twin");
        var onB = b.Service();
        Assert.Null(await ListedAsync(onB, name));
        Assert.Null(await ListedAsync(onB, name, details: true));

        await InstallAsync(a.Service(), Simple(name, "1.0.0", ("private/client.zip", "made on a")));

        Assert.NotNull(await ListedAsync(onB, name));
        Assert.Equal("made on a", await onB.Http.GetStringAsync($"/addons/{name}/1.0.0/private/client.zip"));
        Assert.True(Directory.Exists(Path.Combine(b.AddonsDir, name)));
        Assert.NotEqual(a.AddonsDir, b.AddonsDir);
    }

    [Fact]
    public async Task a_delete_through_one_instance_stops_the_other_at_once()
    {
        var name = Unique.Name("twin");
        var onB = b.Service();
        await InstallAsync(a.Service(), Simple(name, "1.0.0", ("public/a.txt", "a")));
        Assert.Equal("a", await onB.Http.GetStringAsync($"/addons/{name}/1.0.0/public/a.txt"));
        Assert.NotNull(await ListedAsync(onB, name));

        await a.Service().DeleteAsync($"/api/addons/{name}");

        Assert.Equal(HttpStatusCode.NotFound, (await onB.Http.GetAsync($"/addons/{name}/1.0.0/public/a.txt")).StatusCode);
        Assert.Null(await ListedAsync(onB, name));
    }

    [Fact]
    public async Task a_reinstall_through_one_instance_is_served_new_by_the_other_at_once()
    {
        var name = Unique.Name("twin");
        var onB = b.Service();
        await InstallAsync(a.Service(), Simple(name, "1.0.0", ("public/a.txt", "old")));
        Assert.Equal("old", await onB.Http.GetStringAsync($"/addons/{name}/1.0.0/public/a.txt"));

        await InstallAsync(a.Service(), Simple(name, "1.0.0", ("public/a.txt", "new")));

        Assert.Equal("new", await onB.Http.GetStringAsync($"/addons/{name}/1.0.0/public/a.txt"));
    }
}
