using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Projects;

/// <summary>A row of <c>projects</c>.</summary>
public sealed record ProjectRow
{
    public string Name { get; init; } = "";
    public string Code { get; init; } = "";
    public string? Label { get; init; }
    public bool Library { get; init; }
    public bool Active { get; init; } = true;
    public JsonObject Config { get; init; } = [];
    public JsonObject Attrib { get; init; } = [];
    public JsonObject Data { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A project as <c>GET /api/projects/{name}</c> returns it (AYON's full project model).</summary>
public sealed record ProjectModel
{
    public required string Name { get; init; }
    public required string Code { get; init; }
    public string? Label { get; init; }
    public required bool Library { get; init; }
    public required bool Active { get; init; }
    public required JsonArray FolderTypes { get; init; }
    public required JsonArray TaskTypes { get; init; }
    public required JsonArray LinkTypes { get; init; }
    public required JsonArray Statuses { get; init; }
    public required JsonArray Tags { get; init; }
    public required JsonObject Config { get; init; }

    /// <summary>Project attributes: the library's project defaults, overlaid with the project's own values.</summary>
    public required JsonObject Attrib { get; init; }

    /// <summary>The attributes the project sets itself.</summary>
    public required string[] OwnAttrib { get; init; }

    public required JsonObject Data { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One project of <c>GET /api/projects</c>.</summary>
public sealed record ProjectListItem
{
    public required string Name { get; init; }
    public required string Code { get; init; }
    public string? Label { get; init; }
    public string? Color { get; init; }
    public required bool Active { get; init; }
    public required bool Library { get; init; }
    public bool Skeleton { get; init; }
    public bool Pinned { get; init; }
    public string? ProjectFolder { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

public sealed record ProjectListResponse(string Detail, int Count, IReadOnlyList<ProjectListItem> Projects);
