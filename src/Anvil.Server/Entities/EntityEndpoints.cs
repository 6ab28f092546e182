using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities.Operations;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Entities;

/// <summary>The body answering a create: the new entity's id.</summary>
public sealed record EntityIdResponse(string Id);

/// <summary>
/// REST for every entity type, written once: <c>GET/POST/PATCH/DELETE /api/projects/{projectName}/{type}s[/{id}]</c>
/// with AYON's operation ids. Writes are one-operation batches of the operations pipeline.
/// </summary>
public static class EntityEndpoints
{
    public static void MapEntityEndpoints(this RouteGroupBuilder api)
    {
        foreach (var definition in EntityRegistry.All)
        {
            var group = api.MapGroup($"/projects/{{projectName}}/{definition.Plural}").WithTags(definition.Plural);
            group.MapGet("/{id}", (string projectName, string id, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts) =>
                    GetAsync(definition, projectName, id, user, http, db, contexts))
                .WithName($"get_{definition.Type}").WithSummary($"One {definition.Type}, with its effective attributes.");
            group.MapPost("/", (string projectName, JsonObject body, CurrentUser user, HttpContext http, OperationsPipeline pipeline) =>
                    CreateAsync(definition, projectName, body, user, http, pipeline))
                .WithName($"create_{definition.Type}").WithSummary($"Create a {definition.Type}; answers its id.");
            group.MapPatch("/{id}", (string projectName, string id, JsonObject body, CurrentUser user, HttpContext http, OperationsPipeline pipeline) =>
                    WriteAsync(definition, projectName, new OperationRequest { Type = "update", EntityType = definition.Type, EntityId = id, Data = body, IfMatch = IfMatch(http) }, user, http, pipeline))
                .WithName($"update_{definition.Type}").WithSummary($"Change some fields of a {definition.Type}.");
            group.MapDelete("/{id}", (string projectName, string id, CurrentUser user, HttpContext http, OperationsPipeline pipeline, bool force = false) =>
                    WriteAsync(definition, projectName, new OperationRequest { Type = "delete", EntityType = definition.Type, EntityId = id, Force = force, IfMatch = IfMatch(http) }, user, http, pipeline))
                .WithName($"delete_{definition.Type}").WithSummary($"Delete a {definition.Type} and what it holds.");
        }
    }

    static async Task<JsonObject> GetAsync(EntityDefinition definition, string projectName, string id, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        var entityId = Guid.TryParse(id, out var parsed) ? parsed : throw NotFound.Entity(definition.Type, id);
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var entity = await EntityStore.GetAsync(session.Connection, definition, session.Project, entityId, http.RequestAborted, session.Access)
            ?? throw NotFound.Entity(definition.Type, id);
        http.Response.Headers.ETag = EntityStore.ETag(entity);
        return entity;
    }

    static async Task<IResult> CreateAsync(EntityDefinition definition, string projectName, JsonObject body, CurrentUser user, HttpContext http, OperationsPipeline pipeline)
    {
        var operation = new OperationRequest { Type = "create", EntityType = definition.Type, EntityId = body["id"]?.ToString(), Data = body };
        var result = await RunOneAsync(projectName, operation, user, http, pipeline);
        return Results.Json(new EntityIdResponse(result.EntityId!), AyonJson.Options, statusCode: 201);
    }

    static async Task<IResult> WriteAsync(EntityDefinition definition, string projectName, OperationRequest operation, CurrentUser user, HttpContext http, OperationsPipeline pipeline)
    {
        await RunOneAsync(projectName, operation, user, http, pipeline);
        return Results.NoContent();
    }

    static async Task<OperationResult> RunOneAsync(string projectName, OperationRequest operation, CurrentUser user, HttpContext http, OperationsPipeline pipeline)
    {
        var response = await pipeline.RunAsync(projectName, OperationsEndpoints.WriterOf(user, http), [operation], canFail: false, http.RequestAborted);
        var result = response.Operations[0];
        if (!result.Success)
            throw new AyonError(result.Status, result.Detail ?? "Operation failed", result.ErrorCode);
        return result;
    }

    static string? IfMatch(HttpContext http) => http.Request.Headers.IfMatch.ToString() is { Length: > 0 } etag ? etag : null;
}
