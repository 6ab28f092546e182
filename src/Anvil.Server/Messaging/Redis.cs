using Anvil.Server.Hosting;
using StackExchange.Redis;

namespace Anvil.Server.Messaging;

/// <summary>The process-wide Redis connection and the naming of every key the server writes.</summary>
public sealed class Redis(IConnectionMultiplexer connection, AyonOptions options) : IAsyncDisposable
{
    public IConnectionMultiplexer Connection { get; } = connection;

    public IDatabase Database => Connection.GetDatabase();

    public static async Task<Redis> ConnectAsync(AyonOptions options) =>
        new(await ConnectionMultiplexer.ConnectAsync(options.RedisConfiguration()), options);

    /// <summary>A key in this server's namespace, e.g. <c>Key("session", hash)</c> → <c>anvil:session:hash</c>.</summary>
    public RedisKey Key(string kind, string id) => $"{options.RedisKeyPrefix}{kind}:{id}";

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
