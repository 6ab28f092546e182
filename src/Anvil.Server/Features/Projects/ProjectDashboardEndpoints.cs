using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Projects;

/// <summary>
/// <c>/api/projects/{p}/dashboard/…</c>: the figures of the web UI's project cards and project
/// dashboard: entity counts, task health, the activity heartbeat and who works on the project.
/// </summary>
public static class ProjectDashboardEndpoints
{
    public static void MapProjectDashboardEndpoints(this RouteGroupBuilder api)
    {
        var dashboard = api.MapGroup("/projects/{projectName}/dashboard").WithTags("Project dashboard");
        dashboard.MapGet("/entities", GetEntityCountsAsync).WithName("get_project_entity_counts")
            .WithSummary("How many folders, tasks, products, versions, representations and workfiles the project holds.");
        dashboard.MapGet("/health", GetHealthAsync).WithName("get_project_health")
            .WithSummary("Task completion (tasks in a status whose state is done), overdue tasks (end date passed) and tasks per status.");
        dashboard.MapGet("/activity", GetActivityAsync).WithName("get_project_activity")
            .WithSummary("Events per day over the last `days` days (default 50), oldest first, scaled so the busiest day is 100.");
        dashboard.MapGet("/users", GetUsersAsync).WithName("get_project_users")
            .WithSummary("Users with access to the project, active and total, and how many hold each access group there.");
        api.MapGet("/projects/{projectName}/users", GetProjectUsersAsync).WithName("get_project_users_access").WithTags("Projects")
            .WithSummary("The access groups each user holds on the project: {user: [group, ...]} (managers).");
        api.MapGet("/projects/{projectName}/teams", GetTeamsAsync).WithName("get_project_teams").WithTags("Teams")
            .WithSummary("The project's teams (`data.teams` of the project; none unless a client stored some).");
    }

