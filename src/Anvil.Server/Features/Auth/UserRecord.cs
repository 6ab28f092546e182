using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Auth;

/// <summary>A row of <c>users</c>. The password hash stays on the server: <see cref="UserModel"/> is what leaves it.</summary>
public sealed record UserRecord
{
    public string Name { get; init; } = "";
    public JsonObject Attrib { get; init; } = [];
    public JsonObject Data { get; init; } = [];
    public bool Active { get; init; } = true;
    public string? PasswordHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public bool IsAdmin => Flag("isAdmin");
    public bool IsManager => Flag("isManager");
    public bool IsService => Flag("isService");
    public bool IsGuest => Flag("isGuest");

    /// <summary>AYON's user level, from most to least powerful.</summary>
    public string Level => IsAdmin ? "admin" : IsService ? "service" : IsManager ? "manager" : IsGuest ? "guest" : "user";

    bool Flag(string key) => Data[key] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}
