using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Entities.Operations;

/// <summary>
/// <c>Idempotency-Key</c> on an operations request: the first request with a key runs and its answer
/// is kept for a day; a retry with the same key and body gets that answer again without anything
/// being applied twice (a farm script that timed out can simply retry). Keys are per user.
/// </summary>
public sealed class IdempotencyKeys(Redis redis)
{
    public const string Header = "Idempotency-Key";
    static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);
    const string Pending = "pending";

    sealed record Stored(string BodyHash, JsonNode Response);

    /// <summary>Runs <paramref name="run"/> once per key; a replay returns the stored answer and marks the response.</summary>
    public async Task<T> RunOnceAsync<T>(HttpContext http, string userName, object body, Func<Task<T>> run)
    {
        var key = http.Request.Headers[Header].ToString();
        if (key.Length == 0)
            return await run();
        if (key.Length > 200)
            throw BadRequest.Field(Header, "at most 200 characters");

        var redisKey = redis.Key("idempotency", $"{userName}:{key}");
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, AyonJson.Options))));
        if (!await redis.Database.StringSetAsync(redisKey, Pending, Lifetime, StackExchange.Redis.When.NotExists))
        {
            var value = await redis.Database.StringGetAsync(redisKey);
            if (value == Pending)
                throw new Conflict($"A request with Idempotency-Key '{key}' is still running; retry later", "idempotency-key-in-use");
            var stored = JsonSerializer.Deserialize<Stored>(value.ToString(), AyonJson.Options)!;
            if (stored.BodyHash != bodyHash)
                throw new Conflict($"Idempotency-Key '{key}' was used for a different request", "idempotency-key-reused");
            http.Response.Headers["Idempotent-Replayed"] = "true";
            return stored.Response.Deserialize<T>(AyonJson.Options)!;
        }

        T response;
        try
        {
            response = await run();
        }
        catch
        {
            // Nothing was applied (a failed batch rolls back), so a retry may run it afresh.
            await redis.Database.KeyDeleteAsync(redisKey);
            throw;
        }
        var record = new Stored(bodyHash, JsonSerializer.SerializeToNode(response, AyonJson.Options)!);
        await redis.Database.StringSetAsync(redisKey, JsonSerializer.Serialize(record, AyonJson.Options), Lifetime);
        return response;
    }
}