    static async Task<IResult> GetProjectUsersAsync(string projectName, CurrentUser user, Db db, ProjectContexts contexts, UserStore users,
        CancellationToken cancellationToken)
    {
        user.RequireManager("list a project's users");
        string name;
        await using (var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, cancellationToken))
            name = session.Project.Name;
        var result = new JsonObject();
        foreach (var member in await users.AllAsync(cancellationToken))
            if (ProjectAccess.GroupsOn(member, name) is { Count: > 0 } groups)
                result[member.Name] = new JsonArray([.. groups.Select(g => JsonValue.Create(g))]);
        return Results.Json(result, AyonJson.Options);
    }

    static async Task<IResult> GetTeamsAsync(string projectName, CurrentUser user, Db db, ProjectContexts contexts, CancellationToken cancellationToken)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, cancellationToken);
        var teams = await session.Connection.ExecuteScalarAsync<JsonArray?>(new CommandDefinition(
            "SELECT CASE WHEN jsonb_typeof(data->'teams') = 'array' THEN data->'teams' END FROM public.projects WHERE name = @name",
            new { name = session.Project.Name }, cancellationToken: cancellationToken));
        return Results.Json(teams ?? [], AyonJson.Options);
    }

    static async Task<IResult> GetEntityCountsAsync(string projectName, CurrentUser user, Db db, ProjectContexts contexts, CancellationToken cancellationToken)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, cancellationToken);
        var counts = await session.Connection.QuerySingleAsync(new CommandDefinition("""
            SELECT (SELECT count(*) FROM folders) AS folders, (SELECT count(*) FROM products) AS products,
                   (SELECT count(*) FROM versions) AS versions, (SELECT count(*) FROM representations) AS representations,
                   (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM workfiles) AS workfiles
            """, cancellationToken: cancellationToken));
        return Results.Json(new JsonObject
        {
            ["folders"] = (long)counts.folders,
            ["products"] = (long)counts.products,
            ["versions"] = (long)counts.versions,
            ["representations"] = (long)counts.representations,
            ["tasks"] = (long)counts.tasks,
            ["workfiles"] = (long)counts.workfiles,
        }, AyonJson.Options);
    }

    static async Task<IResult> GetHealthAsync(string projectName, CurrentUser user, Db db, ProjectContexts contexts, CancellationToken cancellationToken)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, cancellationToken);
        var perStatus = await session.Connection.QueryAsync<(string Status, long Count, long Overdue, bool Done)>(new CommandDefinition("""
            SELECT t.status, count(*), count(*) FILTER (WHERE NOT coalesce(s.data->>'state' = 'done', false) AND t.attrib->>'endDate' < to_json(now())#>>'{}'),
                   coalesce(s.data->>'state' = 'done', false)
            FROM tasks t LEFT JOIN statuses s ON s.name = t.status
            GROUP BY t.status, s.data->>'state'
            ORDER BY t.status
            """, cancellationToken: cancellationToken));
        long total = 0, completed = 0, overdue = 0;
        var statuses = new JsonObject();
        foreach (var (status, count, late, done) in perStatus)
        {
            total += count;
            overdue += late;
            if (done)
                completed += count;
            statuses[status] = count;
        }
        return Results.Json(new JsonObject
        {
            ["completion"] = new JsonObject
            {
                ["percentage"] = total == 0 ? 0 : Math.Round(100.0 * completed / total, 1),
                ["behind"] = 0,
                ["ahead"] = 0,
            },
            // Files are not counted against a quota here.
            ["storageUsage"] = new JsonObject { ["quota"] = 0, ["used"] = 0 },
            ["tasks"] = new JsonObject { ["total"] = total, ["completed"] = completed, ["overdue"] = overdue },
            ["statuses"] = statuses,
        }, AyonJson.Options);
    }

    static async Task<IResult> GetActivityAsync(string projectName, CurrentUser user, Db db, ProjectContexts contexts, CancellationToken cancellationToken,
        int days = 50)
    {
        if (days is < 1 or > 3650)
            throw new BadRequest("days: between 1 and 3650");
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, cancellationToken);
        var perDay = (await session.Connection.QueryAsync<(int DaysAgo, long Count)>(new CommandDefinition("""
            SELECT (current_date - created_at::date)::int, count(*)
            FROM public.events
            WHERE project_name = @projectName AND created_at >= current_date - (@days - 1)
            GROUP BY 1
            """, new { projectName = session.Project.Name, days }, cancellationToken: cancellationToken))).ToDictionary(d => d.DaysAgo, d => d.Count);
        var busiest = perDay.Count == 0 ? 0 : perDay.Values.Max();
        var activity = new JsonArray();
        for (var ago = days - 1; ago >= 0; ago--)
            activity.Add(busiest == 0 ? 0 : (int)Math.Round(100.0 * perDay.GetValueOrDefault(ago) / busiest));
        return Results.Json(new JsonObject { ["activity"] = activity }, AyonJson.Options);
    }

    static async Task<IResult> GetUsersAsync(string projectName, CurrentUser user, Db db, ProjectContexts contexts, UserStore users,
        CancellationToken cancellationToken)
    {
        string name;
        await using (var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, cancellationToken))
            name = session.Project.Name;
        int total = 0, active = 0;
        var roles = new JsonObject();
        foreach (var member in await users.AllAsync(cancellationToken))
        {
            var groups = ProjectAccess.GroupsOn(member, name);
            if (member.IsService || !(member.IsAdmin || member.IsManager || groups.Count > 0))
                continue;
            total++;
            if (member.Active)
                active++;
            foreach (var group in groups)
                roles[group] = (roles[group]?.GetValue<int>() ?? 0) + 1;
        }
        return Results.Json(new JsonObject
        {
            ["teamSizeActive"] = active,
            ["teamSizeTotal"] = total,
            ["usersWithAccessActive"] = active,
            ["usersWithAccessTotal"] = total,
            ["roles"] = roles,
        }, AyonJson.Options);
    }
}
