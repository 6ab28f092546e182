namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Builds entities through the REST API, creating the parents each type needs.</summary>
public sealed class EntityBuilder(Api api, string project)
{
    public string Project { get; } = project;

    public static string NewId() => Guid.NewGuid().ToString("N");

    public async Task<string> CreateAsync(string plural, object body)
    {
        var created = await api.PostAsync($"/api/projects/{Project}/{plural}", body, expect: 201);
        return created["id"]!.GetValue<string>();
    }

    public Task<string> FolderAsync(string? parentId = null, string? name = null, string folderType = "Asset", object? attrib = null) =>
        CreateAsync("folders", new { name = name ?? Unique.Name("f"), folderType, parentId, attrib = attrib ?? new { } });

    public async Task<string> TaskAsync(string? folderId = null, string? name = null) =>
        await CreateAsync("tasks", new { name = name ?? Unique.Name("t"), taskType = "Animation", folderId = folderId ?? await FolderAsync() });

    public async Task<string> ProductAsync(string? folderId = null, string? name = null) =>
        await CreateAsync("products", new { name = name ?? Unique.Name("p"), productType = "model", folderId = folderId ?? await FolderAsync() });

    public async Task<string> VersionAsync(string? productId = null, int version = 1) =>
        await CreateAsync("versions", new { version, productId = productId ?? await ProductAsync() });

    public async Task<string> RepresentationAsync(string? versionId = null, string? name = null) =>
        await CreateAsync("representations", new { name = name ?? Unique.Name("r"), versionId = versionId ?? await VersionAsync() });

    public async Task<string> WorkfileAsync(string? taskId = null) =>
        await CreateAsync("workfiles", new { path = $"/work/{Unique.Name("w")}.ma", taskId = taskId ?? await TaskAsync() });

    /// <summary>The body that creates one entity of the type, with its parents made first.</summary>
    public async Task<Dictionary<string, object?>> CreateBodyAsync(string entityType) => entityType switch
    {
        "folder" => new() { ["name"] = Unique.Name("f"), ["folderType"] = "Shot" },
        "task" => new() { ["name"] = Unique.Name("t"), ["taskType"] = "Animation", ["folderId"] = await FolderAsync() },
        "product" => new() { ["name"] = Unique.Name("p"), ["productType"] = "render", ["folderId"] = await FolderAsync() },
        "version" => new() { ["version"] = 1, ["productId"] = await ProductAsync() },
        "representation" => new() { ["name"] = Unique.Name("r"), ["versionId"] = await VersionAsync() },
        "workfile" => new() { ["path"] = $"/work/{Unique.Name("w")}.ma", ["taskId"] = await TaskAsync() },
        _ => throw new ArgumentOutOfRangeException(nameof(entityType)),
    };
}
