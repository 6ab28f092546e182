namespace Anvil.Server.Tests.Infrastructure;

/// <summary>The six project entity types, for theories that run once per type.</summary>
public static class EntityTypes
{
    /// <summary>Each type with its REST collection: <c>("folder", "folders")</c>, ...</summary>
    public static TheoryData<string, string> All => new()
    {
        { "folder", "folders" },
        { "task", "tasks" },
        { "product", "products" },
        { "version", "versions" },
        { "representation", "representations" },
        { "workfile", "workfiles" },
    };
}
