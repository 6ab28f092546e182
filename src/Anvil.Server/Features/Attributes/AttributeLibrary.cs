using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;
using StackExchange.Redis;

namespace Anvil.Server.Features.Attributes;

/// <summary>
/// The attribute library, cached in every process. A change is written in one transaction (with an
/// event), then every instance is told through Redis pub/sub and reloads its cache: unlike AYON, no
/// restart is needed.
/// </summary>
public sealed class AttributeLibrary(Db db, Redis redis, AyonOptions options, EventStore events, ILogger<AttributeLibrary> logger) : IHostedService
{
    public static readonly string[] Types =
        ["integer", "float", "string", "boolean", "datetime", "list_of_strings", "list_of_integers", "list_of_any", "list_of_submodels", "dict"];

    public static readonly string[] Scopes = ["project", "folder", "task", "product", "version", "representation", "workfile", "user", "list"];

    /// <summary>The definition keys AYON returns for every attribute (null when unset), in its order.</summary>
    public static readonly string[] DataKeys =
        ["type", "title", "description", "example", "default", "gt", "ge", "lt", "le", "minLength", "maxLength",
         "minItems", "maxItems", "regex", "enum", "enumResolver", "enumResolverSettings", "inherit", "widget", "widgetSettings"];

    static readonly string[] NumberKeys = ["gt", "ge", "lt", "le"];
    static readonly string[] CountKeys = ["minLength", "maxLength", "minItems", "maxItems"];

    volatile IReadOnlyList<AttributeDefinition>? _all;
    readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>Reloads the library here and tells every other instance to reload theirs (a restart request).</summary>
    public async Task ReloadEverywhereAsync(CancellationToken cancellationToken = default)
    {
        await ReloadAsync(cancellationToken);
        try
        {
            await redis.Connection.GetSubscriber().PublishAsync(Channel, "reload");
        }
        catch (RedisException error)
        {
            logger.LogWarning(error, "Could not ask the other instances to reload the attribute library");
        }
    }

    RedisChannel Channel => RedisChannel.Literal(options.RedisKeyPrefix + "attributes-changed");

