using Anvil.Server.Data;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Anvil.Server.Tests.Data;

/// <summary>
/// Pooled connections are not reset on return (AyonOptions.PostgresConnectionString): what the server
/// does on one must leave nothing behind for the next request that takes it.
/// </summary>
public sealed class pooled_connections
{
    static async Task<Db> OneConnectionPoolAsync()
    {
        var url = await TestEnvironment.CreateDatabaseAsync(Unique.Name("anvil_pool"));
        return Db.Create(TestEnvironment.Options(("AYON_POSTGRES_URL", url + "?Maximum%20Pool%20Size=1")));
    }

    static async Task<(int Pid, string SearchPath, long AdvisoryLocks)> StateAsync(Db db)
    {
        await using var connection = await db.OpenAsync();
        return await connection.QuerySingleAsync<(int, string, long)>("""
            SELECT pg_backend_pid(), current_setting('search_path'),
                   (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())
            """);
    }

    [Fact]
    public async Task a_connection_comes_back_without_the_search_path_transaction_or_locks_of_its_last_user()
    {
        await using var db = await OneConnectionPoolAsync();
        var before = await StateAsync(db);

        await using (var connection = await db.OpenAsync())
        {
            // A write session abandoned mid-transaction: its search path and transaction lock go with the rollback.
            var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("SET LOCAL search_path TO pg_catalog; SELECT pg_advisory_xact_lock(42)", transaction: transaction);
        }
        await using (var connection = await db.OpenAsync())
        {
            // A read session's statement that fails inside its one-round-trip transaction.
            await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
                "BEGIN; SET LOCAL search_path TO pg_catalog; SELECT 1 / 0; COMMIT"));
        }
        await using (var connection = await db.OpenAsync())
        {
            // A transaction begun in SQL text and left open, as a cancelled enroll leaves its own.
            await connection.ExecuteAsync("BEGIN; SET LOCAL search_path TO pg_catalog; SELECT pg_advisory_xact_lock(43)");
        }
        await using (var connection = await db.OpenAsync())
        {
            // A session lock taken and released as the publisher, migrations and user setup do.
            await connection.ExecuteAsync("SELECT pg_advisory_lock(7)");
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(7)");
        }

        // A transaction left open would still hold lock 42, or (the failed one) refuse this query.
        var after = await StateAsync(db);
        Assert.Equal(before.Pid, after.Pid);
        Assert.Equal(before.SearchPath, after.SearchPath);
        Assert.Equal(0, after.AdvisoryLocks);
    }

    [Fact]
    public async Task a_listening_connection_is_its_own_and_closes_for_good()
    {
        await using var db = await OneConnectionPoolAsync();
        int listener;
        await using (var connection = await db.OpenUnpooledAsync())
        {
            await connection.ExecuteAsync("LISTEN anvil_pool_test");
            listener = await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
        }

        var pooled = await StateAsync(db);
        Assert.NotEqual(listener, pooled.Pid);
        await using var check = await db.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (await check.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = @listener)", new { listener })
               && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.False(await check.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = @listener)", new { listener }));
    }
}
