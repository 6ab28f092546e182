using Anvil.Server.Features.Auth;

namespace Anvil.Server.Features.Auth;

/// <summary>A row of <c>api_keys</c> without its hash: what the server knows of a personal or service key.</summary>
public sealed record ApiKeyRecord
{
    public Guid Id { get; init; }
    public string? Label { get; init; }
    public string Preview { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>The projects the key is limited to; null: all the user may access.</summary>
    public string[]? Projects { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>Requests allowed per rate window, 0 unlimited; null: the server's default.</summary>
    public int? RateLimit { get; init; }

    public TokenScope Scope => new(Projects, ReadOnly);

    /// <summary>The columns of this record, for <c>SELECT</c> and <c>RETURNING</c> lists.</summary>
    public const string Columns = "id, label, preview, created_at, expires_at, last_used_at, projects, read_only, rate_limit";
}
