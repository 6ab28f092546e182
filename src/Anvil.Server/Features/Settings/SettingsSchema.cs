using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Anatomy;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Projects;
using Anvil.Server.Features.Services;

namespace Anvil.Server.Features.Settings;

/// <summary>
/// The settings editor's schema: the exported JSON schema with the enums the export could not bake filled
/// in for the request's context. Server enums (<c>anvilEnum.kind = server</c>) come from Anvil's own data —
/// the project's anatomy, or the primary preset without a project; context enums go to the addon's own
/// resolver in the live host, and a failure leaves the field free with a placeholder saying why.
/// </summary>
public sealed class SettingsSchema(SettingsStore store, AddonLiveHost host, AnatomyPresets presets, ProjectStore projects, SecretStore secrets,
    ILogger<SettingsSchema> logger)
{
    public async Task<JsonObject> BuildAsync(AddonSettingsInfo addon, JsonObject exported, string variant, string? project, string? site,
        CurrentUser user, CancellationToken cancellationToken)
    {
        var schema = (JsonObject)exported.DeepClone();
        var fields = new List<JsonObject>();
        Collect(schema, fields);
        if (fields.Count == 0)
            return schema;
        JsonObject? anatomy = null;
        JsonObject? context = null;
        foreach (var field in fields)
        {
            var tag = field["anvilEnum"]!;
            var kind = tag["kind"]?.ToString();
            var resolver = tag["resolver"]?.ToString() ?? "";
            anatomy ??= project is null
                ? await presets.GetAsync("__primary__", cancellationToken) ?? []
                : await projects.GetAnatomyAsync(project, user, cancellationToken);
            if (kind == "server")
            {
                var (values, labels) = await ServerEnumAsync(resolver, anatomy, cancellationToken);
                SetEnum(field, values, labels);
                continue;
            }
            context ??= new JsonObject
            {
                ["projectName"] = project,
                ["settingsVariant"] = variant,
                ["siteId"] = site,
                ["userName"] = user.Name,
                ["studioSettings"] = addon.HasSettings ? await store.StudioAsync(addon, variant, cancellationToken) : null,
                ["projectSettings"] = addon.HasSettings && project is not null ? await store.ProjectSettingsAsync(addon, variant, project, cancellationToken) : null,
                ["anatomy"] = anatomy.DeepClone(),
                ["secretNames"] = new JsonArray([.. (await secrets.NamesAsync(cancellationToken)).Select(n => (JsonNode?)n)]),
            };
            try
            {
                var result = await host.ResolveEnumAsync(addon.Name, addon.Version, resolver, context, cancellationToken);
                var values = result["enum"] as JsonArray ?? [];
                var labels = result["enumLabels"] as JsonObject ?? [];
                SetEnum(field, [.. values.Select(v => v?.DeepClone())], labels);
            }
            catch (AddonHostException e)
            {
                logger.LogInformation("Context enum {Resolver} of {Addon} {Version} not resolved: {Message}", resolver, addon.Name, addon.Version, e.Message);
                field["placeholder"] = $"The choices could not be listed ({e.Message})";
            }
        }
        return schema;
    }

    static void Collect(JsonNode? node, List<JsonObject> found)
    {
        if (node is JsonObject o)
        {
            if (o["anvilEnum"] is JsonObject)
                found.Add(o);
            foreach (var (_, child) in o)
                Collect(child, found);
        }
        else if (node is JsonArray a)
            foreach (var child in a)
                Collect(child, found);
    }

    static void SetEnum(JsonObject field, IReadOnlyList<JsonNode?> values, JsonObject labels)
    {
        if (field["type"]?.ToString() == "array")
        {
            var items = field["items"] as JsonObject ?? [];
            items["enum"] = new JsonArray([.. values]);
            field["items"] = items;
            field["uniqueItems"] = true;
        }
        else
            field["enum"] = new JsonArray([.. values]);
        field["enumLabels"] = labels.DeepClone();
    }

    async Task<(List<JsonNode?> Values, JsonObject Labels)> ServerEnumAsync(string resolver, JsonObject anatomy, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        if (resolver is "task_types" or "folder_types")
            names.AddRange((anatomy[resolver] as JsonArray ?? []).Select(t => t?["name"]?.ToString()).OfType<string>());
        else if (resolver == "link_types")
            names.AddRange((anatomy["link_types"] as JsonArray ?? []).Select(t =>
                t is null ? null : $"{t["link_type"]}|{t["input_type"]}|{t["output_type"]}").OfType<string>());
        else if (resolver.StartsWith("anatomy_template_items:", StringComparison.Ordinal))
            names.AddRange((anatomy["templates"]?[resolver["anatomy_template_items:".Length..]] as JsonArray ?? [])
                .Select(t => t?["name"]?.ToString()).OfType<string>());
        else if (resolver == "anatomy_presets")
            names.AddRange((await presets.ListAsync(cancellationToken)).Presets.Select(p => p.Name));
        else if (resolver == "secrets")
            names.AddRange(await secrets.NamesAsync(cancellationToken));
        var labels = new JsonObject();
        foreach (var name in names)
            labels[name] = name;
        return ([.. names.Select(n => (JsonNode?)n)], labels);
    }
}
