using Anvil.Server.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Direct SQL against the test database, for state HTTP cannot reach or observe.</summary>
public static class Sql
{
    public static async Task ExecuteAsync(AnvilApp app, string sql, object? parameters = null)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        await connection.ExecuteAsync(sql, parameters);
    }

    public static async Task<List<T>> QueryAsync<T>(AnvilApp app, string sql, object? parameters = null)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        return [.. await connection.QueryAsync<T>(sql, parameters)];
    }

    public static async Task<T?> ScalarAsync<T>(AnvilApp app, string sql, object? parameters = null)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters);
    }
}
