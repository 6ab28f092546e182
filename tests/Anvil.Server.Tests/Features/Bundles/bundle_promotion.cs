using System.Text.Json.Nodes;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary>
/// <c>POST /api/bundles/{name} {action: "promote"}</c>: the staging bundle becomes production (and stays
/// staging), and the staging overrides of its addon versions replace the production ones.
/// </summary>
[Collection(BundlesCollection.Name)]
public sealed class bundle_promotion(AddonsApp app) : IClassFixture<AddonsApp>
{
    [Fact]
    public async Task promoting_the_staging_bundle_makes_it_production_and_copies_staging_overrides()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core", "1.0.0");
        var other = await AddonAsync(api, "other", "1.0.0");
        var project = await TestProjects.CreateAsync(app);
        var name = Unique.Name("stag");
        var body = CreateBody(name, new JsonObject { [addon] = "1.0.0" });
        body["isStaging"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);
        await Sql.ExecuteAsync(app, """
            INSERT INTO studio_settings (addon_name, addon_version, variant, data) VALUES
                (@addon, '1.0.0', 'staging', '{"a": "staged"}'),
                (@addon, '1.0.0', 'production', '{"a": "old", "b": "gone"}'),
                (@other, '1.0.0', 'staging', '{"a": "not in the bundle"}');
            INSERT INTO project_settings (project_name, addon_name, addon_version, variant, data) VALUES
                (@project, @addon, '1.0.0', 'staging', '{"p": "staged"}');
            """, new { addon, other, project });

        await api.PostAsync($"/api/bundles/{name}", new { action = "promote" }, expect: 204);

        var list = await ListAsync(api);
        Assert.Equal(name, list["productionBundle"]!.GetValue<string>());
        Assert.Equal(name, list["stagingBundle"]!.GetValue<string>());
        Assert.Equal("""{"a": "staged"}""", await Sql.ScalarAsync<string>(app,
            "SELECT data::text FROM studio_settings WHERE addon_name = @addon AND variant = 'production'", new { addon }));
        Assert.Equal("""{"a": "staged"}""", await Sql.ScalarAsync<string>(app,
            "SELECT data::text FROM studio_settings WHERE addon_name = @addon AND variant = 'staging'", new { addon }));
        Assert.Equal("""{"p": "staged"}""", await Sql.ScalarAsync<string>(app,
            "SELECT data::text FROM project_settings WHERE addon_name = @addon AND project_name = @project AND variant = 'production'", new { addon, project }));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(app,
            "SELECT count(*) FROM studio_settings WHERE addon_name = @other AND variant = 'production'", new { other }));
    }

    [Fact]
    public async Task deleting_a_dev_bundle_deletes_the_overrides_of_its_variant()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core");
        var name = Unique.Name("dev");
        var body = CreateBody(name, new JsonObject { [addon] = "1.0.0" });
        body["isDev"] = true;
        await api.PostAsync("/api/bundles", body, expect: 201);
        await Sql.ExecuteAsync(app, """
            INSERT INTO studio_settings (addon_name, addon_version, variant, data) VALUES
                (@addon, '1.0.0', @name, '{}'), (@addon, '1.0.0', 'production', '{}')
            """, new { addon, name });

        await api.DeleteAsync($"/api/bundles/{name}");

        Assert.Equal(["production"], await Sql.QueryAsync<string>(app, "SELECT variant FROM studio_settings WHERE addon_name = @addon", new { addon }));
    }
}
