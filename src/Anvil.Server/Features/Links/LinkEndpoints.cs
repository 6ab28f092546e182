using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Entities.Operations;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Links;

/// <summary>A link to create: <c>linkType</c> is <c>type|inputType|outputType</c>.</summary>
public sealed record LinkRequest
{
    /// <summary>The link's id; generated when absent.</summary>
    public string? Id { get; init; }

    [Required] public string? Input { get; init; }
    [Required] public string? Output { get; init; }
    [Required] public string? LinkType { get; init; }
    public string? Name { get; init; }
    public JsonObject? Data { get; init; }
}

public sealed record BulkLinksRequest
{
    [Required] public List<LinkRequest>? Links { get; init; }
}

public sealed record CreatedLink(string Id, string Input, string Output, string LinkType);

public sealed record BulkLinksResponse(IReadOnlyList<CreatedLink> Created);

public sealed record LinkTypeModel(string Name, string LinkType, string InputType, string OutputType, JsonObject Data);

public sealed record LinkTypesResponse(IReadOnlyList<LinkTypeModel> Types);

/// <summary>
/// Links between entities (<c>reference</c>, <c>breakdown</c>, <c>generative</c>, ...) and their
/// types. A link names its ends by id; both must exist in the tables its type names. Reading
/// links is GraphQL's; these are the writes, each with its event.
/// </summary>
public static class LinkEndpoints
{
    public static void MapLinkEndpoints(this RouteGroupBuilder api)
    {
        var links = api.MapGroup("/projects/{projectName}/links").WithTags("Links");
        links.MapGet("/types", ListTypesAsync).WithName("list_link_types").WithSummary("The project's link types.");
        links.MapPut("/types/{name}", SaveTypeAsync).WithName("save_link_type")
            .WithSummary("Create or change a link type named type|inputType|outputType (managers).");
        links.MapDelete("/types/{name}", DeleteTypeAsync).WithName("delete_link_type")
            .WithSummary("Delete a link type and its links (managers).");
        links.MapPost("/", CreateAsync).WithName("create_entity_link").WithSummary("Link two entities; answers the link's id.");
        links.MapPost("/bulk", CreateBulkAsync).WithName("create_entity_links").WithSummary("Create many links, all or none.");
        links.MapDelete("/{linkId}", DeleteAsync).WithName("delete_entity_link").WithSummary("Delete a link.");
    }

    static async Task<LinkTypesResponse> ListTypesAsync(string projectName, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var rows = await session.Connection.QueryAsync<(string Name, string LinkType, string InputType, string OutputType, string Data)>(new CommandDefinition(
            "SELECT name, link_type, input_type, output_type, data::text FROM link_types ORDER BY name", cancellationToken: http.RequestAborted));
        return new LinkTypesResponse([.. rows.Select(r => new LinkTypeModel(r.Name, r.LinkType, r.InputType, r.OutputType, JsonNode.Parse(r.Data)!.AsObject()))]);
    }

