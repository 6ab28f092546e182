using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Features.Representations;

/// <summary>One key of a representation's <c>data.context</c> (dotted, <c>task.name</c>) and the patterns it may match.</summary>
public sealed record RepresentationContextFilter
{
    public string? Key { get; init; }
    public List<string>? Values { get; init; }
}

/// <summary>Body of <c>POST /api/projects/{p}/repreContextFilter</c>, as the client's <c>get_repre_ids_by_context_filters</c> sends it.</summary>
public sealed record RepresentationContextFilterRequest
{
    /// <summary>Every key must match one of its patterns (PostgreSQL regular expressions, matched anywhere in the value).</summary>
    public List<RepresentationContextFilter>? Context { get; init; }
    /// <summary>Only representations of these names.</summary>
    public List<string>? Names { get; init; }
    /// <summary>Only representations of these versions.</summary>
    public List<Guid>? VersionIds { get; init; }
}

public sealed record RepresentationIdsResponse(IReadOnlyList<string> Ids);

/// <summary>Representation routes beside the generic entity ones: the context filter the loader uses.</summary>
public static class RepresentationEndpoints
{
    public static void MapRepresentationEndpoints(this RouteGroupBuilder api)
    {
        api.MapGroup("/projects/{projectName}").WithTags("representations")
            .MapPost("/repreContextFilter", FilterAsync).WithName("get_representations_by_context_filter")
            .WithSummary("Ids of the representations whose data.context matches the filters (and names, versions), among those the user may read.");
    }

    static async Task<RepresentationIdsResponse> FilterAsync(string projectName, RepresentationContextFilterRequest request, CurrentUser user, HttpContext http,
        Db db, ProjectContexts contexts)
    {
        var definition = RepresentationEntity.Definition;
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        await using var command = new NpgsqlCommand { Connection = session.Connection, Transaction = session.Transaction };
        var conditions = new List<string> { session.Access.ReadCondition(definition) ?? "true" };
        foreach (var (name, value) in session.Access.Parameters)
            command.Parameters.AddWithValue(name, value);
        if (request.Names is { } names)
        {
            command.Parameters.AddWithValue("names", names.ToArray());
            conditions.Add("e.name = ANY(@names)");
        }
        if (request.VersionIds is { } versionIds)
        {
            command.Parameters.AddWithValue("versionIds", versionIds.ToArray());
            conditions.Add("e.version_id = ANY(@versionIds)");
        }
        var filters = request.Context ?? [];
        for (var i = 0; i < filters.Count; i++)
        {
            var key = filters[i].Key is { Length: > 0 } k ? k : throw BadRequest.Field($"context.{i}.key", "a context key is required");
            var patterns = (filters[i].Values ?? []).Select(v => EntityFilter.Regex($"context.{i}.values", v)).ToArray();
            command.Parameters.AddWithValue($"path{i}", new[] { "context" }.Concat(key.Split('.')).ToArray());
            command.Parameters.AddWithValue($"patterns{i}", patterns);
            conditions.Add($"EXISTS (SELECT FROM unnest(@patterns{i}::text[]) pattern WHERE e.data #>> @path{i}::text[] ~ pattern)");
        }
        command.CommandText = $"SELECT e.id\n{definition.From}\nWHERE {string.Join("\n  AND ", conditions)}\nORDER BY e.created_at, e.id";
        var ids = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(http.RequestAborted))
            while (await reader.ReadAsync(http.RequestAborted))
                ids.Add(reader.GetGuid(0).ToString("N"));
        return new RepresentationIdsResponse(ids);
    }
}
