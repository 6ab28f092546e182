using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary>
/// Two instances over one database and Redis: a bundle written through one is read by the other at
/// once, and the catalogue's productionVersion and stagingVersion follow the bundles on both.
/// </summary>
[Collection(BundlesCollection.Name)]
public sealed class bundles_on_two_instances(AddonsApp a, SecondAddonsApp b) : IClassFixture<AddonsApp>, IClassFixture<SecondAddonsApp>
{
    [Fact]
    public async Task a_bundle_created_changed_and_deleted_through_one_instance_is_seen_by_the_other_at_once()
    {
        var onA = a.Service();
        var onB = b.Service();
        var name = Unique.Name("twin");
        Assert.DoesNotContain((await ListAsync(onB))["bundles"]!.AsArray(), x => x!["name"]!.GetValue<string>() == name);

        await onA.PostAsync("/api/bundles", CreateBody(name, []), expect: 201);
        Assert.NotNull(await BundleAsync(onB, name));

        await onA.PatchAsync($"/api/bundles/{name}", new { isStaging = true }, expect: 204);
        Assert.Equal(name, (await ListAsync(onB))["stagingBundle"]!.GetValue<string>());

        var other = Unique.Name("twin");
        await onB.PostAsync("/api/bundles", CreateBody(other, []), expect: 201);
        await onB.PatchAsync($"/api/bundles/{other}", new { isStaging = true }, expect: 204);
        Assert.Equal(other, (await ListAsync(onA))["stagingBundle"]!.GetValue<string>());

        await onA.DeleteAsync($"/api/bundles/{name}");
        Assert.DoesNotContain((await ListAsync(onB, archived: true))["bundles"]!.AsArray(), x => x!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task the_catalogues_production_and_staging_versions_follow_the_bundles_on_both_instances()
    {
        var onA = a.Service();
        var onB = b.Service();
        var addon = await AddonAsync(onA, "core", "1.0.0");
        await AddonAsync(onA, "core", "2.0.0", name: addon);
        Assert.Null((await ListedAsync(onB, addon))!["productionVersion"]);

        var production = Unique.Name("prod");
        var body = CreateBody(production, new JsonObject { [addon] = "1.0.0" });
        body["isProduction"] = true;
        await onA.PostAsync("/api/bundles", body, expect: 201);
        var staging = Unique.Name("stag");
        body = CreateBody(staging, new JsonObject { [addon] = "2.0.0" });
        body["isStaging"] = true;
        await onA.PostAsync("/api/bundles", body, expect: 201);

        foreach (var api in new[] { onA, onB })
        {
            var listed = (await ListedAsync(api, addon))!;
            Assert.Equal("1.0.0", listed["productionVersion"]!.GetValue<string>());
            Assert.Equal("2.0.0", listed["stagingVersion"]!.GetValue<string>());
        }

        await onB.PostAsync($"/api/bundles/{staging}", new { action = "promote" }, expect: 204);

        Assert.Equal("2.0.0", (await ListedAsync(onA, addon))!["productionVersion"]!.GetValue<string>());
        Assert.Equal("2.0.0", (await ListedAsync(onA, addon, details: true))!["productionVersion"]!.GetValue<string>());
    }
}
