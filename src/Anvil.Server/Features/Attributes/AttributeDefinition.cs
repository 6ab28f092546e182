using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Attributes;

/// <summary>
/// One attribute of the library. <see cref="Data"/> holds the definition in AYON's camelCase keys
/// (type, title, default, gt, minLength, enum, inherit, ...), only the keys that are set.
/// </summary>
public sealed record AttributeDefinition
{
    public required string Name { get; init; }
    public int Position { get; init; }
    public string[] Scope { get; init; } = [];
    public bool Builtin { get; init; }
    public JsonObject Data { get; init; } = [];

    public string Type => Data["type"]?.GetValue<string>() ?? "string";

    /// <summary>Whether children inherit the value (AYON: every attribute unless <c>inherit: false</c>).</summary>
    public bool Inherit => Data["inherit"] is not JsonValue value || !value.TryGetValue<bool>(out var inherit) || inherit;

    public bool InScope(string scope) => Scope.Contains(scope, StringComparer.Ordinal);
}

/// <summary>An attribute as <c>GET /api/attributes</c> returns it: every data key present, null when unset.</summary>
public sealed record AttributeModel
{
    public required string Name { get; init; }
    public required int Position { get; init; }
    public required string[] Scope { get; init; }
    public required bool Builtin { get; init; }
    public required JsonObject Data { get; init; }

    public static AttributeModel From(AttributeDefinition definition)
    {
        var data = new JsonObject();
        foreach (var key in AttributeLibrary.DataKeys)
            data[key] = definition.Data[key]?.DeepClone();
        data["inherit"] = definition.Inherit;
        foreach (var (key, value) in definition.Data)
            if (!data.ContainsKey(key))
                data[key] = value?.DeepClone();
        return new AttributeModel { Name = definition.Name, Position = definition.Position, Scope = definition.Scope, Builtin = definition.Builtin, Data = data };
    }
}

/// <summary>Body of <c>GET /api/attributes</c>.</summary>
public sealed record AttributeListResponse(IReadOnlyList<AttributeModel> Attributes);
