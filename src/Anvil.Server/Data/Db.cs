using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Data;

/// <summary>The process-wide PostgreSQL pool. Every query of the server goes through it.</summary>
public sealed class Db(NpgsqlDataSource dataSource, NpgsqlDataSource unpooled) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public static Db Create(AyonOptions options)
    {
        DapperConfiguration.Apply();
        var connectionString = options.PostgresConnectionString();
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        return new Db(new NpgsqlDataSourceBuilder(connectionString).Build(), new NpgsqlDataSourceBuilder(unpooled).Build());
    }

    /// <summary>
    /// A pooled connection. Pooled connections are not reset when they return
    /// (<see cref="AyonOptions.PostgresConnectionString"/>), so nothing may leave session state on one:
    /// settings are <c>SET LOCAL</c>, session advisory locks are released in a <c>finally</c>, and a
    /// <c>LISTEN</c> takes a connection of its own (<see cref="OpenUnpooledAsync"/>).
    /// </summary>
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default) =>
        DataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>A connection of its own, closed for good when disposed: for session state that must not outlive it (<c>LISTEN</c>).</summary>
    public ValueTask<NpgsqlConnection> OpenUnpooledAsync(CancellationToken cancellationToken = default) =>
        unpooled.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Waits until PostgreSQL accepts a connection, at most <paramref name="patience"/>: in compose or
    /// Kubernetes the server often starts before its database. A refused login is not waited out.
    /// </summary>
    public async Task WaitUntilReachableAsync(TimeSpan patience, ILogger logger, CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException e) when ((e is not PostgresException || e is PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow })
                                           && System.Diagnostics.Stopwatch.GetElapsedTime(started) < patience)
            {
                if (attempt == 1)
                    logger.LogWarning("Waiting for PostgreSQL ({Error})", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await unpooled.DisposeAsync();
    }
}
