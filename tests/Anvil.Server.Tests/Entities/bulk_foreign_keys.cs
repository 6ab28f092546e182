using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Tests.Features.Projects;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Anvil.Server.Tests.Entities;

/// <summary>
/// A run of creates has its foreign keys checked once, at the end of its COPY, instead of by
/// PostgreSQL's trigger per row (migration 0021). These check that nothing is lost by it: the same
/// answers through the API, PostgreSQL's own error, the same locks on the referenced rows, the
/// per-row triggers back for the next statement, and the cases where the database keeps them.
/// </summary>
public sealed class bulk_foreign_keys(AnvilApp app) : IClassFixture<AnvilApp>
{
    /// <summary>Past the size from which EntityStore checks a run's foreign keys together.</summary>
    const int RunLength = 20;

    static object CreateVersion(int version, string productId, object? extra = null)
    {
        var data = new JsonObject { ["version"] = version, ["productId"] = productId };
        if (extra is not null)
            foreach (var (key, value) in JsonSerializer.SerializeToNode(extra)!.AsObject())
                data[key] = value?.DeepClone();
        return new { id = $"op{version}", type = "create", entityType = "version", data };
    }

    [Fact]
    public async Task a_run_naming_a_missing_task_is_answered_as_single_creates_are_and_nothing_is_kept()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var product = await new EntityBuilder(api, project).ProductAsync();

