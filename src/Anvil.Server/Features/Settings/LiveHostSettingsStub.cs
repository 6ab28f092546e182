// TEMPORARY STUB of the lead's AddonLiveHost additions (settings-contract.md); deleted when main has them.
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Addons;

public sealed class SettingsInvalid(string message, IReadOnlyList<ValidationIssue> errors) : AddonHostException(message)
{
    public IReadOnlyList<ValidationIssue> Errors { get; } = errors;
}

public static class AddonLiveHostSettingsStub
{
    public static Task<JsonObject> ValidateSettingsAsync(this AddonLiveHost host, string addonName, string addonVersion, string model, JsonObject settings,
        CancellationToken ct) => Task.FromResult((JsonObject)settings.DeepClone());

    public static Task<JsonObject> ConvertOverridesAsync(this AddonLiveHost host, string addonName, string addonVersion, string sourceVersion,
        JsonObject overrides, CancellationToken ct) => Task.FromResult((JsonObject)overrides.DeepClone());
}
