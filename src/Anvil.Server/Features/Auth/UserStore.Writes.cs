using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// Every write of the <c>users</c> table is here: each runs in one transaction with its event, and
/// drops the users cache on every instance after its commit.
/// </summary>
public sealed partial class UserStore
{
    /// <summary>
    /// Serialises the writes that set an e-mail address, so the check that no other user has it and the
    /// write are one step: of two concurrent creates with one address, the second sees the first.
    /// </summary>
    const string EmailLock = "SELECT pg_advisory_xact_lock(hashtext('anvil.users.email'))";

    public async Task CreateAsync(string name, JsonObject attrib, JsonObject data, bool active, string? passwordHash, string actor,
        CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await RequireFreeEmailAsync(connection, attrib, name, cancellationToken);
            if (await ExistsAsync(connection, name, cancellationToken))
                throw new Conflict($"User {name} already exists");
            await CleanAccessGroupsAsync(connection, data, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO users (name, attrib, data, active, password_hash) VALUES (@name, @attrib, @data, @active, @passwordHash)
                """, new { name, attrib, data, active, passwordHash }, cancellationToken: cancellationToken));
            await events.DispatchAsync(connection, new NewEvent
            {
                Topic = "entity.user.created",
                User = actor,
                Description = $"User {name} created",
                Summary = new JsonObject { ["entityName"] = name },
            }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await cache.UsersChangedAsync();
    }

    public async Task UpdateAsync(string name, JsonObject attrib, JsonObject data, bool active, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await RequireFreeEmailAsync(connection, attrib, name, cancellationToken);
            await CleanAccessGroupsAsync(connection, data, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE users SET attrib = @attrib, data = @data, active = @active, updated_at = now() WHERE name = @name
                """, new { name, attrib, data, active }, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
        await cache.UsersChangedAsync();
    }

    /// <summary>Replaces the user's <c>data</c> (access groups cleaned of what does not exist).</summary>
    public async Task SetDataAsync(string name, JsonObject data, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            await CleanAccessGroupsAsync(connection, data, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET data = @data, updated_at = now() WHERE name = @name", new { name, data }, cancellationToken: cancellationToken));
        }
        await cache.UsersChangedAsync();
    }

    /// <summary>Deletes the user and takes them off every task they were assigned to.</summary>
    public async Task DeleteAsync(string name, string actor, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM users WHERE name = @name", new { name }, cancellationToken: cancellationToken));
            await ReplaceAssigneeAsync(connection, name, null, cancellationToken);
            await events.DispatchAsync(connection, new NewEvent
            {
                Topic = "entity.user.deleted",
                User = actor,
                Description = $"User {name} deleted",
                Summary = new JsonObject { ["entityName"] = name },
            }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await cache.UsersChangedAsync();
    }

    /// <summary>Renames the user, on every task they are assigned to too; 409 when the new name is taken.</summary>
    public async Task RenameAsync(string name, string newName, string actor, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM users WHERE lower(name) = lower(@newName) AND name <> @name)",
                new { newName, name }, cancellationToken: cancellationToken));
            if (taken)
                throw new Conflict($"User {newName} already exists");
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET name = @newName, updated_at = now() WHERE name = @name",
                new { newName, name }, cancellationToken: cancellationToken));
            await ReplaceAssigneeAsync(connection, name, newName, cancellationToken);
            await events.DispatchAsync(connection, new NewEvent
            {
                Topic = "entity.user.renamed",
                User = actor,
                Description = $"User {name} renamed to {newName}",
                Summary = new JsonObject { ["entityName"] = newName, ["oldName"] = name },
            }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await cache.UsersChangedAsync();
    }

    /// <summary>
    /// In the caller's transaction creating project <paramref name="projectName"/>: users with default
    /// access groups (neither managers nor admins) get them on the new project. The caller drops the users cache.
    /// </summary>
    public static Task GrantDefaultGroupsAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            UPDATE public.users
            SET data = jsonb_set(data, '{accessGroups}',
                                 COALESCE(data->'accessGroups', '{}'::jsonb) || jsonb_build_object(@projectName::text, data->'defaultAccessGroups'))
            WHERE active
              AND jsonb_typeof(data->'defaultAccessGroups') = 'array' AND jsonb_array_length(data->'defaultAccessGroups') > 0
              AND NOT COALESCE((data->>'isManager')::boolean, false)
              AND NOT COALESCE((data->>'isAdmin')::boolean, false)
            """, new { projectName }, cancellationToken: cancellationToken));

    /// <summary>In the caller's transaction deleting project <paramref name="projectName"/>: no user keeps access groups on it.</summary>
    public static Task ForgetProjectAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            UPDATE public.users SET data = jsonb_set(data, '{accessGroups}', (data->'accessGroups') - @projectName::text)
            WHERE jsonb_typeof(data->'accessGroups') = 'object' AND (data->'accessGroups') -> @projectName IS NOT NULL
            """, new { projectName }, cancellationToken: cancellationToken));

    /// <summary>In the caller's transaction deleting access group <paramref name="group"/>: nobody keeps it, by default or on a project.</summary>
    public static Task ForgetAccessGroupAsync(NpgsqlConnection connection, string group, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            UPDATE public.users SET
                data = jsonb_set(
                    jsonb_set(data, '{defaultAccessGroups}', COALESCE(data->'defaultAccessGroups', '[]'::jsonb) - @group),
                    '{accessGroups}',
                    COALESCE((SELECT jsonb_object_agg(p.key, p.value - @group) FROM jsonb_each(data->'accessGroups') p), '{}'::jsonb)),
                updated_at = now()
            WHERE data->'defaultAccessGroups' ? @group
               OR EXISTS (SELECT 1 FROM jsonb_each(COALESCE(data->'accessGroups', '{}'::jsonb)) p WHERE p.value ? @group)
            """, new { group }, cancellationToken: cancellationToken));

    /// <summary>E-mail addresses are unique among users, case-insensitively (409 naming <c>email</c>), as AYON; checked under <see cref="EmailLock"/>.</summary>
    static async Task RequireFreeEmailAsync(NpgsqlConnection connection, JsonObject attrib, string name, CancellationToken cancellationToken)
    {
        if (attrib["email"] is not JsonValue value || !value.TryGetValue<string>(out var email) || email.Length == 0)
            return;
        await connection.ExecuteAsync(new CommandDefinition(EmailLock, cancellationToken: cancellationToken));
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM users WHERE lower(attrib->>'email') = lower(@email) AND lower(name) <> lower(@name))",
                new { email, name }, cancellationToken: cancellationToken)))
        {
            var conflict = new Conflict($"attrib.email: another user has the e-mail address {email}", "email-taken");
            conflict.Extra["errors"] = new[] { new ValidationIssue(["body", "attrib", "email"], "another user has this e-mail address", "value_error.email_taken") };
            throw conflict;
        }
    }

    static Task<bool> ExistsAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM users WHERE lower(name) = lower(@name))", new { name }, cancellationToken: cancellationToken));

    static async Task ReplaceAssigneeAsync(NpgsqlConnection connection, string oldName, string? newName, CancellationToken cancellationToken)
    {
        // FOR SHARE: a project deleted meanwhile waits for this transaction, or is already gone from the list.
        var projects = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM projects ORDER BY name FOR SHARE", cancellationToken: cancellationToken));
        foreach (var project in projects)
        {
            var change = newName is null ? "array_remove(assignees, @oldName)" : "array_replace(assignees, @oldName, @newName)";
            await connection.ExecuteAsync(new CommandDefinition($"""
                UPDATE {ProjectSchema.Of(project)}.tasks SET assignees = {change}, updated_at = now() WHERE @oldName = ANY (assignees)
                """, new { oldName, newName }, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// As AYON, a user's access-group lists keep only what exists: <c>defaultAccessGroups</c> studio
    /// groups, <c>accessGroups</c> projects that exist and groups of the studio or that project.
    /// </summary>
    static async Task CleanAccessGroupsAsync(NpgsqlConnection connection, JsonObject data, CancellationToken cancellationToken)
    {
        if (data["defaultAccessGroups"] is null && data["accessGroups"] is null)
            return;
        var studio = (await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM access_groups", cancellationToken: cancellationToken))).ToHashSet();
        if (data["defaultAccessGroups"] is JsonArray defaults)
            data["defaultAccessGroups"] = new JsonArray([.. defaults.OfType<JsonValue>()
                .Select(v => v.TryGetValue<string>(out var g) ? g : null).Where(g => g is not null && studio.Contains(g)).Distinct()
                .Select(g => JsonValue.Create(g))]);
        else if (data["defaultAccessGroups"] is not null)
            throw BadRequest.Field("data.defaultAccessGroups", "a list of group names is expected");
        if (data["accessGroups"] is not JsonObject perProject)
        {
            if (data["accessGroups"] is not null)
                throw BadRequest.Field("data.accessGroups", "an object of project names to group lists is expected");
            return;
        }
        var projects = (await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM projects", cancellationToken: cancellationToken))).ToHashSet();
        var overrides = (await connection.QueryAsync<(string Project, string Name)>(new CommandDefinition(
            "SELECT project_name, name FROM project_access_groups", cancellationToken: cancellationToken))).ToHashSet();
        var cleaned = new JsonObject();
        foreach (var (project, groups) in perProject)
        {
            if (!projects.Contains(project) || groups is not JsonArray list)
                continue;
            cleaned[project] = new JsonArray([.. list.OfType<JsonValue>()
                .Select(v => v.TryGetValue<string>(out var g) ? g : null)
                .Where(g => g is not null && (studio.Contains(g) || overrides.Contains((project, g)))).Distinct()
                .Select(g => JsonValue.Create(g))]);
        }
        data["accessGroups"] = cleaned;
    }
}