        var result = await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = Enumerable.Range(1, RunLength)
                .Select(v => CreateVersion(v, product, v == 13 ? new { taskId = EntityBuilder.NewId() } : null)).ToArray(),
        });

        Assert.False(result["success"]!.GetValue<bool>());
        var operations = result["operations"]!.AsArray();
        Assert.Equal(13, operations.Count);
        var failed = operations[12]!;
        Assert.Equal("op13", failed["id"]!.GetValue<string>());
        Assert.Equal(400, failed["status"]!.GetValue<int>());
        Assert.Contains("taskId", failed["detail"]!.GetValue<string>());
        Assert.Equal("0", await app.ProjectScalarAsync(project, "SELECT count(*) FROM versions"));
    }

    [Fact]
    public async Task with_can_fail_a_run_keeps_every_create_but_the_one_naming_a_missing_thumbnail()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var product = await new EntityBuilder(api, project).ProductAsync();

        var result = await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = Enumerable.Range(1, RunLength)
                .Select(v => CreateVersion(v, product, v == 5 ? new { thumbnailId = EntityBuilder.NewId() } : null)).ToArray(),
            canFail = true,
        });

        var operations = result["operations"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, RunLength).Select(v => v != 5), operations.Select(o => o!["success"]!.GetValue<bool>()));
        Assert.Equal(400, operations[4]!["status"]!.GetValue<int>());
        Assert.Contains("thumbnailId", operations[4]!["detail"]!.GetValue<string>());
        Assert.Equal((RunLength - 1).ToString(), await app.ProjectScalarAsync(project, "SELECT count(*) FROM versions"));
    }

    [Fact]
    public async Task a_run_of_folders_bumps_the_hierarchy_generation_once()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        var before = long.Parse((await app.ProjectScalarAsync(project, "SELECT generation FROM hierarchy_generation"))!);

        await api.PostAsync($"/api/projects/{project}/operations", new
        {
            operations = Enumerable.Range(0, RunLength).Select(i => new { type = "create", entityType = "folder", data = new { name = $"shot{i:000}", folderType = "Shot" } }).ToArray(),
        });

        Assert.Equal(before + 1, long.Parse((await app.ProjectScalarAsync(project, "SELECT generation FROM hierarchy_generation"))!));
        var hierarchy = await api.GetAsync($"/api/projects/{project}/hierarchy");
        Assert.Equal(RunLength, hierarchy["hierarchy"]!.AsArray().Count);
    }

    [Fact]
    public async Task a_deferred_insert_is_checked_at_the_end_of_its_statement_with_postgresqls_error()
    {
        var (project, version) = await VersionAsync();
        await using var session = await ProjectTransactionAsync(project);

        Assert.True(await DeferAsync(session, "representations"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertRepresentationsAsync(session, version, missingAt: 7));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
        Assert.Equal("representations_version_id_fkey", error.ConstraintName);
        Assert.Equal("representations", error.TableName);
        Assert.Equal("insert or update on table \"representations\" violates foreign key constraint \"representations_version_id_fkey\"", error.MessageText);
        Assert.Contains("check_deferred_foreign_keys", error.Where);
    }

    [Fact]
    public async Task after_a_deferred_insert_the_per_row_triggers_check_again()
    {
        var (project, version) = await VersionAsync();
        await using var session = await ProjectTransactionAsync(project);

        Assert.True(await DeferAsync(session, "representations"));
        await InsertRepresentationsAsync(session, version);
        Assert.Equal("origin", await ScalarAsync(session, "SHOW session_replication_role"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertRepresentationsAsync(session, version, missingAt: 0, count: 1));

        Assert.Equal("representations_version_id_fkey", error.ConstraintName);
        Assert.DoesNotContain("check_deferred_foreign_keys", error.Where ?? "");
    }

    [Fact]
    public async Task the_rows_a_deferred_insert_references_cannot_be_deleted_until_it_ends()
    {
        var (project, version) = await VersionAsync();
        await using var session = await ProjectTransactionAsync(project);
        Assert.True(await DeferAsync(session, "representations"));
        await InsertRepresentationsAsync(session, version);

        await using var other = await ProjectTransactionAsync(project);
        await ScalarAsync(other, "SET LOCAL lock_timeout = '300ms'");
        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(other, $"DELETE FROM versions WHERE id = '{version}'"));

        Assert.Equal(PostgresErrorCodes.LockNotAvailable, error.SqlState);
    }

    [Fact]
    public async Task a_table_with_an_insert_trigger_of_its_own_keeps_the_per_row_checks()
    {
        var (project, version) = await VersionAsync();
        await app.InProjectAsync(project, """
            CREATE FUNCTION audit_representation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
            CREATE TRIGGER studio_audit AFTER INSERT ON representations FOR EACH ROW EXECUTE FUNCTION audit_representation();
            """);
        await using var session = await ProjectTransactionAsync(project);

        Assert.False(await DeferAsync(session, "representations"));
        Assert.Equal("origin", await ScalarAsync(session, "SHOW session_replication_role"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertRepresentationsAsync(session, version, missingAt: 3));
        Assert.DoesNotContain("check_deferred_foreign_keys", error.Where ?? "");
    }

    [Fact]
    public async Task a_user_who_may_not_set_the_replication_role_keeps_the_per_row_checks()
    {
        var (project, _) = await VersionAsync();
        await Sql.ExecuteAsync(app, $"""
            DO $$ BEGIN CREATE ROLE anvil_without_replication_role NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT USAGE ON SCHEMA project_{project.ToLowerInvariant()} TO anvil_without_replication_role;
            """);
        await using var session = await ProjectTransactionAsync(project);
        await ScalarAsync(session, "SET LOCAL ROLE anvil_without_replication_role");

        Assert.False(await DeferAsync(session, "representations"));
        Assert.Equal("origin", await ScalarAsync(session, "SHOW session_replication_role"));
    }

    [Fact]
    public async Task someone_elses_replica_mode_is_left_alone()
    {
        var (project, version) = await VersionAsync();
        await using var session = await ProjectTransactionAsync(project);
        await ScalarAsync(session, "SET LOCAL session_replication_role = replica");

        // As pg_restore --disable-triggers or a subscriber expects: nothing checked, the mode kept.
        await InsertRepresentationsAsync(session, version, missingAt: 2);

        Assert.Equal("replica", await ScalarAsync(session, "SHOW session_replication_role"));
    }

    async Task<(string Project, string Version)> VersionAsync()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);
        return (project, await new EntityBuilder(api, project).VersionAsync());
    }

    /// <summary>A connection in a transaction with the project's schema on the search path; rolled back when disposed.</summary>
    sealed class ProjectTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public NpgsqlConnection Connection => connection;

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    async Task<ProjectTransaction> ProjectTransactionAsync(string project)
    {
        var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await ProjectSchema.UseAsync(connection, project, CancellationToken.None);
        return new ProjectTransaction(connection, transaction);
    }

    static async Task<bool> DeferAsync(ProjectTransaction session, string table) =>
        bool.Parse((await ScalarAsync(session, $"SELECT public.defer_foreign_keys('{table}')"))!);

    static async Task<string?> ScalarAsync(ProjectTransaction session, string sql)
    {
        await using var command = new NpgsqlCommand(sql, session.Connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    /// <summary>Representations of the version in one statement; the one at <paramref name="missingAt"/> names a version that does not exist.</summary>
    static async Task InsertRepresentationsAsync(ProjectTransaction session, string version, int? missingAt = null, int count = RunLength)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO representations (id, name, version_id, status)
            SELECT gen_random_uuid(), 'r' || i, CASE WHEN i = @missingAt THEN gen_random_uuid() ELSE @version END,
                   (SELECT name FROM statuses ORDER BY position LIMIT 1)
            FROM generate_series(0, @count - 1) i
            """, session.Connection);
        command.Parameters.AddWithValue("version", Guid.Parse(version));
        command.Parameters.AddWithValue("missingAt", missingAt ?? -1);
        command.Parameters.AddWithValue("count", count);
        await command.ExecuteNonQueryAsync();
    }
}
