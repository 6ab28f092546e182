using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Users;

/// <summary>A personal API key as listed: a preview only. <c>projects</c> is absent when the key reaches every project.</summary>
public sealed record ApiKeyModel(Guid Id, string? Label, string Preview, DateTimeOffset Created, DateTimeOffset? Expires, DateTimeOffset? LastUsed,
    IReadOnlyList<string>? Projects, string Access, int? RateLimit)
{
    public static ApiKeyModel From(ApiKeyRecord key) =>
        new(key.Id, key.Label, key.Preview, key.CreatedAt, key.ExpiresAt, key.LastUsedAt, key.Projects, ApiKeyAccess.Of(key), key.RateLimit);
}

/// <summary>A new personal API key: the only answer that ever carries the key.</summary>
public sealed record NewApiKeyResponse(Guid Id, string? Label, string Key, string Preview, DateTimeOffset Created, DateTimeOffset? Expires,
    IReadOnlyList<string>? Projects, string Access, int? RateLimit);

/// <summary>The wire names of a key's access: <c>read</c> (read-only) or <c>readwrite</c>.</summary>
public static class ApiKeyAccess
{
    public const string Read = "read";
    public const string ReadWrite = "readwrite";

    public static string Of(ApiKeyRecord key) => key.ReadOnly ? Read : ReadWrite;
}

public static partial class UserEndpoints
{
    static void MapApiKeyEndpoints(RouteGroupBuilder users)
    {
        users.MapPost("/{name}/apikeys", CreateApiKeyAsync).WithName("create_api_key")
            .WithSummary("Creates a personal API key, optionally limited to projects, to reading and to a request rate; the answer is the only time the key is shown.");
        users.MapGet("/{name}/apikeys", ListApiKeysAsync).WithName("list_api_keys")
            .WithSummary("The user's API keys, by preview (the user or managers).");
        users.MapPatch("/{name}/apikeys/{id}", PatchApiKeyAsync).WithName("patch_api_key")
            .WithSummary("Changes a key's label, expiry, projects, access or rate limit (the user or managers; not the key itself).");
        users.MapDelete("/{name}/apikeys/{id}", DeleteApiKeyAsync).WithName("delete_api_key")
            .WithSummary("Revokes a key at once (the user or managers).");
    }

