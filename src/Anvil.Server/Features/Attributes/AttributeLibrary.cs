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
/// event), then dropped on every instance through <see cref="CacheInvalidation"/> like every other
/// cache; each reloads it on next use: unlike AYON, no restart is needed.
/// </summary>
public sealed class AttributeLibrary
{
    /// <summary>The invalidation name of the library.</summary>
    public const string CacheName = "attributes";

    readonly Db _db;
    readonly EventStore _events;
    readonly CacheInvalidation _invalidation;
    long _generation;

    public AttributeLibrary(Db db, EventStore events, CacheInvalidation invalidation)
    {
        _db = db;
        _events = events;
        _invalidation = invalidation;
        invalidation.Register(CacheName, Drop);
    }

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

    /// <summary>Drops the library here and on every instance (a restart request); each reloads it on next use.</summary>
    public Task ReloadEverywhereAsync(CancellationToken cancellationToken = default) => _invalidation.InvalidateAsync(CacheName);

    void Drop()
    {
        Interlocked.Increment(ref _generation);
        _all = null;
    }

    public async Task<IReadOnlyList<AttributeDefinition>> AllAsync(CancellationToken cancellationToken = default)
    {
        if (_all is { } all)
            return all;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_all is { } loaded)
                return loaded;
            // A library read while it was dropped may be the old one: it is served, but not kept.
            var generation = Interlocked.Read(ref _generation);
            var read = await LoadAsync(cancellationToken);
            if (Interlocked.Read(ref _generation) == generation)
                _all = read;
            return read;
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

    async Task<IReadOnlyList<AttributeDefinition>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
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
        await using (var connection = await _db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var deleted = await change(connection);
            await _events.DispatchAsync(connection, new NewEvent
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
        await _invalidation.InvalidateAsync(CacheName);
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
}