    public async Task<IReadOnlyList<AttributeDefinition>> AllAsync(CancellationToken cancellationToken = default)
    {
        if (_all is { } all)
            return all;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            return _all ??= await LoadAsync(cancellationToken);
        }
        finally
        {
            _loading.Release();
        }
    }

    public async Task<IReadOnlyList<AttributeDefinition>> ForScopeAsync(string scope, CancellationToken cancellationToken = default) =>
        [.. (await AllAsync(cancellationToken)).Where(a => a.InScope(scope))];

    /// <summary>Project-scope defaults, to fill a project's <c>attrib</c>.</summary>
    public async Task<JsonObject> ProjectDefaultsAsync(CancellationToken cancellationToken = default)
    {
        var defaults = new JsonObject();
        foreach (var attribute in await ForScopeAsync("project", cancellationToken))
            if (attribute.Data["default"] is { } value)
                defaults[attribute.Name] = value.DeepClone();
        return defaults;
    }

    /// <summary>Rereads the library from the database (after a change here or on another instance).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        var loaded = await LoadAsync(cancellationToken);
        await _loading.WaitAsync(cancellationToken);
        try
        {
            _all = loaded;
        }
        finally
        {
            _loading.Release();
        }
    }

    async Task<IReadOnlyList<AttributeDefinition>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AttributeDefinition>(new CommandDefinition(
            "SELECT name, position, scope, builtin, data FROM attributes ORDER BY position, name", cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Upserts the given attributes; with <paramref name="deleteMissing"/> removes the non-built-in ones not given.</summary>
    public Task ReplaceAsync(IReadOnlyList<AttributeDefinition> attributes, bool deleteMissing, string user, CancellationToken cancellationToken) =>
        ChangeAsync(user, [.. attributes.Select(a => a.Name)], async connection =>
        {
            var deleted = new List<string>();
            foreach (var attribute in attributes)
                await UpsertAsync(connection, attribute, cancellationToken);
            if (deleteMissing)
                deleted.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                    "DELETE FROM attributes WHERE NOT builtin AND NOT (name = ANY(@names)) RETURNING name",
                    new { names = attributes.Select(a => a.Name).ToArray() }, cancellationToken: cancellationToken)));
            return deleted;
        }, cancellationToken);

    public Task SetAsync(AttributeDefinition attribute, string user, CancellationToken cancellationToken) =>
        ChangeAsync(user, [attribute.Name], async connection =>
        {
            await UpsertAsync(connection, attribute, cancellationToken);
            return [];
        }, cancellationToken);

    public async Task DeleteAsync(string name, string user, CancellationToken cancellationToken)
    {
        var existing = (await AllAsync(cancellationToken)).FirstOrDefault(a => a.Name == name) ?? throw new NotFound($"Attribute {name} not found");
        if (existing.Builtin)
            throw BadRequest.Field("name", $"'{name}' is a built-in attribute and cannot be deleted");
        await ChangeAsync(user, [], async connection =>
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM attributes WHERE name = @name", new { name }, cancellationToken: cancellationToken));
            return [name];
        }, cancellationToken);
    }

    async Task ChangeAsync(string user, string[] updated, Func<NpgsqlConnection, Task<List<string>>> change, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var deleted = await change(connection);
            await events.DispatchAsync(connection, new NewEvent
            {
                Topic = "attributes.changed",
                User = user,
                Description = "Attribute library changed",
                Summary = new JsonObject
                {
                    ["updated"] = new JsonArray([.. updated.Select(n => JsonValue.Create(n))]),
                    ["deleted"] = new JsonArray([.. deleted.Select(n => JsonValue.Create(n))]),
                },
            }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await ReloadAsync(cancellationToken);
        try
        {
            await redis.Connection.GetSubscriber().PublishAsync(Channel, "reload");
        }
        catch (RedisException error)
        {
            // The change is committed and this instance has it; the others keep the old library until
            // their Redis connection is restored (see StartAsync) or the next announced change.
            logger.LogWarning(error, "Could not announce an attribute library change to the other instances");
        }
    }

    static Task UpsertAsync(NpgsqlConnection connection, AttributeDefinition attribute, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO attributes (name, position, scope, builtin, data)
            VALUES (@Name, @Position, @Scope, @Builtin, @Data)
            ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, scope = EXCLUDED.scope, data = EXCLUDED.data
            """, attribute, cancellationToken: cancellationToken));

    /// <summary>
    /// Reads a definition from a request body <c>{position?, scope, builtin?, data{...}}</c> (camelCase
    /// or snake_case keys), checking everything; fields named under <paramref name="field"/>.
    /// </summary>
    public AttributeDefinition Parse(string name, JsonObject body, string field, IReadOnlyList<AttributeDefinition> current)
    {
        var prefix = field.Length == 0 ? "" : field + ".";
        if (!Names.IsAttributeName(name))
            throw BadRequest.Field(prefix + "name", "an attribute name is 2 to 64 letters or digits, starting with a letter");
        var existing = current.FirstOrDefault(a => a.Name == name);

        var scope = new List<string>();
        if (body["scope"] is not JsonArray scopeArray || scopeArray.Count == 0)
            throw BadRequest.Field(prefix + "scope", "a non-empty list of entity types is required");
        for (var i = 0; i < scopeArray.Count; i++)
        {
            if (scopeArray[i] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Scopes.Contains(s))
                throw BadRequest.Field($"{prefix}scope.{i}", $"must be one of {string.Join(", ", Scopes)}");
            if (!scope.Contains(s))
                scope.Add(s);
        }

        if (body["data"] is not JsonObject rawData)
            throw BadRequest.Field(prefix + "data", "the attribute definition (an object with at least 'type') is required");
        var data = new JsonObject();
        foreach (var (key, value) in rawData)
            if (value is not null)
                data[CamelCase(key)] = value.DeepClone();

        if (data["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type) || !Types.Contains(type))
            throw BadRequest.Field(prefix + "data.type", $"must be one of {string.Join(", ", Types)}");
        if (existing is { Builtin: true } && existing.Type != type)
            throw BadRequest.Field(prefix + "data.type", $"the type of the built-in attribute '{name}' cannot change");
        foreach (var key in NumberKeys)
            if (data[key] is { } n && n.GetValueKind() != JsonValueKind.Number)
                throw BadRequest.Field($"{prefix}data.{key}", "must be a number");
        foreach (var key in CountKeys)
            if (data[key] is { } n && (n.GetValueKind() != JsonValueKind.Number || !JsonSerializer.SerializeToElement(n).TryGetInt32(out var count) || count < 0))
                throw BadRequest.Field($"{prefix}data.{key}", "must be a non-negative integer");
        if (data["regex"] is { } regex)
        {
            if (regex.GetValueKind() != JsonValueKind.String || !IsRegex(regex.GetValue<string>()))
                throw BadRequest.Field(prefix + "data.regex", "must be a valid regular expression");
        }
        if (data["inherit"] is { } inherit && inherit.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            throw BadRequest.Field(prefix + "data.inherit", "must be true or false");
        if (data["title"] is { } title && title.GetValueKind() != JsonValueKind.String)
            throw BadRequest.Field(prefix + "data.title", "must be a string");
        if (data["enum"] is { } enumNode)
        {
            if (enumNode is not JsonArray items)
                throw BadRequest.Field(prefix + "data.enum", "must be a list of {value, label}");
            for (var i = 0; i < items.Count; i++)
                if (items[i] is not JsonObject item || !item.ContainsKey("value") || item["value"] is null)
                    throw BadRequest.Field($"{prefix}data.enum.{i}.value", "every enum item needs a value");
        }

        var definition = new AttributeDefinition
        {
            Name = name,
            Position = body["position"] is JsonValue p && p.TryGetValue<int>(out var position)
                ? position
                : existing?.Position ?? (current.Count == 0 ? 0 : current.Max(a => a.Position) + 1),
            Scope = [.. scope],
            Builtin = existing?.Builtin ?? false,
            Data = data,
        };
        if (data["default"] is { } defaultValue)
            AttributeValues.Check(definition, defaultValue, prefix + "data.default");
        return definition;
    }

    static bool IsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>"min_length" → "minLength"; camelCase keys pass unchanged.</summary>
    static string CamelCase(string key)
    {
        if (!key.Contains('_'))
            return key;
        var parts = key.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    readonly CancellationTokenSource _stopping = new();

    /// <summary>Subscribes in the background: a server must start (and serve what needs no Redis) while Redis is away.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Announcements sent while this instance was cut off from Redis are lost: reload on reconnect.
        redis.Connection.ConnectionRestored += (_, _) => _ = ReloadInBackgroundAsync();
        _ = SubscribeAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await redis.Connection.GetSubscriber().SubscribeAsync(Channel, (_, _) => _ = ReloadInBackgroundAsync());
                return;
            }
            catch (RedisException error)
            {
                logger.LogWarning("Cannot subscribe to attribute announcements yet: {Error}", error.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    async Task ReloadInBackgroundAsync()
    {
        try
        {
            await ReloadAsync();
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning(error, "Could not reload the attribute library after a change on another instance");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (redis.Connection.IsConnected)
            await redis.Connection.GetSubscriber().UnsubscribeAsync(Channel);
    }
}
