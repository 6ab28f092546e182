using Anvil.Server.Data;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Anvil.Server.Tests.Data;

/// <summary>
/// Migration 0019: the (depends_on, topic) index holds only events that depend on another, and every
/// lookup by a source still finds its jobs through it, the foreign key's ON DELETE SET NULL included.
/// </summary>
public sealed class events_depends_on_index
{
    static async Task<Db> MigratedDatabaseAsync()
    {
        var db = Db.Create(TestEnvironment.Options(("AYON_POSTGRES_URL", await TestEnvironment.CreateDatabaseAsync(Unique.Name("anvil_depends_on")))));
        await new MigrationRunner(db, NullLogger<MigrationRunner>.Instance).RunAsync();
        return db;
    }

    static Task InsertEventAsync(NpgsqlConnection connection, Guid id, string topic, Guid? dependsOn) =>
        connection.ExecuteAsync(
            "INSERT INTO events (id, hash, topic, depends_on) VALUES (@id, replace(@id::text, '-', ''), @topic, @dependsOn)",
            new { id, topic, dependsOn });

    static Task<string> DefinitionAsync(NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<string>("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'events_depends_on_topic'")!;

    [Fact]
    public async Task the_index_holds_only_events_with_a_source()
    {
        await using var db = await MigratedDatabaseAsync();
        await using var connection = await db.OpenAsync();

        var definition = await DefinitionAsync(connection);

        Assert.Equal("CREATE INDEX events_depends_on_topic ON public.events USING btree (depends_on, topic) WHERE (depends_on IS NOT NULL)", definition);
    }

    [Fact]
    public async Task a_lookup_by_source_uses_the_index_in_a_generic_plan()
    {
        await using var db = await MigratedDatabaseAsync();
        await using var connection = await db.OpenAsync();
        await connection.ExecuteAsync("""
            SET enable_seqscan = off;
            SET plan_cache_mode = force_generic_plan;
            PREPARE jobs_of(uuid) AS SELECT id FROM events WHERE depends_on = $1 AND topic = 'conversion.job';
            PREPARE has_children(uuid) AS SELECT EXISTS (SELECT FROM events c WHERE c.depends_on = $1);
            """);

        var jobs = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN EXECUTE jobs_of(NULL)"));
        var children = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN EXECUTE has_children(NULL)"));

        Assert.Contains("events_depends_on_topic", jobs, StringComparison.Ordinal);
        Assert.Contains("events_depends_on_topic", children, StringComparison.Ordinal);
    }

    [Fact]
    public async Task deleting_a_source_still_clears_the_depends_on_of_its_jobs()
    {
        await using var db = await MigratedDatabaseAsync();
        await using var connection = await db.OpenAsync();
        var (source, job, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await InsertEventAsync(connection, source, "entity.version.created", null);
        await InsertEventAsync(connection, other, "entity.version.created", null);
        await InsertEventAsync(connection, job, "conversion.job", source);
        await InsertEventAsync(connection, Guid.NewGuid(), "conversion.job", other);

        await connection.ExecuteAsync("DELETE FROM events WHERE id = @source", new { source });

        Assert.Null(await connection.ExecuteScalarAsync<Guid?>("SELECT depends_on FROM events WHERE id = @job", new { job }));
        Assert.Equal(other, await connection.ExecuteScalarAsync<Guid?>("SELECT depends_on FROM events WHERE depends_on IS NOT NULL"));
    }

    [Fact]
    public async Task the_migration_run_again_leaves_the_same_index()
    {
        await using var db = await MigratedDatabaseAsync();
        await using var connection = await db.OpenAsync();
        var before = await DefinitionAsync(connection);
        var migration = MigrationRunner.Embedded.Single(m => m.Name.Contains("events_depends_on_partial", StringComparison.Ordinal));

        await connection.ExecuteAsync(migration.Sql);

        Assert.Equal(before, await DefinitionAsync(connection));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE tablename = 'events' AND indexdef LIKE '%(depends_on, topic)%'"));
    }
}
