// TEMPORARY STUB of the contract's BundleStore (settings-contract.md); deleted when addons-bundles is merged.
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Dapper;

namespace Anvil.Server.Features.Bundles;

public sealed record BundleRecord(
    string Name, JsonObject Addons, string? InstallerVersion, JsonObject DependencyPackages,
    JsonObject AddonDevelopment, bool IsProduction, bool IsStaging, bool IsDev, bool IsProject,
    bool IsArchived, string? ActiveUser, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed class BundleStore(Db db)
{
    public const string CacheName = "bundles";

    public async ValueTask<BundleRecord?> GetAsync(string name, CancellationToken cancellationToken) =>
        (await ReadAsync("name = @name", name, cancellationToken)).FirstOrDefault();

    public async ValueTask<BundleRecord?> ForVariantAsync(string variant, CancellationToken cancellationToken) => variant switch
    {
        "production" => (await ReadAsync("is_production", null, cancellationToken)).FirstOrDefault(),
        "staging" => (await ReadAsync("is_staging", null, cancellationToken)).FirstOrDefault(),
        _ => (await ReadAsync("is_dev AND name = @name", variant, cancellationToken)).FirstOrDefault(),
    };

    public async ValueTask<IReadOnlyList<BundleRecord>> ListAsync(CancellationToken cancellationToken) =>
        await ReadAsync("true", null, cancellationToken);

    async Task<IReadOnlyList<BundleRecord>> ReadAsync(string where, string? name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT name, data, is_production, is_staging, is_dev, is_project, is_archived, active_user, created_at, updated_at FROM bundles WHERE {where}",
            new { name }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new BundleRecord(r.Name, r.Data["addons"] as JsonObject ?? [], r.Data["installerVersion"]?.ToString(),
            r.Data["dependencyPackages"] as JsonObject ?? [], r.Data["addonDevelopment"] as JsonObject ?? [], r.IsProduction, r.IsStaging,
            r.IsDev, r.IsProject, r.IsArchived, r.ActiveUser, r.CreatedAt, r.UpdatedAt))];
    }

    sealed record Row
    {
        public string Name { get; init; } = "";
        public JsonObject Data { get; init; } = [];
        public bool IsProduction { get; init; }
        public bool IsStaging { get; init; }
        public bool IsDev { get; init; }
        public bool IsProject { get; init; }
        public bool IsArchived { get; init; }
        public string? ActiveUser { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
    }
}
