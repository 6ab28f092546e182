using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Links;

/// <summary>Links go with every entity a delete removes, the cascaded descendants included.</summary>
public sealed class links_of_deleted_entities(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task deleting_a_folder_removes_the_links_of_everything_under_it()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var parent = await build.FolderAsync();
        var child = await build.FolderAsync(parent);
        var task = await build.TaskAsync(child);
        var workfile = await build.WorkfileAsync(task);
        var elsewhere = await build.FolderAsync();
        var kept = await build.FolderAsync();
        foreach (var (input, output, type) in new[]
        {
            (elsewhere, child, "breakdown|folder|folder"),
            (child, elsewhere, "template|folder|folder"),
            (elsewhere, kept, "breakdown|folder|folder"),
        })
            await api.PostAsync($"/api/projects/{build.Project}/links", new { input, output, linkType = type });
        await api.PutAsync($"/api/projects/{build.Project}/links/types/uses|task|workfile", new { data = new { } }, expect: 204);
        await api.PostAsync($"/api/projects/{build.Project}/links", new { input = task, output = workfile, linkType = "uses|task|workfile" });

        await api.DeleteAsync($"/api/projects/{build.Project}/folders/{parent}");

        var remaining = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{build.Project.ToLowerInvariant()}.links");
        Assert.Equal(1, remaining);
    }

    [Fact]
    public async Task deleting_a_product_removes_the_links_of_its_versions_and_representations()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var product = await build.ProductAsync();
        var version = await build.VersionAsync(product);
        var other = await build.VersionAsync();
        await api.PostAsync($"/api/projects/{build.Project}/links", new { input = other, output = version, linkType = "reference|version|version" });

        await api.DeleteAsync($"/api/projects/{build.Project}/products/{product}");

        Assert.Equal(0, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{build.Project.ToLowerInvariant()}.links"));
    }

    [Fact]
    public async Task the_migration_arms_existing_projects_and_drops_the_links_left_behind()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var schema = $"project_{build.Project.ToLowerInvariant()}";
        var a = await build.FolderAsync();
        var b = await build.FolderAsync();
        await api.PostAsync($"/api/projects/{build.Project}/links", new { input = a, output = b, linkType = "breakdown|folder|folder" });
        await Sql.ExecuteAsync(app, $"""
            DROP TRIGGER folders_links ON {schema}.folders;
            INSERT INTO {schema}.links (id, link_type, input_id, output_id) VALUES (gen_random_uuid(), 'breakdown|folder|folder', gen_random_uuid(), @a::uuid);
            """, new { a });
        var migration = Anvil.Server.Data.MigrationRunner.Embedded.Single(m => m.Name.Contains("entity_link_cleanup", StringComparison.Ordinal));

        await Sql.ExecuteAsync(app, migration.Sql);
        var stale = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM {schema}.links");
        await api.DeleteAsync($"/api/projects/{build.Project}/folders/{b}");

        Assert.Equal(1, stale);
        Assert.Equal(0, await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM {schema}.links"));
    }
}
