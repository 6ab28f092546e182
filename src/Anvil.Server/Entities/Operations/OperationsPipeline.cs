using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
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
        var transaction = session.Transaction;
        if (operations.Any(o => o.EntityType == "folder"))
            await FolderTreeLock.AcquireAsync(session.Connection, session.Project.Name, cancellationToken);

        var results = new List<OperationResult>();
        foreach (var run in Runs(operations, session.Access))
        {
            if (run.Count > 1 && await TryCreateRunAsync(session, writer, run, cancellationToken) is { } created)
            {
                results.AddRange(created);
                continue;
            }
            foreach (var operation in run)
            {
                if (canFail)
                    await transaction.SaveAsync("operation", cancellationToken);
                try
                {
                    results.Add(await ApplyAsync(Context(session, operation, cancellationToken), writer, operation));
                    if (canFail)
                        await transaction.ReleaseAsync("operation", cancellationToken);
                }
                catch (Exception e) when (e is AyonError or PostgresException)
                {
                    results.Add(Failure(operation, Error(e, operation)));
                    if (!canFail)
                    {
                        await transaction.RollbackAsync(cancellationToken);
                        return new OperationsResponse(false, results);
                    }
                    await transaction.RollbackAsync("operation", cancellationToken);
                }
            }
        }
        await transaction.CommitAsync(cancellationToken);
        // The events went to the outbox without a NOTIFY (it would serialise this commit with every
        // other notifying one): this wakes the local publisher instead.
        events.Committed();
        return new OperationsResponse(results.All(r => r.Success), results);
    }

    /// <summary>
    /// The batch cut into runs: consecutive creates of one type go together, each step of them one
    /// statement for the whole run rather than one per entity (what makes bulk ingest fast). A user
    /// with restricted access creates one at a time, since whether they may create under a folder
    /// created earlier in the batch is decided on that folder's stored path.
    /// </summary>
    static IEnumerable<List<OperationRequest>> Runs(IReadOnlyList<OperationRequest> operations, ProjectAccess access)
    {
        var run = new List<OperationRequest>();
        foreach (var operation in operations)
        {
            var joins = run.Count > 0 && access.Unrestricted && operation.Type == "create" && run[0].Type == "create"
                && operation.EntityType == run[0].EntityType && operation.Force == run[0].Force;
            if (run.Count > 0 && !joins)
            {
                yield return run;
                run = [];
            }
            run.Add(operation);
        }
        if (run.Count > 0)
            yield return run;
    }

    /// <summary>
    /// Creates a run of entities together. Null when any of them fails: nothing of the run is kept, and
    /// the caller replays it one operation at a time, which finds the failing one and answers its error
    /// exactly as a batch of single creates would.
    /// </summary>
    async Task<List<OperationResult>?> TryCreateRunAsync(ProjectSession session, Writer writer, List<OperationRequest> run, CancellationToken cancellationToken)
    {
        await session.Transaction.SaveAsync("run", cancellationToken);
        try
        {
            var results = await CreateAsync(Context(session, run[0], cancellationToken), writer, EntityRegistry.Get(run[0].EntityType!), run);
            await session.Transaction.ReleaseAsync("run", cancellationToken);
            return results;
        }
        catch (Exception e) when (e is AyonError or PostgresException)
        {
            await session.Transaction.RollbackAsync("run", cancellationToken);
            return null;
        }
    }

    static WriteContext Context(ProjectSession session, OperationRequest operation, CancellationToken cancellationToken) =>
        new(session.Connection, session.Project, session.Access, operation.Force, cancellationToken);

    static AyonError Error(Exception e, OperationRequest operation) =>
        e is PostgresException postgres ? Translate(postgres, EntityRegistry.All.FirstOrDefault(d => d.Type == operation.EntityType)) : (AyonError)e;

    /// <summary>Problems with the batch as a whole are answered as a request error, not per operation.</summary>
    static void CheckBatch(IReadOnlyList<OperationRequest> operations)
    {
        for (var i = 0; i < operations.Count; i++)
        {
            // What the annotations of OperationRequest require; only a batch that misses it pays for their reflection.
            if (operations[i] is not { Type: "create" or "update" or "delete", EntityType: not null })
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
            "create" => (await CreateAsync(context, writer, definition, [operation])).Single(),
            "update" => await UpdateAsync(context, writer, definition, operation),
            _ => await DeleteAsync(context, writer, definition, operation),
        };
    }

    /// <summary>Creates entities of one type, in order: a folder may be created under one created before it in the same call.</summary>
    async Task<List<OperationResult>> CreateAsync(WriteContext context, Writer writer, EntityDefinition definition, IReadOnlyList<OperationRequest> operations)
    {
        var rows = new List<WrittenEntity>(operations.Count);
        foreach (var operation in operations)
            rows.Add(await NewEntityAsync(context, definition, operation));
        var parentPaths = await CheckParentsAsync(context, definition, rows, withPaths: definition.PathUnderParent is not null);
        foreach (var row in rows)
            await definition.Rules.PrepareAsync(context, row.Values, previous: null);

        await EntityStore.InsertAsync(context.Connection, definition, rows, context.UserName, context.CancellationToken);
        await definition.Rules.AfterWriteAsync(context, rows);

        // The events name the new rows by path: made from the parents' paths read with the parent
        // check where the type allows, rather than reading every new row back through its joins.
        var pathUnder = parentPaths is null ? null : definition.PathUnderParent;
        var paths = pathUnder is null
            ? await EntityStore.PathsAsync(context.Connection, definition, context.Project, [.. rows.Select(r => r.Id)], context.CancellationToken)
            : null;
        var topic = $"entity.{definition.Type}.created";
        var created = $"Created {definition.Type} ";
        var newEvents = new NewEvent[rows.Count];
        var results = new List<OperationResult>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var entityId = row.Id.ToString("N");
            var parentId = ParentId(definition, row.Values);
            var path = pathUnder is not null ? pathUnder(parentPaths![Guid.Parse(parentId!)], row.Values)
                : paths!.TryGetValue(row.Id, out var read) ? read : entityId;
            newEvents[i] = Event(writer, context, topic, created + path, new JsonObject { ["entityId"] = entityId, ["parentId"] = parentId });
            results.Add(Success(operations[i], entityId, 201));
        }
        await events.DispatchAsync(context.Connection, newEvents, context.CancellationToken, notifyOnCommit: false);
        return results;
    }

    /// <summary>The values of an entity to create: the given fields checked, access checked, defaults filled.</summary>
    static async ValueTask<WrittenEntity> NewEntityAsync(WriteContext context, EntityDefinition definition, OperationRequest operation)
    {
        var data = operation.Data ?? [];
        var id = ParseId(operation.EntityId ?? (data["id"]?.GetValueKind() == JsonValueKind.String ? data["id"]!.GetValue<string>() : null), "entityId")
            ?? Guid.CreateVersion7();
        var values = new JsonObject();
        // By index: a foreach over the interface makes an enumerator per entity.
        var all = definition.AllFields;
        for (var i = 0; i < all.Count; i++)
        {
            var field = all[i];
            if (!data.TryGetPropertyValue(field.Name, out var value))
                continue;
            values[field.Name] = field.Normalize(value);
        }
        var own = definition.Fields;
        for (var i = 0; i < own.Count; i++)
            if (own[i].Required && values[own[i].Name] is null)
                throw BadRequest.Field(own[i].Name, "field required");
        await WriteAuthorization.CreateAsync(context, definition, values, data);
        values["attrib"] = AttributeValues.Validate(context.Project.AttributesOf(definition.Type), AttribOf(data), "attrib", keepNulls: false);
        values["data"] ??= new JsonObject();
        values["active"] ??= true;
        values["tags"] ??= new JsonArray();
        values["status"] ??= context.Project.DefaultStatus(definition.Type);
        CheckCommon(context, values);
        return new WrittenEntity(id, values, Previous: null);
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
        CheckCommon(context, values);
        var written = new WrittenEntity(id, values, previous);
        await CheckParentsAsync(context, definition, [written]);
        await definition.Rules.PrepareAsync(context, values, previous);
        var changed = definition.AllFields.Select(f => f.Name).Append("attrib")
            .Where(name => !JsonNode.DeepEquals(values[name], previous[name])).ToList();
        if (changed.Count == 0)
            return Success(operation, id, 204);
        await EntityStore.UpdateAsync(context.Connection, definition, id, values, changed, context.UserName, context.CancellationToken);
        await definition.Rules.AfterWriteAsync(context, [written]);

        var entity = await EntityStore.GetAsync(context.Connection, definition, context.Project, id, context.CancellationToken);
        await events.DispatchAsync(context.Connection,
            [.. changed.Select(name => ChangeEvent(writer, context, definition, entity!, name, previous[name], values[name]))], context.CancellationToken,
            notifyOnCommit: false);
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
        var paths = await EntityStore.PathsAsync(context.Connection, definition, context.Project, [id], context.CancellationToken);

        await definition.Rules.BeforeDeleteAsync(context, id, operation.Force);
        await EntityStore.DeleteAsync(context.Connection, definition, id, context.CancellationToken);

        await events.DispatchAsync(context.Connection, [Event(writer, context, $"entity.{definition.Type}.deleted",
            $"Deleted {definition.Type} {paths.GetValueOrDefault(id, id.ToString("N"))}",
            new JsonObject { ["entityId"] = id.ToString("N"), ["parentId"] = ParentId(definition, previous) },
            new JsonObject { ["entityData"] = previous.DeepClone() })], context.CancellationToken, notifyOnCommit: false);
        return Success(operation, id, 204);
    }

    /// <summary>Checks every type shares: the name pattern, the label's characters, a status of the anatomy.</summary>
    static void CheckCommon(WriteContext context, JsonObject values)
    {
        if (values["name"]?.GetValue<string>() is { } name && !Names.IsEntityName(name))
            throw BadRequest.Field("name", $"'{name}' is not a valid name: letters, digits, '_', '.' and '-', not starting or ending with '.' or '-'");
        if (values["label"]?.GetValue<string>() is { } label && (label.Contains('\'') || label.Contains(';')))
            throw BadRequest.Field("label", "may not contain ' or ;");
        var status = values["status"]!.GetValue<string>();
        if (!HasStatus(context.Project, status))
            throw BadRequest.Field("status", $"'{status}' is not a status of project {context.Project.Name}");
    }

    static bool HasStatus(ProjectContext project, string status)
    {
        // By index: a foreach over the interface makes an enumerator per entity written.
        var statuses = project.Statuses;
        for (var i = 0; i < statuses.Count; i++)
            if (statuses[i].Name == status)
                return true;
        return false;
    }

    /// <summary>
    /// Every new or changed parent exists: in the database, or (folders) created earlier in the same
    /// call. One query for all of <paramref name="rows"/>, which are in the order they are written.
    /// <paramref name="withPaths"/>: the same query answers the parents' paths (null when no row names a parent).
    /// </summary>
    static async Task<Dictionary<Guid, string>?> CheckParentsAsync(WriteContext context, EntityDefinition definition, IReadOnlyList<WrittenEntity> rows,
        bool withPaths = false)
    {
        if (definition.ParentField is not { } parentField)
            return null;
        var parents = rows
            .Select(r => r.Values[parentField.Name]?.GetValue<string>() is { } parent
                && (r.Previous is null || !JsonNode.DeepEquals(r.Values[parentField.Name], r.Previous[parentField.Name])) ? Guid.Parse(parent) : (Guid?)null)
            .ToList();
        var wanted = parents.OfType<Guid>().Distinct().ToArray();
        if (wanted.Length == 0)
            return null;
        var parentDefinition = EntityRegistry.Get(definition.ParentType!);
        var paths = withPaths ? await EntityStore.PathsAsync(context.Connection, parentDefinition, context.Project, wanted, context.CancellationToken) : null;
        HashSet<Guid> existing = paths is not null ? [.. paths.Keys] : (await context.Connection.QueryAsync<Guid>(new CommandDefinition(
            $"SELECT id FROM {parentDefinition.Table} WHERE id = ANY(@wanted)",
            new { wanted }, cancellationToken: context.CancellationToken))).ToHashSet();
        for (var i = 0; i < rows.Count; i++)
        {
            if (parents[i] is { } parent && !existing.Contains(parent))
                throw WriteAuthorization.NoSuchParent(context, definition, parent);
            if (definition.ParentType == definition.Type)
                existing.Add(rows[i].Id);
        }
        return paths;
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
        return AyonJson.MergeOneLevel(current, changes);
    }

    static Guid? ParseId(string? text, string field) =>
        text is null ? null : Guid.TryParse(text, out var id) ? id : throw BadRequest.Field(field, "must be a 32-character hexadecimal id");

    static string? ParentId(EntityDefinition definition, JsonObject values) =>
        definition.ParentField is { } parent ? values[parent.Name]?.GetValue<string>() : null;

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

    static OperationResult Success(OperationRequest operation, Guid id, int status) => Success(operation, id.ToString("N"), status);

    static OperationResult Success(OperationRequest operation, string entityId, int status) => new()
    {
        Id = operation.Id,
        Type = operation.Type!,
        EntityType = operation.EntityType!,
        EntityId = entityId,
        Success = true,
        Status = status,
    };

    OperationResult Failure(OperationRequest operation, AyonError error)
    {
        if (error.Status >= 500)
            logger.LogError(error, "Operation {Type} {EntityType} failed", LogText.Sanitize(operation.Type), LogText.Sanitize(operation.EntityType));
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
