using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Data;

/// <summary>The process-wide PostgreSQL pool. Every query of the server goes through it.</summary>
public sealed class Db(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public static Db Create(AyonOptions options)
    {
        DapperConfiguration.Apply();
        var builder = new NpgsqlDataSourceBuilder(options.PostgresConnectionString());
        return new Db(builder.Build());
    }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default) =>
        DataSource.OpenConnectionAsync(cancellationToken);

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

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
