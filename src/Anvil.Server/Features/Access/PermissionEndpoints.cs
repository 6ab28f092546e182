using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Access;

/// <summary>
/// What a user may do, as the server will enforce it: the combined permissions of their access
/// groups per project (<see cref="ProjectAccess"/> computes them), for front ends that hide what
/// would be refused. <c>me</c> names the caller.
/// </summary>
public static class PermissionEndpoints
{
    public static void MapPermissionEndpoints(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapGet("/{name}/permissions", AllAsync).WithName("get_user_permissions")
            .WithSummary("The user's level, studio rights and combined permissions on each project they may open (self or managers).");
        users.MapGet("/{name}/permissions/{projectName}", ProjectAsync).WithName("get_user_project_permissions")
            .WithSummary("The user's combined permissions on one project (self or managers); 403 when they may not open it.");
    }

    static async Task<JsonObject> AllAsync(string name, CurrentUser user, UserStore users, Db db, ProjectContexts contexts, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(name, user, users, cancellationToken);
        var result = new JsonObject { ["userLevel"] = target.IsManager ? (target.IsAdmin ? "admin" : "manager") : "user" };
        if (target.IsManager)
            return result;

        await using var connection = await db.OpenAsync(cancellationToken);
        var projectNames = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM projects WHERE lower(name) = ANY(@visible) ORDER BY name",
            new { visible = ProjectAccess.VisibleProjects(target)?.ToArray() ?? [] }, cancellationToken: cancellationToken));
        var projects = new JsonObject();
        foreach (var projectName in projectNames)
            projects[projectName] = await PermissionsOnAsync(db, contexts, projectName, target, cancellationToken);
        result["studio"] = Permissions.Combine(await StudioGroupsAsync(connection, target.User, cancellationToken))["studio"]!.DeepClone();
        result["projects"] = projects;
        return result;
    }

    static async Task<JsonObject> ProjectAsync(string name, string projectName, CurrentUser user, UserStore users, Db db, ProjectContexts contexts,
        CancellationToken cancellationToken) =>
        await PermissionsOnAsync(db, contexts, projectName, await TargetAsync(name, user, users, cancellationToken), cancellationToken);

    static async Task<JsonObject> PermissionsOnAsync(Db db, ProjectContexts contexts, string projectName, CurrentUser target, CancellationToken cancellationToken)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, target, cancellationToken);
        return session.Access.Permissions?.DeepClone().AsObject() ?? Permissions.Unrestricted();
    }

    /// <summary>The studio definitions of the user's default groups: what studio-level rights come from.</summary>
    static async Task<List<JsonObject>> StudioGroupsAsync(Npgsql.NpgsqlConnection connection, UserRecord user, CancellationToken cancellationToken)
    {
        var names = (user.Data["defaultAccessGroups"] as JsonArray ?? []).Select(n => n?.GetValue<string>()).OfType<string>().ToArray();
        return [.. await connection.QueryAsync<JsonObject>(new CommandDefinition(
            "SELECT data FROM access_groups WHERE name = ANY(@names)", new { names }, cancellationToken: cancellationToken))];
    }

    /// <summary>The user asked about, seen as the server sees them when they call (the caller's key scope applies to themselves only).</summary>
    static async Task<CurrentUser> TargetAsync(string name, CurrentUser user, UserStore users, CancellationToken cancellationToken)
    {
        if (name == "me" || string.Equals(name, user.Name, StringComparison.OrdinalIgnoreCase))
            return user;
        user.RequireManager("read the permissions of other users");
        var target = await users.GetAsync(name, cancellationToken) ?? throw new NotFound($"User {name} not found");
        return new CurrentUser(target, CredentialKind.Session, null);
    }
}
