using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Messaging;
using Dapper;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// Reads and writes of the <c>users</c> and <c>api_keys</c> tables. Reads here are fresh; authentication
/// reads through <see cref="AuthCache"/>, which every write of a user or key must drop after its commit.
/// </summary>
public sealed partial class UserStore(Db db, AuthCache cache, EventStore events)
{
    const string SelectUser = "SELECT name, attrib, data, active, password_hash, created_at, updated_at FROM users";

    public async Task<UserRecord?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"{SelectUser} WHERE lower(name) = lower(@name)", new { name }, cancellationToken: cancellationToken));
    }

    /// <summary>Every user, ordered by name.</summary>
    public async Task<IReadOnlyList<UserRecord>> AllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<UserRecord>(new CommandDefinition($"{SelectUser} ORDER BY name", cancellationToken: cancellationToken))];
    }

    /// <summary>The owner of an unexpired API key, and the key, by the key's hash.</summary>
    public async Task<(UserRecord User, ApiKeyRecord Key)?> GetByApiKeyHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserRecord, ApiKeyRecord, (UserRecord, ApiKeyRecord)>(
            new CommandDefinition($"""
                WITH k AS (
                    SELECT {ApiKeyRecord.Columns}, user_name FROM api_keys
                    WHERE key_hash = @keyHash AND (expires_at IS NULL OR expires_at > now())
                )
                SELECT u.name, u.attrib, u.data, u.active, u.password_hash, u.created_at, u.updated_at, k.*
                FROM k
                JOIN users u ON u.name = k.user_name
                """, new { keyHash }, cancellationToken: cancellationToken),
            (user, key) => (user, key), splitOn: "id");
        return rows.Cast<(UserRecord, ApiKeyRecord)?>().FirstOrDefault();
    }

    public async Task TouchApiKeyAsync(Guid keyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET last_used_at = now() WHERE id = @keyId", new { keyId }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates the user, or updates the given parts of an existing one (case-insensitive name).</summary>
    public async Task UpsertAsync(string name, JsonObject data, JsonObject? attrib = null, string? passwordHash = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO users (name, attrib, data, password_hash)
            VALUES (@name, COALESCE(@attrib, '{}'::jsonb), @data, @passwordHash)
            ON CONFLICT (name) DO UPDATE SET
                data = users.data || EXCLUDED.data,
                attrib = CASE WHEN @attrib IS NULL THEN users.attrib ELSE users.attrib || EXCLUDED.attrib END,
                password_hash = COALESCE(EXCLUDED.password_hash, users.password_hash),
                updated_at = now()
            """, new { name, data, attrib, passwordHash }, cancellationToken: cancellationToken));
        await cache.UsersChangedAsync();
    }

    public async Task SetPasswordHashAsync(string name, string passwordHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash, updated_at = now() WHERE name = @name",
            new { name, passwordHash }, cancellationToken: cancellationToken));
        await cache.UsersChangedAsync();
    }

    /// <summary>Adds an API key for the user unless a key with that hash exists already.</summary>
    public async Task AddApiKeyAsync(string userName, string keyHash, string preview, string? label, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (user_name, key_hash, preview, label)
            VALUES (@userName, @keyHash, @preview, @label)
            ON CONFLICT (key_hash) DO NOTHING
            """, new { userName, keyHash, preview, label }, cancellationToken: cancellationToken));
    }

    public async Task<bool> AnyAdminAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM users WHERE active AND (data->>'isAdmin')::boolean)", cancellationToken: cancellationToken));
    }

    /// <summary>One page of users ordered by name, filtered in SQL.</summary>
    public async Task<Connection<UserRecord>> ListAsync(UserFilter filter, Paging paging, CancellationToken cancellationToken = default)
    {
        var parameters = new DynamicParameters();
        var sql = $"{SelectUser} WHERE true";
        if (filter.Names is not null)
        {
            sql += "\n  AND name = ANY(@names)";
            parameters.Add("names", filter.Names.ToArray());
        }
        if (filter.NameLike is { Length: > 0 })
        {
            sql += "\n  AND name ILIKE @nameLike";
            parameters.Add("nameLike", "%" + filter.NameLike + "%");
        }
        if (filter.Emails is not null)
        {
            sql += "\n  AND lower(attrib->>'email') = ANY(@emails)";
            parameters.Add("emails", filter.Emails.Select(e => e.ToLowerInvariant()).ToArray());
        }
        if (filter.Projects is not null)
        {
            sql += "\n  AND (" + HoldsProject("@projects") + ")";
            parameters.Add("projects", filter.Projects.Select(p => p.ToLowerInvariant()).ToArray());
        }
        if (filter.VisibleTo is { } visible)
        {
            sql += "\n  AND (name = @viewer OR " + HoldsProject("@shared") + ")";
            parameters.Add("viewer", visible.Viewer);
            parameters.Add("shared", visible.Projects.ToArray());
        }
        sql = paging.Apply(sql, ["name"], parameters);
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<UserRecord>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).ToList();
        return paging.ToConnection(rows, user => [user.Name]);
    }

    /// <summary>Users who may open one of the projects (lower-cased names in <paramref name="parameter"/>): managers, admins, holders of a group there.</summary>
    static string HoldsProject(string parameter) => $$"""
        (data->>'isAdmin')::boolean OR (data->>'isManager')::boolean
        OR EXISTS (SELECT FROM jsonb_each(CASE WHEN jsonb_typeof(data->'accessGroups') = 'object' THEN data->'accessGroups' ELSE '{}' END) g
                   WHERE lower(g.key) = ANY({{parameter}}) AND jsonb_typeof(g.value) = 'array' AND jsonb_array_length(g.value) > 0)
        """;
}

/// <summary>
/// Filters of the users listing; null means "no filter". <paramref name="VisibleTo"/>: only the users
/// a viewer may see (themselves, and whoever may open a project they may open).
/// </summary>
public sealed record UserFilter(IReadOnlyList<string>? Names = null, string? NameLike = null, IReadOnlyList<string>? Emails = null,
    IReadOnlyList<string>? Projects = null, UserVisibility? VisibleTo = null);

/// <summary>A viewer and the projects (lower-case names) they may open: they see the users of those projects.</summary>
public sealed record UserVisibility(string Viewer, IReadOnlyList<string> Projects);
