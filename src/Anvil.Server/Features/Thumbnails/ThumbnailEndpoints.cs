using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Entities.Operations;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Thumbnails;

/// <summary>
/// Thumbnails: PNG or JPEG bodies (recognised by their bytes, whatever the Content-Type says),
/// stored in the project and returned byte for byte with <c>X-Thumbnail-Id</c> and <c>Content-Length</c>.
/// </summary>
public static class ThumbnailEndpoints
{
    /// <summary>Thumbnails are small previews; a larger body is refused rather than buffered.</summary>
    const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>The 1×1 transparent PNG answered (203) when an entity has no thumbnail.</summary>
    static readonly byte[] Placeholder = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    public static void MapThumbnailEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/projects/{projectName}").WithTags("Thumbnails").AcceptsRawBody();
        group.MapPost("/thumbnails", CreateAsync).WithName("create_thumbnail")
            .WithSummary("Store a PNG or JPEG image; answers its id.");
        group.MapPut("/thumbnails/{thumbnailId}", ReplaceAsync).WithName("update_thumbnail")
            .WithSummary("Store an image under the given id, replacing what was there.");
        group.MapGet("/thumbnails/{thumbnailId}", GetAsync).WithName("get_thumbnail")
            .WithSummary("A stored image, byte for byte.");
        foreach (var definition in EntityRegistry.All.Where(d => d.HasThumbnail))
        {
            var (type, plural) = (definition.Type, definition.Plural);
            group.MapGet($"/{plural}/{{id}}/thumbnail", (string projectName, string id, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts, string placeholder = "empty") =>
                    GetForEntityAsync(type, projectName, id, placeholder, user, http, db, contexts))
                .WithName($"get_{type}_thumbnail").WithSummary($"The thumbnail of a {type}, with AYON's fallbacks.");
            group.MapPost($"/{plural}/{{id}}/thumbnail", (string projectName, string id, HttpContext http, CurrentUser user, Db db, ProjectContexts contexts, OperationsPipeline pipeline) =>
                    CreateForEntityAsync(type, projectName, id, http, user, db, contexts, pipeline))
                .WithName($"create_{type}_thumbnail").WithSummary($"Store an image and make it the {type}'s thumbnail.");
        }
    }

    static async Task<IResult> CreateAsync(string projectName, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        var id = Guid.CreateVersion7();
        await StoreAsync(projectName, id, user, http, db, contexts);
        return Results.Json(new EntityIdResponse(id.ToString("N")), AyonJson.Options, statusCode: 201);
    }

    static async Task<IResult> ReplaceAsync(string projectName, string thumbnailId, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        var id = Guid.TryParse(thumbnailId, out var parsed) ? parsed : throw BadRequest.Field("thumbnailId", "must be a 32-character hexadecimal id");
        await StoreAsync(projectName, id, user, http, db, contexts);
        return Results.NoContent();
    }

    static async Task<IResult> CreateForEntityAsync(string type, string projectName, string entityId, HttpContext http, CurrentUser user, Db db,
        ProjectContexts contexts, OperationsPipeline pipeline)
    {
        var id = Guid.CreateVersion7();
        await StoreAsync(projectName, id, user, http, db, contexts);
        var operation = new OperationRequest { Type = "update", EntityType = type, EntityId = entityId, Data = new JsonObject { ["thumbnailId"] = id.ToString("N") } };
        var result = (await pipeline.RunAsync(projectName, OperationsEndpoints.WriterOf(user, http), [operation], canFail: false, http.RequestAborted)).Operations[0];
        if (!result.Success)
        {
            // The image was stored for an entity the user may not change: it goes with the refusal.
            await using var cleanup = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
            await cleanup.Connection.ExecuteAsync(new CommandDefinition("DELETE FROM thumbnails WHERE id = @id", new { id }, cleanup.Transaction, cancellationToken: http.RequestAborted));
            await cleanup.CommitAsync(http.RequestAborted);
            throw new AyonError(result.Status, result.Detail ?? "Could not assign the thumbnail", result.ErrorCode);
        }
        return Results.Json(new EntityIdResponse(id.ToString("N")), AyonJson.Options, statusCode: 201);
    }

    static async Task<IResult> GetAsync(string projectName, string thumbnailId, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        var id = Guid.TryParse(thumbnailId, out var parsed) ? parsed : throw new NotFound($"Thumbnail {thumbnailId} not found");
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        if (!await MayReadAsync(session, id, http.RequestAborted))
            throw new NotFound($"Thumbnail {thumbnailId} not found");
        return await ImageAsync(session, id, http) ?? throw new NotFound($"Thumbnail {thumbnailId} not found");
    }

    /// <summary>
    /// A user restricted by folder may see a thumbnail that an entity they can read shows, or that
    /// they uploaded themselves: the image of an entity they cannot read is as good as absent.
    /// </summary>
    static async Task<bool> MayReadAsync(ProjectSession session, Guid id, CancellationToken cancellationToken)
    {
        if (session.Access.ReadsEverything)
            return true;
        var shownBy = EntityRegistry.All.Where(d => d.HasThumbnail)
            .Select(d => $"SELECT\n{d.From}\nWHERE e.thumbnail_id = @id AND {session.Access.ReadCondition(d)}");
        var sql = $"""
            SELECT EXISTS (SELECT FROM thumbnails WHERE id = @id AND meta->>'author' = @accessUser)
                OR EXISTS ({string.Join("\n UNION ALL ", shownBy)})
            """;
        var parameters = new DynamicParameters(new { id });
        foreach (var (name, value) in session.Access.Parameters)
            parameters.Add(name, value);
        return await session.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    static async Task<IResult> GetForEntityAsync(string type, string projectName, string entityId, string placeholder, CurrentUser user, HttpContext http,
        Db db, ProjectContexts contexts)
    {
        var definition = EntityRegistry.Get(type);
        var id = Guid.TryParse(entityId, out var parsed) ? parsed : throw NotFound.Entity(type, entityId);
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        if (await EntityStore.FolderPathAsync(session.Connection, definition, id, http.RequestAborted) is not { } path
            || !session.Access.Allows(FolderAction.Read, path))
            throw NotFound.Entity(type, entityId);
        var thumbnailId = await session.Connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(ResolveSql(definition), new { id }, cancellationToken: http.RequestAborted));
        if (thumbnailId is { } found && await ImageAsync(session, found, http) is { } image)
            return image;
        if (placeholder == "none")
            throw new NotFound("The entity has no thumbnail");
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.StatusCode = 203;
        return Results.Bytes(Placeholder, "image/png");
    }

    /// <summary>An entity's own thumbnail, else its type's fallback (for folders and tasks: the newest thumbnail among the versions published in it), as AYON falls back.</summary>
    static string ResolveSql(EntityDefinition definition) => definition.ThumbnailFallback is { } fallback
        ? $"SELECT COALESCE(e.thumbnail_id, (\n{fallback}))\nFROM {definition.Table} e WHERE e.id = @id"
        : $"SELECT e.thumbnail_id FROM {definition.Table} e WHERE e.id = @id";

    static async Task<IResult?> ImageAsync(ProjectSession session, Guid id, HttpContext http)
    {
        var row = await session.Connection.QuerySingleOrDefaultAsync<(string Mime, byte[] Data)?>(new CommandDefinition(
            "SELECT mime, data FROM thumbnails WHERE id = @id", new { id }, cancellationToken: http.RequestAborted));
        if (row is not { } image)
            return null;
        http.Response.Headers["X-Thumbnail-Id"] = id.ToString("N");
        // A thumbnail id names fixed bytes (replacing an entity's thumbnail gives it a new id), so caches may keep it.
        http.Response.Headers.CacheControl = "private, max-age=86400";
        http.Response.Headers.ETag = $"\"{id:N}\"";
        return Results.Bytes(image.Data, image.Mime);
    }

    static async Task StoreAsync(string projectName, Guid id, CurrentUser user, HttpContext http, Db db, ProjectContexts contexts)
    {
        var bytes = await ReadBodyAsync(http);
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, user, http.RequestAborted);
        session.Access.RequireSomeWrite("upload a thumbnail");
        if (!session.Access.Unrestricted && await session.Connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT COALESCE(meta->>'author', '') FROM thumbnails WHERE id = @id", new { id }, cancellationToken: http.RequestAborted)) is { } author
            && author != user.Name)
            throw new Forbidden("Only managers may replace a thumbnail someone else uploaded");
        await SaveAsync(session, id, bytes, user.Name, http.RequestAborted);
        await session.CommitAsync(http.RequestAborted);
    }

    /// <summary>Stores (or replaces) the image under the id; 415 unless the bytes are PNG or JPEG.</summary>
    public static async Task SaveAsync(ProjectSession session, Guid id, byte[] bytes, string? author, CancellationToken cancellationToken)
    {
        var mime = Sniff(bytes) ?? throw new UnsupportedMediaType("A thumbnail must be a PNG or JPEG image");
        await session.Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO thumbnails (id, mime, data, meta)
            VALUES (@id, @mime, @bytes, jsonb_build_object('size', @size, 'author', @author))
            ON CONFLICT (id) DO UPDATE SET mime = EXCLUDED.mime, data = EXCLUDED.data, meta = EXCLUDED.meta, created_at = now()
            """, new { id, mime, bytes, size = bytes.Length, author }, cancellationToken: cancellationToken));
    }

    static async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw new AyonError(413, $"A thumbnail may not exceed {MaxBytes / (1024 * 1024)} MiB");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The image type by its first bytes: the client's Content-Type cannot be trusted (it sends application/json at times).</summary>
    static string? Sniff(byte[] bytes) => bytes switch
    {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        _ => null,
    };
}
