using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;

namespace Anvil.Server.Features.Settings;

/// <summary>
/// Moves overrides from one bundle's addon versions and variant to another's: the same version is copied,
/// another version goes through the target version's own <c>convert_settings_overrides</c> in the addon
/// host, and every result is validated by the target's model before anything is stored (all in one
/// transaction). <c>POST /api/migrateSettingsByBundle</c> calls it; a bundle's addon-version change can too.
/// </summary>
public sealed class SettingsMigration(SettingsStore store, AddonLiveHost host, EventStore events) : IBundleObserver
{
    public sealed record Request(string SourceBundle, string TargetBundle, string? SourceVariant, string? TargetVariant, bool WithProjects = false);

    /// <summary>Migrates; answers how many override rows were written. 400 naming the addon when a result is invalid, 503 when the host is unavailable.</summary>
    public async Task<int> MigrateAsync(JsonObject sourceAddons, JsonObject targetAddons, string sourceVariant, string targetVariant, bool withProjects,
        string userName, CancellationToken ct)
    {
        var (changes, migrated) = await PlanAsync(sourceAddons, targetAddons, sourceVariant, targetVariant, withProjects, false, ct);
        if (changes.Count == 0)
            return 0;
        await store.SaveAsync(changes, ct);
        await events.DispatchAsync(Event(sourceVariant, targetVariant, changes.Count, migrated, userName), ct);
        return changes.Count;
    }

    /// <summary>
    /// A flagged bundle (production, staging, dev) moved addons to other versions: the overrides of its variant
    /// follow, converted, into versions that have none of their own yet — in the bundle write's transaction.
    /// </summary>
    public async Task AddonVersionsChangedAsync(Npgsql.NpgsqlConnection connection, BundleRecord before, BundleRecord after, CancellationToken ct)
    {
        var variant = after.IsProduction ? "production" : after.IsStaging ? "staging" : after.IsDev ? after.Name : null;
        if (variant is null)
            return;
        var (changes, migrated) = await PlanAsync(before.Addons, after.Addons, variant, variant, true, true, ct);
        if (changes.Count == 0)
            return;
        await SettingsStore.WriteAsync(connection, changes, ct);
        await events.DispatchAsync(connection, Event(variant, variant, changes.Count, migrated, null), ct);
    }

    static NewEvent Event(string sourceVariant, string targetVariant, int count, JsonArray migrated, string? userName) => new()
    {
        Topic = SettingsEndpoints.Topic,
        User = userName,
        Description = $"Settings migrated from {sourceVariant} to {targetVariant} ({count} overrides)",
        Summary = new JsonObject { ["sourceVariant"] = sourceVariant, ["targetVariant"] = targetVariant, ["addons"] = migrated },
    };

    async Task<(List<(SettingsScope, JsonObject?)> Changes, JsonArray Migrated)> PlanAsync(JsonObject sourceAddons, JsonObject targetAddons,
        string sourceVariant, string targetVariant, bool withProjects, bool keepExisting, CancellationToken ct)
    {
        var changes = new List<(SettingsScope, JsonObject?)>();
        var migrated = new JsonArray();
        foreach (var (name, target) in targetAddons)
        {
            if (target?.GetValueKind() != JsonValueKind.String || sourceAddons[name]?.GetValueKind() != JsonValueKind.String)
                continue;
            var (sourceVersion, targetVersion) = (sourceAddons[name]!.GetValue<string>(), target.GetValue<string>());
            if (sourceVersion == targetVersion && sourceVariant == targetVariant)
                continue;
            var info = await store.AddonAsync(name, targetVersion, ct);
            if (info is not { IsBroken: false, HasSettings: true })
                continue;
            var studioScope = new SettingsScope(SettingsLevel.Studio, name, targetVersion, targetVariant);
            if (keepExisting && await store.OverridesAsync(studioScope, ct) is { Count: > 0 })
                continue;
            if (await store.OverridesAsync(new SettingsScope(SettingsLevel.Studio, name, sourceVersion, sourceVariant), ct) is { Count: > 0 } studio)
                changes.Add((studioScope, await ConvertAsync(info, sourceVersion, studio, ct)));
            if (withProjects)
            {
                foreach (var (project, data) in await store.ProjectRowsAsync(name, sourceVersion, sourceVariant, ct))
                    changes.Add((new SettingsScope(SettingsLevel.Project, name, targetVersion, targetVariant, project),
                        await ConvertAsync(info, sourceVersion, data, ct)));
                if (sourceVersion != targetVersion && !keepExisting)
                    foreach (var (project, site, user, data) in await store.ProjectSiteRowsAsync(name, sourceVersion, ct))
                        changes.Add((new SettingsScope(SettingsLevel.ProjectSite, name, targetVersion, "production", project, site, user),
                            await ConvertAsync(info, sourceVersion, data, ct)));
            }
            migrated.Add(new JsonObject { ["addonName"] = name, ["sourceVersion"] = sourceVersion, ["targetVersion"] = targetVersion });
        }
        return (changes, migrated);
    }

    async Task<JsonObject> ConvertAsync(AddonSettingsInfo target, string sourceVersion, JsonObject overrides, CancellationToken ct)
    {
        try
        {
            var converted = sourceVersion == target.Version
                ? (JsonObject)overrides.DeepClone()
                : await host.ConvertOverridesAsync(target.Name, target.Version, sourceVersion, overrides, ct);
            await host.ValidateSettingsAsync(target.Name, target.Version, "settings",
                SettingsTree.Apply(target.Schema!, target.Schema!, target.Defaults!, converted), ct);
            return converted;
        }
        catch (SettingsInvalid e)
        {
            throw new BadRequest($"The overrides of {target.Name} {sourceVersion} do not fit {target.Version}: {e.Message}; nothing was migrated");
        }
        catch (AddonHostUnavailable e)
        {
            throw new ServiceUnavailable($"The overrides could not be converted, nothing was migrated: {e.Message}");
        }
    }

    /// <summary><c>POST /api/migrateSettingsByBundle</c> (admins).</summary>
    public static async Task<IResult> PostAsync(Request body, SettingsMigration migration, BundleStore bundles, CurrentUser user, HttpContext http)
    {
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may migrate settings");
        if (string.IsNullOrEmpty(body.SourceBundle))
            throw BadRequest.Field("sourceBundle", "field required", "value_error.missing");
        if (string.IsNullOrEmpty(body.TargetBundle))
            throw BadRequest.Field("targetBundle", "field required", "value_error.missing");
        var ct = http.RequestAborted;
        var source = await bundles.GetAsync(body.SourceBundle, ct) ?? throw new NotFound($"Bundle {body.SourceBundle} not found");
        var target = await bundles.GetAsync(body.TargetBundle, ct) ?? throw new NotFound($"Bundle {body.TargetBundle} not found");
        await migration.MigrateAsync(source.Addons, target.Addons, body.SourceVariant ?? "production", body.TargetVariant ?? "production",
            body.WithProjects, user.Name, ct);
        return Results.NoContent();
    }
}
