using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Npgsql;

namespace Anvil.Server.Entities.Operations;

/// <summary>Who writes, and how their events are signed (X-Sender / X-Sender-Type).</summary>
public sealed record Writer(CurrentUser User, string? Sender = null, string? SenderType = null)
{
    public string UserName => User.Name;
}

/// <summary>
/// The one write path for project entities: <c>/operations</c> and every single-entity POST, PATCH
/// and DELETE come through here. A batch runs in one transaction; without <c>canFail</c> the first
/// failure rolls everything back (no events, nothing written); with it, each operation stands alone
/// (a savepoint each). Events are recorded in the same transaction and published after commit.
/// </summary>
public sealed class OperationsPipeline(Db db, ProjectContexts contexts, EventStore events, ILogger<OperationsPipeline> logger)
{
    public async Task<OperationsResponse> RunAsync(string projectName, Writer writer, IReadOnlyList<OperationRequest> operations, bool canFail, CancellationToken cancellationToken)
    {
        CheckBatch(operations);
        await using var session = await ProjectSession.OpenAsync(db, contexts, projectName, writer.User, cancellationToken);
        var (connection, transaction, project) = (session.Connection, session.Transaction, session.Project);

        var results = new List<OperationResult>();
        foreach (var operation in operations)
        {
            if (canFail)
                await transaction.SaveAsync("operation", cancellationToken);
            try
            {
                var context = new WriteContext(connection, project, session.Access, operation.Force, cancellationToken);
                results.Add(await ApplyAsync(context, writer, operation));
                if (canFail)
                    await transaction.ReleaseAsync("operation", cancellationToken);
            }
            catch (Exception e) when (e is AyonError or PostgresException)
            {
                var error = e is PostgresException postgres ? Translate(postgres, EntityRegistry.All.FirstOrDefault(d => d.Type == operation.EntityType)) : (AyonError)e;
                results.Add(Failure(operation, error));
                if (!canFail)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    return new OperationsResponse(false, results);
                }
                await transaction.RollbackAsync("operation", cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        events.Committed();
        return new OperationsResponse(results.All(r => r.Success), results);
    }

    /// <summary>Problems with the batch as a whole are answered as a request error, not per operation.</summary>
    static void CheckBatch(IReadOnlyList<OperationRequest> operations)
    {
        for (var i = 0; i < operations.Count; i++)
        {
            ValidationFilter.Validate(operations[i], $"operations.{i}.");
            if (EntityRegistry.All.All(d => d.Type != operations[i].EntityType))
                throw BadRequest.Field($"operations.{i}.entityType",
                    $"'{operations[i].EntityType}' is not an entity type ({string.Join(", ", EntityRegistry.All.Select(d => d.Type))})");
        }
        var twice = operations
            .Where(o => o.Type is "update" or "delete" && o.EntityId is not null)
            .GroupBy(o => (o.EntityType, Id: Guid.TryParse(o.EntityId, out var id) ? id : Guid.Empty))
            .FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new BadRequest($"The batch changes {twice.Key.EntityType} {twice.Key.Id:N} more than once; merge those operations");
    }

    async Task<OperationResult> ApplyAsync(WriteContext context, Writer writer, OperationRequest operation)
    {
        var definition = EntityRegistry.Get(operation.EntityType!);
        return operation.Type switch
        {
            "create" => await CreateAsync(context, writer, definition, operation),
            "update" => await UpdateAsync(context, writer, definition, operation),
            _ => await DeleteAsync(context, writer, definition, operation),
        };
    }

    async Task<OperationResult> CreateAsync(WriteContext context, Writer writer, EntityDefinition definition, OperationRequest operation)
    {
        var data = operation.Data ?? [];
        var id = ParseId(operation.EntityId ?? (data["id"]?.GetValueKind() == JsonValueKind.String ? data["id"]!.GetValue<string>() : null), "entityId")
            ?? Guid.CreateVersion7();
        var values = new JsonObject();
        foreach (var field in definition.AllFields)
        {
            if (!data.TryGetPropertyValue(field.Name, out var value))
                continue;
            values[field.Name] = field.Normalize(value);
        }
        var missing = definition.Fields.FirstOrDefault(f => f.Required && values[f.Name] is null);
        if (missing is not null)
            throw BadRequest.Field(missing.Name, "field required");
        await WriteAuthorization.CreateAsync(context, definition, values, data);
        values["attrib"] = AttributeValues.Validate(context.Project.AttributesOf(definition.Type), AttribOf(data), "attrib", keepNulls: false);
        values["data"] ??= new JsonObject();
        values["active"] ??= true;
        values["tags"] ??= new JsonArray();
        values["status"] ??= context.Project.DefaultStatus(definition.Type);

        await CheckCommonAsync(context, definition, values, previous: null);
        await definition.Rules.PrepareAsync(context, values, previous: null);
        await EntityStore.InsertAsync(context.Connection, definition, id, values, context.UserName, context.CancellationToken);
        await definition.Rules.AfterWriteAsync(context, id, values, previous: null);

        var parentId = ParentId(definition, values);
        await events.DispatchAsync(context.Connection, Event(writer, context, $"entity.{definition.Type}.created",
            $"Created {definition.Type} {await DescribeAsync(context, definition, id)}",
            new JsonObject { ["entityId"] = id.ToString("N"), ["parentId"] = parentId }), context.CancellationToken);
        return Success(operation, id, 201);
    }

    async Task<OperationResult> UpdateAsync(WriteContext context, Writer writer, EntityDefinition definition, OperationRequest operation)
    {
        var id = ParseId(operation.EntityId, "entityId") ?? throw BadRequest.Field("entityId", "field required");
        var previous = await EntityStore.LockAsync(context.Connection, definition, id, context.CancellationToken)
            ?? throw NotFound.Entity(definition.Type, id.ToString("N"));
        await WriteAuthorization.UpdateAsync(context, definition, id, operation.Data ?? []);
        if (operation.IfMatch is not null && operation.IfMatch != EntityStore.ETag(previous))
            throw new AyonError(412, $"The {definition.Type} changed since it was read (If-Match {operation.IfMatch} no longer matches)", "precondition-failed");

        var values = (JsonObject)previous.DeepClone();
        foreach (var (key, value) in operation.Data ?? [])
        {
            if (key == "attrib")
            {
                var own = values["attrib"]!.AsObject();
                foreach (var (name, newValue) in AttributeValues.Validate(context.Project.AttributesOf(definition.Type), AttribOf(operation.Data!), "attrib", keepNulls: true))
                    own[name] = newValue?.DeepClone();
                foreach (var removed in own.Where(p => p.Value is null).Select(p => p.Key).ToList())
                    own.Remove(removed);
            }
            else if (key == "data")
                values["data"] = MergeData(values["data"] as JsonObject ?? [], value);
            else if (definition.Field(key) is { } field)
            {
                values[key] = field.Normalize(value);
            }
        }

        await WriteAuthorization.MoveAsync(context, definition, values, previous);
        await CheckCommonAsync(context, definition, values, previous);
        await definition.Rules.PrepareAsync(context, values, previous);
        var changed = definition.AllFields.Select(f => f.Name).Append("attrib")
            .Where(name => !JsonNode.DeepEquals(values[name], previous[name])).ToList();
        if (changed.Count == 0)
            return Success(operation, id, 204);
        await EntityStore.UpdateAsync(context.Connection, definition, id, values, changed, context.UserName, context.CancellationToken);
        await definition.Rules.AfterWriteAsync(context, id, values, previous);

        var entity = await EntityStore.GetAsync(context.Connection, definition, context.Project, id, context.CancellationToken);
        foreach (var name in changed)
            await events.DispatchAsync(context.Connection, ChangeEvent(writer, context, definition, entity!, name, previous[name], values[name]), context.CancellationToken);
        return Success(operation, id, 204);
    }

    async Task<OperationResult> DeleteAsync(WriteContext context, Writer writer, EntityDefinition definition, OperationRequest operation)
    {
        var id = ParseId(operation.EntityId, "entityId") ?? throw BadRequest.Field("entityId", "field required");
        var previous = await EntityStore.LockAsync(context.Connection, definition, id, context.CancellationToken)
            ?? throw NotFound.Entity(definition.Type, id.ToString("N"));
        await WriteAuthorization.DeleteAsync(context, definition, id);
        if (operation.IfMatch is not null && operation.IfMatch != EntityStore.ETag(previous))
            throw new AyonError(412, $"The {definition.Type} changed since it was read (If-Match {operation.IfMatch} no longer matches)", "precondition-failed");
        var description = await DescribeAsync(context, definition, id);

        await definition.Rules.BeforeDeleteAsync(context, id, operation.Force);
        await EntityStore.DeleteAsync(context.Connection, definition, id, context.CancellationToken);

        await events.DispatchAsync(context.Connection, Event(writer, context, $"entity.{definition.Type}.deleted",
            $"Deleted {definition.Type} {description}",
            new JsonObject { ["entityId"] = id.ToString("N"), ["parentId"] = ParentId(definition, previous) },
            new JsonObject { ["entityData"] = previous.DeepClone() }), context.CancellationToken);
        return Success(operation, id, 204);
    }

    /// <summary>Checks every type shares: the name pattern, a status of the anatomy, an existing parent.</summary>
    static async Task CheckCommonAsync(WriteContext context, EntityDefinition definition, JsonObject values, JsonObject? previous)
    {
        if (definition.Field("name") is not null && values["name"]?.GetValue<string>() is { } name && !Names.IsEntityName(name))
            throw BadRequest.Field("name", $"'{name}' is not a valid name: letters, digits, '_', '.' and '-', not starting or ending with '.' or '-'");
        if (values["label"]?.GetValue<string>() is { } label && (label.Contains('\'') || label.Contains(';')))
            throw BadRequest.Field("label", "may not contain ' or ;");
        var status = values["status"]!.GetValue<string>();
        if (!context.Project.Statuses.Any(s => s.Name == status))
            throw BadRequest.Field("status", $"'{status}' is not a status of project {context.Project.Name}");
        if (definition.ParentField is { } parentField && values[parentField.Name]?.GetValue<string>() is { } parentText
            && (previous is null || !JsonNode.DeepEquals(values[parentField.Name], previous[parentField.Name])))
        {
            var parentDefinition = EntityRegistry.Get(definition.ParentType!);
            await using var command = new NpgsqlCommand($"SELECT EXISTS (SELECT FROM {parentDefinition.Table} WHERE id = @id)", context.Connection);
            command.Parameters.AddWithValue("id", Guid.Parse(parentText));
            if (!(bool)(await command.ExecuteScalarAsync(context.CancellationToken))!)
                throw WriteAuthorization.NoSuchParent(context, definition, Guid.Parse(parentText));
        }
    }

    static JsonObject AttribOf(JsonObject data) => data["attrib"] switch
    {
        null => [],
        JsonObject attrib => attrib,
        _ => throw BadRequest.Field("attrib", "must be an object"),
    };

    /// <summary>AYON's data merge: one level deep, a null value deletes the key.</summary>
    static JsonObject MergeData(JsonObject current, JsonNode? patch)
    {
        if (patch is null)
            return [];
        if (patch is not JsonObject changes)
            throw BadRequest.Field("data", "must be an object");
        var merged = (JsonObject)current.DeepClone();
        foreach (var (key, value) in changes)
        {
            if (value is null)
                merged.Remove(key);
            else
                merged[key] = value.DeepClone();
        }
        return merged;
    }

    static Guid? ParseId(string? text, string field) =>
        text is null ? null : Guid.TryParse(text, out var id) ? id : throw BadRequest.Field(field, "must be a 32-character hexadecimal id");

    static string? ParentId(EntityDefinition definition, JsonObject values) =>
        definition.ParentField is { } parent ? values[parent.Name]?.GetValue<string>() : null;

    static async Task<string> DescribeAsync(WriteContext context, EntityDefinition definition, Guid id) =>
        await EntityStore.PathAsync(context.Connection, definition, context.Project, id, context.CancellationToken) ?? id.ToString("N");

    static readonly Dictionary<string, string> ChangeTopics = new()
    {
        ["name"] = "renamed",
        ["folderType"] = "type_changed",
        ["taskType"] = "type_changed",
        ["thumbnailId"] = "thumbnail_changed",
        ["parentId"] = "parent_changed",
        ["folderId"] = "folder_changed",
        ["taskId"] = "task_changed",
        ["productId"] = "product_changed",
        ["versionId"] = "version_changed",
        ["productType"] = "product_type_changed",
        ["productBaseType"] = "product_base_type_changed",
        ["createdBy"] = "created_by_changed",
        ["updatedBy"] = "updated_by_changed",
    };

    static NewEvent ChangeEvent(Writer writer, WriteContext context, EntityDefinition definition, JsonObject entity, string field, JsonNode? oldValue, JsonNode? newValue)
    {
        var topic = $"entity.{definition.Type}.{ChangeTopics.GetValueOrDefault(field, field + "_changed")}";
        var path = entity["path"]?.GetValue<string>() ?? entity["name"]?.GetValue<string>();
        var summary = new JsonObject
        {
            ["entityId"] = entity["id"]!.DeepClone(),
            ["parentId"] = ParentId(definition, entity),
            ["entityPath"] = path,
        };
        // AYON leaves the values of data, files and attributes out of the summary (they can be large).
        if (field is not ("data" or "files" or "attrib"))
            summary["value"] = newValue?.DeepClone();
        return Event(writer, context, topic, $"Changed {definition.Type} {path} {field}", summary,
            new JsonObject { ["oldValue"] = oldValue?.DeepClone(), ["newValue"] = newValue?.DeepClone() });
    }

    static NewEvent Event(Writer writer, WriteContext context, string topic, string description, JsonObject summary, JsonObject? payload = null) => new()
    {
        Topic = topic,
        Project = context.Project.Name,
        User = writer.UserName,
        Sender = writer.Sender,
        SenderType = writer.SenderType,
        Description = description,
        Summary = summary,
        Payload = payload ?? [],
    };

    static OperationResult Success(OperationRequest operation, Guid id, int status) => new()
    {
        Id = operation.Id,
        Type = operation.Type!,
        EntityType = operation.EntityType!,
        EntityId = id.ToString("N"),
        Success = true,
        Status = status,
    };

    OperationResult Failure(OperationRequest operation, AyonError error)
    {
        if (error.Status >= 500)
            logger.LogError(error, "Operation {Type} {EntityType} failed", operation.Type, operation.EntityType);
        return new OperationResult
        {
            Id = operation.Id,
            Type = operation.Type ?? "",
            EntityType = operation.EntityType ?? "",
            EntityId = Guid.TryParse(operation.EntityId, out var id) ? id.ToString("N") : null,
            Success = false,
            Status = error.Status,
            ErrorCode = error.ErrorCode,
            Detail = error.Message,
        };
    }

    /// <summary>Database refusals, in the words of the entity type.</summary>
    static AyonError Translate(PostgresException e, EntityDefinition? definition) => e.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation when definition is not null => new Conflict(definition.DuplicateMessage, "duplicate-name"),
        PostgresErrorCodes.ForeignKeyViolation when e.ConstraintName?.Contains("thumbnail") == true => BadRequest.Field("thumbnailId", "there is no such thumbnail"),
        PostgresErrorCodes.ForeignKeyViolation when e.ConstraintName?.Contains("task") == true => BadRequest.Field("taskId", "there is no such task"),
        _ => PostgresErrors.Translate(e),
    };
}
