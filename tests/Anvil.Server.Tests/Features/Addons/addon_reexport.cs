using Anvil.Server.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>Exports made by other addon-host code (an older Anvil) are made again at start.</summary>
public sealed class addon_reexport(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task a_version_exported_by_other_host_code_is_exported_again_and_listed_as_the_current_host_sees_it()
    {
        var name = Unique.Name("minimal");
        var api = app.Service();
        await InstallAsync(api, FromSourceTree("minimal", name));
        await Sql.ExecuteAsync(app, """
            UPDATE addon_versions SET exported_by = 'an older host', export = NULL, is_broken = true, reason = 'made by an older host'
            WHERE name = @name
            """, new { name });
        await app.Services.GetRequiredService<Anvil.Server.Messaging.CacheInvalidation>().InvalidateAsync(AddonStore.CacheName);
        Assert.True((await ListedAsync(api, name))!["versions"]!["1.0.0"]!["isBroken"]!.GetValue<bool>());

        await app.Services.GetRequiredService<AddonReexporter>().RefreshAsync(CancellationToken.None);

        var version = (await ListedAsync(api, name))!["versions"]!["1.0.0"]!;
        Assert.False(version["isBroken"]!.GetValue<bool>(), version.ToJsonString());
        Assert.Equal(AddonHostCode.Fingerprint, await Sql.ScalarAsync<string>(app, "SELECT exported_by FROM addon_versions WHERE name = @name", new { name }));
        Assert.Equal("MinimalAddon", await Sql.ScalarAsync<string>(app, "SELECT export->'addon'->>'className' FROM addon_versions WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task versions_exported_by_the_running_host_are_left_alone()
    {
        var name = Unique.Name("minimal");
        await InstallAsync(app.Service(), FromSourceTree("minimal", name));
        await Sql.ExecuteAsync(app, "UPDATE addon_versions SET export = export || '{\"marker\": true}' WHERE name = @name", new { name });

        await app.Services.GetRequiredService<AddonReexporter>().RefreshAsync(CancellationToken.None);

        Assert.True(await Sql.ScalarAsync<bool>(app, "SELECT (export->>'marker')::boolean FROM addon_versions WHERE name = @name", new { name }));
    }
}
