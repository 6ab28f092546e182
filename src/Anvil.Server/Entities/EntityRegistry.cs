using System.Reflection;
using Anvil.Server.Hosting;

namespace Anvil.Server.Entities;

/// <summary>
/// The one list of project entity types. Each type is a static class
/// (<c>Features/&lt;Type&gt;s/&lt;Type&gt;Entity.cs</c>) with a <c>public static EntityDefinition Definition</c>;
/// this list says which types exist and in what order they are shown. Found by reflection, so that
/// <c>Entities/</c> does not depend on the feature folders that depend on it.
/// </summary>
public static class EntityRegistry
{
    /// <summary>The entity types, in AYON's order. A new type adds its name here and its definition file.</summary>
    static readonly string[] Order = ["folder", "task", "product", "version", "representation", "workfile"];

    public static IReadOnlyList<EntityDefinition> All { get; } = Discover();

    public static EntityDefinition Get(string entityType) =>
        All.FirstOrDefault(d => d.Type == entityType)
        ?? throw BadRequest.Field("entityType", $"'{entityType}' is not an entity type ({string.Join(", ", All.Select(d => d.Type))})");

    static EntityDefinition[] Discover()
    {
        var found = typeof(EntityRegistry).Assembly.GetTypes()
            .Select(t => t.GetProperty("Definition", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p is not null && p.PropertyType == typeof(EntityDefinition))
            .Select(p => (EntityDefinition)p!.GetValue(null)!)
            .ToDictionary(d => d.Type);
        var unlisted = found.Keys.Except(Order).ToList();
        var missing = Order.Except(found.Keys).ToList();
        if (unlisted.Count > 0 || missing.Count > 0)
            throw new InvalidOperationException(
                $"The entity registry and the definitions disagree: unlisted {string.Join(", ", unlisted)}; without a definition {string.Join(", ", missing)}");
        return [.. Order.Select(type => found[type])];
    }
}
