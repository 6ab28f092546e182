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

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