    static async Task<NewApiKeyResponse> CreateApiKeyAsync(string name, JsonObject body, CurrentUser user, UserStore users, Db db,
        AyonOptions options, CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        RequireSelfOrAdmin(user, target);
        RequireUnlimitedCredential(user);
        if (!body.ContainsKey("label"))
            throw BadRequest.Field("label", "field required", "missing");
        var key = ReadString(body["key"], "key") ?? Secrets.NewApiKey();
        if (key.Length < 32)
            throw BadRequest.Field("key", "an API key needs at least 32 characters");

        await using var connection = await db.OpenAsync(cancellationToken);
        var settings = await ApplyApiKeySettingsAsync(body, new ApiKeyRecord(), user, options, connection, cancellationToken);
        var created = await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition($"""
            INSERT INTO api_keys (user_name, key_hash, preview, label, expires_at, projects, read_only, rate_limit)
            VALUES (@user, @hash, @preview, @Label, @ExpiresAt, @Projects, @ReadOnly, @RateLimit)
            ON CONFLICT (key_hash) DO NOTHING
            RETURNING {ApiKeyRecord.Columns}
            """, new
        {
            user = target.Name,
            hash = Secrets.HashApiKey(key, options.AuthPassPepper),
            preview = Secrets.Preview(key),
            settings.Label,
            settings.ExpiresAt,
            settings.Projects,
            settings.ReadOnly,
            settings.RateLimit,
        }, cancellationToken: cancellationToken))
            ?? throw new Conflict("This API key exists already");
        return new NewApiKeyResponse(created.Id, created.Label, key, created.Preview, created.CreatedAt, created.ExpiresAt,
            created.Projects, ApiKeyAccess.Of(created), created.RateLimit);
    }

    static async Task<IReadOnlyList<ApiKeyModel>> ListApiKeysAsync(string name, CurrentUser user, UserStore users, Db db,
        CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        RequireKeyManager(user, target);
        await using var connection = await db.OpenAsync(cancellationToken);
        var keys = await connection.QueryAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {ApiKeyRecord.Columns} FROM api_keys WHERE user_name = @name ORDER BY created_at",
            new { name = target.Name }, cancellationToken: cancellationToken));
        return [.. keys.Select(ApiKeyModel.From)];
    }

    static async Task<IResult> PatchApiKeyAsync(string name, string id, JsonObject body, CurrentUser user, UserStore users, Db db,
        AuthCache cache, AyonOptions options, CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        RequireKeyManager(user, target);
        RequireUnlimitedCredential(user);
        var keyId = ParseKeyId(id);
        if (user.ApiKey?.Id == keyId)
            throw new Forbidden("An API key cannot change itself");

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var key = await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {ApiKeyRecord.Columns} FROM api_keys WHERE id = @keyId AND user_name = @name FOR UPDATE",
            new { keyId, name = target.Name }, cancellationToken: cancellationToken))
            ?? throw new NotFound($"API key {id} not found");
        var changed = await ApplyApiKeySettingsAsync(body, key, user, options, connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE api_keys SET label = @Label, expires_at = @ExpiresAt, projects = @Projects, read_only = @ReadOnly, rate_limit = @RateLimit
            WHERE id = @Id
            """, changed, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        await cache.UsersChangedAsync();
        return Results.NoContent();
    }

    static async Task<IResult> DeleteApiKeyAsync(string name, string id, CurrentUser user, UserStore users, Db db, AuthCache cache,
        CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        RequireKeyManager(user, target);
        var keyId = ParseKeyId(id);
        await using var connection = await db.OpenAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM api_keys WHERE id = @keyId AND user_name = @name", new { keyId, name = target.Name }, cancellationToken: cancellationToken));
        if (deleted == 0)
            throw new NotFound($"API key {id} not found");
        await cache.UsersChangedAsync();
        return Results.NoContent();
    }

    /// <summary>
    /// The key with the settings the body gives: <c>label</c>, <c>expires</c>, <c>projects</c>,
    /// <c>access</c>, <c>rateLimit</c>. A field the body lacks keeps its value; null restores the
    /// default (no expiry, every project, read-write, the server's rate limit).
    /// </summary>
    static async Task<ApiKeyRecord> ApplyApiKeySettingsAsync(JsonObject body, ApiKeyRecord key, CurrentUser user, AyonOptions options,
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (body.ContainsKey("label"))
        {
            var label = ReadString(body["label"], "label");
            if (label is null or { Length: 0 or > 200 })
                throw BadRequest.Field("label", "a label of 1 to 200 characters is required");
            key = key with { Label = label };
        }
        if (body.ContainsKey("expires"))
            key = key with { ExpiresAt = ReadExpiry(body["expires"]) };
        if (body.ContainsKey("projects"))
            key = key with { Projects = await ReadProjectsAsync(body["projects"], connection, cancellationToken) };
        if (body.ContainsKey("access"))
            key = key with
            {
                ReadOnly = ReadString(body["access"], "access") switch
                {
                    null or ApiKeyAccess.ReadWrite => false,
                    ApiKeyAccess.Read => true,
                    _ => throw BadRequest.Field("access", $"'{ApiKeyAccess.Read}' or '{ApiKeyAccess.ReadWrite}' is expected"),
                },
            };
        if (body.ContainsKey("rateLimit"))
            key = key with { RateLimit = ReadRateLimit(body["rateLimit"], user, options) };
        return key;
    }

    static DateTimeOffset? ReadExpiry(JsonNode? node)
    {
        DateTimeOffset? expires = node switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds),
            JsonValue v when v.TryGetValue<string>(out var s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw BadRequest.Field("expires", "epoch seconds or an ISO 8601 time expected"),
        };
        if (expires <= DateTimeOffset.UtcNow)
            throw BadRequest.Field("expires", "the expiry must be in the future");
        return expires;
    }

    /// <summary>Existing project names under their stored spelling; null: every project.</summary>
    static async Task<string[]?> ReadProjectsAsync(JsonNode? node, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (node is null)
            return null;
        if (node is not JsonArray { Count: > 0 } items)
            throw BadRequest.Field("projects", "a list of at least one project name is expected, or null for every project");
        var requested = new string[items.Count];
        for (var i = 0; i < items.Count; i++)
            requested[i] = ReadString(items[i], $"projects.{i}") ?? throw BadRequest.Field($"projects.{i}", "a project name is expected");
        var existing = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT name FROM projects WHERE lower(name) = ANY(@names)",
                new { names = requested.Select(p => p.ToLowerInvariant()).ToArray() }, cancellationToken: cancellationToken)))
            .ToDictionary(p => p, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < requested.Length; i++)
        {
            if (!existing.TryGetValue(requested[i], out var stored))
                throw BadRequest.Field($"projects.{i}", $"there is no project '{requested[i]}'");
            requested[i] = stored;
        }
        return [.. requested.Distinct()];
    }

    /// <summary>
    /// A key's own limit in requests per rate window (0 unlimited), or null for the server's default.
    /// Only managers may allow a key more than the default: the default is what protects the server.
    /// </summary>
    static int? ReadRateLimit(JsonNode? node, CurrentUser user, AyonOptions options)
    {
        int? limit = node switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= 0 => n,
            _ => throw BadRequest.Field("rateLimit", "a whole number of requests per window (0: unlimited) is expected, or null for the server's default"),
        };
        var exceedsDefault = options.ApiKeyRateLimit > 0 && limit is { } l && (l == 0 || l > options.ApiKeyRateLimit);
        if (exceedsDefault && !user.IsManager)
            throw new Forbidden($"rateLimit: only managers may allow a key more than {options.ApiKeyRateLimit} requests per window");
        return limit;
    }

    static Guid ParseKeyId(string id) => Guid.TryParse(id, out var keyId) ? keyId : throw new NotFound($"API key {id} not found");

    /// <summary>Keys are minted only by their user or an admin.</summary>
    static void RequireSelfOrAdmin(CurrentUser user, UserRecord target)
    {
        if (!IsSelf(user, target) && !user.IsAdmin)
            throw new Forbidden("Only the user and admins may create a user's API keys");
    }

    /// <summary>Managers may see, change and revoke other users' keys; only admins those of admins and service users.</summary>
    static void RequireKeyManager(CurrentUser user, UserRecord target)
    {
        if (IsSelf(user, target))
            return;
        user.RequireManager("manage other users' API keys");
        if ((target.IsAdmin || target.IsService) && !user.IsAdmin)
            throw new Forbidden("Only admins may manage the API keys of admins and service users");
    }

    /// <summary>A key limited to some projects must not mint or widen keys: that would step out of its own limit.</summary>
    static void RequireUnlimitedCredential(CurrentUser user)
    {
        if (user.Scope?.Projects is not null)
            throw new Forbidden("An API key limited to projects cannot create or change API keys");
    }
}
