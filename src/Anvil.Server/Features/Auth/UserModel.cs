using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Auth;

/// <summary>A user as AYON returns it. Never carries a password hash or an API key (AYON leaks the hash; we don't).</summary>
public sealed record UserModel
{
    public required string Name { get; init; }
    public required bool Active { get; init; }
    public required JsonObject Attrib { get; init; }
    public required JsonObject Data { get; init; }
    public required string[] OwnAttrib { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Keys that hold credentials in AYON's user data; dropped even if a migrated row still has them.</summary>
    static readonly string[] SecretDataKeys = ["password", "hashedPassword", "apiKey", "apiKeys", "apiKeyPreview"];

    public static UserModel From(UserRecord user)
    {
        var data = (JsonObject)user.Data.DeepClone();
        foreach (var key in SecretDataKeys)
            data.Remove(key);
        foreach (var flag in new[] { "isAdmin", "isManager", "isService", "isGuest" })
            data[flag] = data[flag]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        data.TryAdd("accessGroups", new JsonObject());
        data.TryAdd("defaultAccessGroups", new JsonArray());
        data["userLevel"] = user.Level;
        return new UserModel
        {
            Name = user.Name,
            Active = user.Active,
            Attrib = (JsonObject)user.Attrib.DeepClone(),
            Data = data,
            OwnAttrib = [.. user.Attrib.Select(a => a.Key)],
            CreatedAt = user.CreatedAt,
            UpdatedAt = user.UpdatedAt,
        };
    }
}
