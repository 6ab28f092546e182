using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Anatomy;

/// <summary>One entry of <c>GET /api/anatomy/presets</c>.</summary>
public sealed record AnatomyPresetListItem(string Name, string Title, bool Primary, string Version);

public sealed record AnatomyPresetList(string Version, IReadOnlyList<AnatomyPresetListItem> Presets);

/// <summary>
/// Stored anatomy presets. AYON's special names: <c>_</c> and <c>__builtin__</c> are the built-in
/// anatomy, <c>__primary__</c> the primary preset (or the built-in one when none is primary).
/// </summary>
public sealed class AnatomyPresets(Db db)
{
    public const string Version = "1.0.0";
    static readonly string[] BuiltinNames = ["_", "__builtin__"];
    const string PrimaryName = "__primary__";

    public static bool IsReserved(string name) => BuiltinNames.Contains(name) || name == PrimaryName;

    public async Task<AnatomyPresetList> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string Name, bool IsPrimary, string Version)>(new CommandDefinition(
            "SELECT name, is_primary, version FROM anatomy_presets ORDER BY name", cancellationToken: cancellationToken))).ToList();
        var presets = new List<AnatomyPresetListItem> { new("_", "<built-in>", !rows.Any(r => r.IsPrimary), Version) };
        presets.AddRange(rows.Select(r => new AnatomyPresetListItem(r.Name, r.Name, r.IsPrimary, r.Version)));
        return new AnatomyPresetList(Version, presets);
    }

    /// <summary>The anatomy of a preset (special names resolved), or null when there is no such preset.</summary>
    public async Task<JsonObject?> GetAsync(string name, CancellationToken cancellationToken)
    {
        if (BuiltinNames.Contains(name))
            return Anatomy.Builtin();
        await using var connection = await db.OpenAsync(cancellationToken);
        var data = name == PrimaryName
            ? await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
                "SELECT data FROM anatomy_presets WHERE is_primary", cancellationToken: cancellationToken))
            : await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
                "SELECT data FROM anatomy_presets WHERE lower(name) = lower(@name)", new { name }, cancellationToken: cancellationToken));
        return data ?? (name == PrimaryName ? Anatomy.Builtin() : null);
    }

    public async Task SaveAsync(string name, JsonObject anatomy, CancellationToken cancellationToken)
    {
        if (IsReserved(name))
            throw BadRequest.Field("name", $"'{name}' is a reserved preset name");
        if (!Names.IsEntityName(name))
            throw BadRequest.Field("name", "a preset name is letters, digits, '_', '.' or '-'");
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO anatomy_presets (name, version, data) VALUES (@name, @version, @anatomy)
            ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, updated_at = now()
            """, new { name, version = Version, anatomy }, cancellationToken: cancellationToken));
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (IsReserved(name))
            throw BadRequest.Field("name", $"the preset '{name}' cannot be deleted");
        await using var connection = await db.OpenAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM anatomy_presets WHERE lower(name) = lower(@name)", new { name }, cancellationToken: cancellationToken));
        if (deleted == 0)
            throw new NotFound($"Anatomy preset {name} not found");
    }

    /// <summary>Makes the preset the primary one (or, with <paramref name="primary"/> false, un-marks it).</summary>
    public async Task SetPrimaryAsync(string name, bool primary, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (BuiltinNames.Contains(name))
        {
            // The built-in anatomy is primary exactly when no stored preset is.
            if (primary)
                await connection.ExecuteAsync(new CommandDefinition("UPDATE anatomy_presets SET is_primary = false WHERE is_primary", cancellationToken: cancellationToken));
        }
        else
        {
            if (primary)
                await connection.ExecuteAsync(new CommandDefinition("UPDATE anatomy_presets SET is_primary = false WHERE is_primary", cancellationToken: cancellationToken));
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE anatomy_presets SET is_primary = @primary WHERE lower(name) = lower(@name)", new { name, primary }, cancellationToken: cancellationToken));
            if (changed == 0)
                throw new NotFound($"Anatomy preset {name} not found");
        }
        await transaction.CommitAsync(cancellationToken);
    }
}
