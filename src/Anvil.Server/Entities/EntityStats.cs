using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary><c>GET /api/projects/{projectName}/stats</c>: how many entities of each type the project holds.</summary>
public static class EntityStats
{
    public static void MapEntityStats(this RouteGroupBuilder api) =>
        api.MapGet("/projects/{projectName}/stats", GetAsync).WithTags("Projects").WithName("get_project_stats")
            .WithSummary("Entity counts of the project.");

    static async Task<JsonObject> GetAsync(string projectName, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        // Counted as the user sees the project: what they may not read does not count.
        var sql = "SELECT " + string.Join(",\n       ", EntityRegistry.All.Select(d => session.Access.ReadCondition(d) is { } readable
            ? $"(SELECT count(*) {d.From}\n WHERE {readable}) AS {d.Plural}"
            : $"(SELECT count(*) FROM {d.Table}) AS {d.Plural}"));
        await using var command = new NpgsqlCommand(sql, session.Connection);
        foreach (var (name, value) in session.Access.Parameters)
            command.Parameters.AddWithValue(name, value);
        var counts = (await JsonRows.ReadAsync(command, http.RequestAborted)).Single();
        return new JsonObject { ["counts"] = counts };
    }
}