    /// <summary>The client sends the type's data as the whole body; AYON's model wraps it in <c>{"data": ...}</c>. Both are taken.</summary>
    static async Task<IResult> SaveTypeAsync(string projectName, string name, JsonObject body, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        user.RequireManager("change link types");
        var (linkType, inputType, outputType) = ParseTypeName(name);
        var data = body.Count == 1 && body["data"] is JsonObject wrapped ? wrapped : body;
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        await session.Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO link_types (name, link_type, input_type, output_type, data)
            VALUES (@name, @linkType, @inputType, @outputType, @data::jsonb)
            ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data
            """, new { name, linkType, inputType, outputType, data = data.ToJsonString() }, cancellationToken: http.RequestAborted));
        await session.CommitAsync(http.RequestAborted);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteTypeAsync(string projectName, string name, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        user.RequireManager("change link types");
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var deleted = await session.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM link_types WHERE name = @name", new { name }, cancellationToken: http.RequestAborted));
        if (deleted == 0)
            throw new NotFound($"Link type {name} not found");
        await session.CommitAsync(http.RequestAborted);
        return Results.NoContent();
    }

    static async Task<EntityIdResponse> CreateAsync(string projectName, LinkRequest request, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts, EventStore events)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var link = await InsertAsync(session, request, "", user.Name, http.RequestAborted);
        await events.DispatchAsync(session.Connection, LinkEvent("link.created", session, user, http, link), http.RequestAborted);
        await session.CommitAsync(http.RequestAborted);
        return new EntityIdResponse(link.Id);
    }

    static async Task<BulkLinksResponse> CreateBulkAsync(string projectName, BulkLinksRequest request, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts, EventStore events)
    {
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var created = new List<CreatedLink>();
        for (var i = 0; i < request.Links!.Count; i++)
        {
            ValidationFilter.Validate(request.Links[i], $"links.{i}.");
            created.Add(await InsertAsync(session, request.Links[i], $"links.{i}.", user.Name, http.RequestAborted));
        }
        var writer = OperationsEndpoints.WriterOf(user, http);
        await events.DispatchAsync(session.Connection, new NewEvent
        {
            Topic = "links.created",
            Project = session.Project.Name,
            User = writer.UserName,
            Sender = writer.Sender,
            SenderType = writer.SenderType,
            Description = $"Created {created.Count} links",
            Summary = new JsonObject { ["count"] = created.Count, ["links"] = JsonSerializer.SerializeToNode(created, AyonJson.Options) },
        }, http.RequestAborted);
        await session.CommitAsync(http.RequestAborted);
        return new BulkLinksResponse(created);
    }

    static async Task<IResult> DeleteAsync(string projectName, string linkId, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts, EventStore events)
    {
        var id = Guid.TryParse(linkId, out var parsed) ? parsed : throw new NotFound($"Link {linkId} not found");
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        var row = await session.Connection.QuerySingleOrDefaultAsync<(Guid Input, Guid Output, string LinkType)?>(new CommandDefinition(
            "DELETE FROM links WHERE id = @id RETURNING input_id, output_id, link_type", new { id }, cancellationToken: http.RequestAborted));
        if (row is null || !await EndsReadableAsync(session, row.Value.LinkType, row.Value.Input, row.Value.Output, http.RequestAborted))
            throw new NotFound($"Link {linkId} not found");
        session.Access.RequireLinkType(row.Value.LinkType);
        var link = new CreatedLink(id.ToString("N"), row.Value.Input.ToString("N"), row.Value.Output.ToString("N"), row.Value.LinkType);
        await events.DispatchAsync(session.Connection, LinkEvent("link.deleted", session, user, http, link), http.RequestAborted);
        await session.CommitAsync(http.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>Writes one link after checking its type and ends; errors name the field under <paramref name="field"/>.</summary>
    public static async Task<CreatedLink> InsertAsync(ProjectSession session, LinkRequest request, string field, string author, CancellationToken cancellationToken)
    {
        var (_, inputType, outputType) = ParseTypeName(request.LinkType!, field + "linkType");
        session.Access.RequireLinkType(request.LinkType!);
        var exists = await session.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT FROM link_types WHERE name = @name)", new { name = request.LinkType }, cancellationToken: cancellationToken));
        if (!exists)
            throw BadRequest.Field(field + "linkType", $"'{request.LinkType}' is not a link type of project {session.Project.Name}");
        var input = await RequireEndAsync(session, inputType, request.Input!, field + "input", cancellationToken);
        var output = await RequireEndAsync(session, outputType, request.Output!, field + "output", cancellationToken);
        var id = request.Id is null ? Guid.CreateVersion7()
            : Guid.TryParse(request.Id, out var given) ? given : throw BadRequest.Field(field + "id", "must be a 32-character hexadecimal id");
        try
        {
            await session.Connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO links (id, name, link_type, input_id, output_id, author, data)
                VALUES (@id, @name, @linkType, @input, @output, @author, @data::jsonb)
                """, new { id, name = request.Name, linkType = request.LinkType, input, output, author, data = (request.Data ?? []).ToJsonString() },
                cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new Conflict($"A link with id {id:N} already exists");
        }
        return new CreatedLink(id.ToString("N"), input.ToString("N"), output.ToString("N"), request.LinkType!);
    }

    static async Task<Guid> RequireEndAsync(ProjectSession session, string entityType, string idText, string field, CancellationToken cancellationToken)
    {
        var definition = EntityRegistry.Get(entityType);
        var id = Guid.TryParse(idText, out var parsed) ? parsed : throw BadRequest.Field(field, "must be a 32-character hexadecimal id");
        return await ReadableAsync(session, definition, id, cancellationToken) ? id : throw new NotFound($"{field}: there is no {entityType} {id:N}");
    }

    /// <summary>Whether the entity exists and the user may read it: a link end the user cannot read is as good as absent.</summary>
    static async Task<bool> ReadableAsync(ProjectSession session, EntityDefinition definition, Guid id, CancellationToken cancellationToken)
    {
        var path = await EntityStore.FolderPathAsync(session.Connection, definition, id, cancellationToken);
        return path is not null && session.Access.Allows(FolderAction.Read, path);
    }

    static async Task<bool> EndsReadableAsync(ProjectSession session, string linkType, Guid input, Guid output, CancellationToken cancellationToken)
    {
        var (_, inputType, outputType) = ParseTypeName(linkType);
        return await ReadableAsync(session, EntityRegistry.Get(inputType), input, cancellationToken)
            && await ReadableAsync(session, EntityRegistry.Get(outputType), output, cancellationToken);
    }

    static (string LinkType, string InputType, string OutputType) ParseTypeName(string name, string field = "name")
    {
        var parts = name.Split('|');
        if (parts.Length != 3 || !Names.IsEntityName(parts[0]) || EntityRegistry.All.All(d => d.Type != parts[1]) || EntityRegistry.All.All(d => d.Type != parts[2]))
            throw BadRequest.Field(field, $"'{name}' is not a link type name: type|inputType|outputType, the two types among {string.Join(", ", EntityRegistry.All.Select(d => d.Type))}");
        return (parts[0], parts[1], parts[2]);
    }

    static NewEvent LinkEvent(string topic, ProjectSession session, CurrentUser user, HttpContext http, CreatedLink link)
    {
        var writer = OperationsEndpoints.WriterOf(user, http);
        var (_, inputType, outputType) = ParseTypeName(link.LinkType);
        return new NewEvent
        {
            Topic = topic,
            Project = session.Project.Name,
            User = writer.UserName,
            Sender = writer.Sender,
            SenderType = writer.SenderType,
            Description = $"{(topic == "link.created" ? "Created" : "Deleted")} {link.LinkType} link",
            Summary = new JsonObject
            {
                ["id"] = link.Id,
                ["linkType"] = link.LinkType,
                ["inputType"] = inputType,
                ["outputType"] = outputType,
                ["inputId"] = link.Input,
                ["outputId"] = link.Output,
            },
        };
    }
}
