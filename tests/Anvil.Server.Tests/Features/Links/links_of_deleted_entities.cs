using Anvil.Server.Data;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>
    /// In a database of its own: the migration walks every project, and in the shared test database
    /// other classes create, write and drop projects while it runs.
    /// </summary>
    [Fact]
    public async Task the_migration_arms_existing_projects_and_drops_the_links_left_behind()
    {
        await using var db = Db.Create(TestEnvironment.Options(("AYON_POSTGRES_URL", await TestEnvironment.CreateDatabaseAsync(Unique.Name("anvil_links_migration")))));
        await new MigrationRunner(db, NullLogger<MigrationRunner>.Instance).RunAsync();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        await using var connection = await db.OpenAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO projects (name, code) VALUES ('linked', 'lnk')");
            await ProjectSchema.CreateAsync(connection, "linked", CancellationToken.None);
            await connection.ExecuteAsync("""
                INSERT INTO statuses (name, position) VALUES ('Todo', 0);
                INSERT INTO link_types (name, link_type, input_type, output_type) VALUES ('breakdown|folder|folder', 'breakdown', 'folder', 'folder');
                INSERT INTO folders (id, name, status) VALUES (@a, 'a', 'Todo'), (@b, 'b', 'Todo');
                INSERT INTO links (id, link_type, input_id, output_id) VALUES (gen_random_uuid(), 'breakdown|folder|folder', @a, @b);
                DROP TRIGGER folders_links ON folders;
                INSERT INTO links (id, link_type, input_id, output_id) VALUES (gen_random_uuid(), 'breakdown|folder|folder', gen_random_uuid(), @a);
                """, new { a, b });
            await transaction.CommitAsync();
        }
        var migration = MigrationRunner.Embedded.Single(m => m.Name.Contains("entity_link_cleanup", StringComparison.Ordinal));

        await connection.ExecuteAsync(migration.Sql);
        var stale = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM project_linked.links");
        await connection.ExecuteAsync("DELETE FROM project_linked.folders WHERE id = @b", new { b });

        Assert.Equal(1, stale);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM project_linked.links"));
    }
}
