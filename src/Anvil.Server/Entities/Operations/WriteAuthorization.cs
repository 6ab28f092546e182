using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;

namespace Anvil.Server.Entities.Operations;

/// <summary>
/// The access checks of every write, run by the operations pipeline before it changes anything.
/// What the user may not read is answered as absent (404, or the 400 of a missing parent); what
/// they may read but not change is 403. The folder whose access list decides is the one the entity
/// belongs to; creating or moving something decides on the folder it goes to.
/// </summary>
static class WriteAuthorization
{
    public static async Task CreateAsync(WriteContext context, EntityDefinition definition, JsonObject values, JsonObject data)
    {
        if (context.Access.Unrestricted)
            return;
        context.Access.RequireWritable(definition, data);
        var destination = await DestinationAsync(context, definition, values);
        context.Access.Require(definition.CreateAction, destination, $"create a {definition.Type}");
    }

    /// <summary>Checks an update of an existing entity with <paramref name="data"/>, before anything else is said about it.</summary>
    public static async Task UpdateAsync(WriteContext context, EntityDefinition definition, Guid id, JsonObject data)
    {
        if (context.Access.Unrestricted)
            return;
        var path = await ReadablePathAsync(context, definition, id);
        context.Access.RequireWritable(definition, data);
        var thumbnailOnly = definition.PublishSetsThumbnail && data.All(p => p.Key is "thumbnailId" or "id");
        if (!(thumbnailOnly && context.Access.Allows(FolderAction.Publish, path)))
            context.Access.Require(definition.UpdateAction, path, $"change a {definition.Type}");
    }

    /// <summary>Moving an entity to another parent is creating it there.</summary>
    public static async Task MoveAsync(WriteContext context, EntityDefinition definition, JsonObject values, JsonObject previous)
    {
        if (context.Access.Unrestricted || definition.ParentField is not { } parent || JsonNode.DeepEquals(values[parent.Name], previous[parent.Name]))
            return;
        context.Access.Require(definition.CreateAction, await DestinationAsync(context, definition, values), $"move a {definition.Type}");
    }

    public static async Task DeleteAsync(WriteContext context, EntityDefinition definition, Guid id)
    {
        if (context.Access.Unrestricted)
            return;
        var path = await ReadablePathAsync(context, definition, id);
        if (context.Force)
            throw new Forbidden($"Only managers may force the deletion of a {definition.Type}");
        context.Access.Require(FolderAction.Delete, path, $"delete a {definition.Type}");
    }

    /// <summary>The folder path of an entity the user may read; 404 as for a missing one otherwise.</summary>
    static async Task<string> ReadablePathAsync(WriteContext context, EntityDefinition definition, Guid id)
    {
        var path = await EntityStore.FolderPathAsync(context.Connection, definition, id, context.CancellationToken);
        return path is not null && context.Access.Allows(FolderAction.Read, path) ? path : throw NotFound.Entity(definition.Type, id.ToString("N"));
    }

    /// <summary>The folder path of the parent named in <paramref name="values"/> ("" for a root folder); a parent the user cannot read is missing.</summary>
    static async Task<string> DestinationAsync(WriteContext context, EntityDefinition definition, JsonObject values)
    {
        if (definition.ParentField is not { } field || values[field.Name]?.GetValue<string>() is not { } parentText)
            return "";
        var parentDefinition = EntityRegistry.Get(definition.ParentType!);
        var parentId = Guid.Parse(parentText);
        var path = await EntityStore.FolderPathAsync(context.Connection, parentDefinition, parentId, context.CancellationToken);
        return path is not null && context.Access.Allows(FolderAction.Read, path) ? path : throw NoSuchParent(context, definition, parentId);
    }

    public static BadRequest NoSuchParent(WriteContext context, EntityDefinition definition, Guid parentId) =>
        BadRequest.Field(definition.ParentField!.Name, $"there is no {definition.ParentType} {parentId:N} in project {context.Project.Name}");
}
