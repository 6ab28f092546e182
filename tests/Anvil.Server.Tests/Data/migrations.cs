using Anvil.Server.Data;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Server.Tests.Data;

public sealed class migrations
{
    static async Task<Db> FreshDatabaseAsync()
    {
        var url = await TestEnvironment.CreateDatabaseAsync(Unique.Name("anvil_migrations"));
        return Db.Create(TestEnvironment.Options(("AYON_POSTGRES_URL", url)));
    }

    [Fact]
    public async Task two_runners_started_at_once_apply_each_migration_exactly_once()
    {
        await using var db = await FreshDatabaseAsync();
        var first = new MigrationRunner(db, NullLogger<MigrationRunner>.Instance);
        var second = new MigrationRunner(db, NullLogger<MigrationRunner>.Instance);

        var results = await Task.WhenAll(first.RunAsync(), second.RunAsync());

        var expected = MigrationRunner.Embedded.Select(m => m.Version).ToArray();
        Assert.Equal(expected, results.SelectMany(r => r).Order().ToArray());
        Assert.Contains(results, r => r.Count == 0);
        await using var connection = await db.OpenAsync();
        var recorded = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).ToArray();
        Assert.Equal(expected, recorded);
    }

    [Fact]
    public async Task a_second_run_applies_nothing()
    {
        await using var db = await FreshDatabaseAsync();
        var runner = new MigrationRunner(db, NullLogger<MigrationRunner>.Instance);
        await runner.RunAsync();

        var again = await runner.RunAsync();

        Assert.Empty(again);
    }

    [Fact]
    public void embedded_migrations_are_numbered_without_gaps()
    {
        var versions = MigrationRunner.Embedded.Select(m => m.Version).ToArray();

        Assert.Equal(Enumerable.Range(1, versions.Length), versions);
    }
}
