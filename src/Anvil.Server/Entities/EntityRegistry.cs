using Anvil.Server.Features.Folders;
using Anvil.Server.Features.Products;
using Anvil.Server.Features.Representations;
using Anvil.Server.Features.Tasks;
using Anvil.Server.Features.Versions;
using Anvil.Server.Features.Workfiles;
using Anvil.Server.Hosting;

namespace Anvil.Server.Entities;

/// <summary>The one list of project entity types.</summary>
public static class EntityRegistry
{
    public static IReadOnlyList<EntityDefinition> All { get; } =
    [
        FolderEntity.Definition,
        TaskEntity.Definition,
        ProductEntity.Definition,
        VersionEntity.Definition,
        RepresentationEntity.Definition,
        WorkfileEntity.Definition,
    ];

    public static EntityDefinition Get(string entityType) =>
        All.FirstOrDefault(d => d.Type == entityType)
        ?? throw BadRequest.Field("entityType", $"'{entityType}' is not an entity type ({string.Join(", ", All.Select(d => d.Type))})");
}
