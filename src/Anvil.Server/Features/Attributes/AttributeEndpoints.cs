using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Attributes;

public static class AttributeEndpoints
{
    public static void MapAttributeEndpoints(this RouteGroupBuilder api)
    {
        var attributes = api.MapGroup("/attributes").WithTags("Attributes");
        attributes.MapGet("", ListAsync).WithName("get_attribute_list")
            .WithSummary("The attribute library: every attribute with its scopes and definition.");
        attributes.MapPut("", ReplaceAsync).WithName("set_attribute_list")
            .WithSummary("Upserts the given attributes; with deleteMissing, deletes the non-built-in ones not given. Takes effect at once on every instance.");
        attributes.MapGet("/{name}", GetAsync).WithName("get_attribute_config");
        attributes.MapPut("/{name}", SetAsync).WithName("set_attribute_config")
            .WithSummary("Creates or replaces one attribute. Takes effect at once on every instance.");
        attributes.MapPatch("/{name}", PatchAsync).WithName("patch_attribute_config")
            .WithSummary("Changes parts of one attribute: given scope/position replace, given data keys merge (null removes).");
        attributes.MapDelete("/{name}", DeleteAsync).WithName("delete_attribute")
            .WithSummary("Deletes a custom attribute (built-in ones cannot be deleted).");
    }

    static async Task<AttributeListResponse> ListAsync(AttributeLibrary library, CurrentUser user, CancellationToken cancellationToken) =>
        new([.. (await library.AllAsync(cancellationToken)).Select(AttributeModel.From)]);

    static async Task<AttributeModel> GetAsync(string name, AttributeLibrary library, CurrentUser user, CancellationToken cancellationToken) =>
        AttributeModel.From((await library.AllAsync(cancellationToken)).FirstOrDefault(a => a.Name == name)
            ?? throw new NotFound($"Attribute {name} not found"));

    static async Task<IResult> ReplaceAsync(JsonObject body, AttributeLibrary library, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change the attribute library");
        if (body["attributes"] is not JsonArray items)
            throw BadRequest.Field("attributes", "a list of attributes is required");
        var current = await library.AllAsync(cancellationToken);
        var parsed = new List<AttributeDefinition>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item || item["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name))
                throw BadRequest.Field($"attributes.{i}.name", "every attribute needs a name");
            if (parsed.Any(p => p.Name == name))
                throw BadRequest.Field($"attributes.{i}.name", $"'{name}' is listed twice");
            parsed.Add(library.Parse(name, item, $"attributes.{i}", current));
        }
        var deleteMissing = (body["deleteMissing"] ?? body["delete_missing"]) is JsonValue flag && flag.TryGetValue<bool>(out var delete) && delete;
        await library.ReplaceAsync(parsed, deleteMissing, user.Name, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> SetAsync(string name, JsonObject body, AttributeLibrary library, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change the attribute library");
        var definition = library.Parse(name, body, "", await library.AllAsync(cancellationToken));
        await library.SetAsync(definition, user.Name, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> PatchAsync(string name, JsonObject body, AttributeLibrary library, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change the attribute library");
        var current = await library.AllAsync(cancellationToken);
        var existing = current.FirstOrDefault(a => a.Name == name) ?? throw new NotFound($"Attribute {name} not found");
        var data = body["data"] is JsonObject patch ? AyonJson.MergeOneLevel(existing.Data, patch) : (JsonObject)existing.Data.DeepClone();
        var merged = new JsonObject
        {
            ["position"] = body["position"]?.DeepClone() ?? existing.Position,
            ["scope"] = body["scope"]?.DeepClone() ?? new JsonArray([.. existing.Scope.Select(s => JsonValue.Create(s))]),
            ["data"] = data,
        };
        await library.SetAsync(library.Parse(name, merged, "", current), user.Name, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string name, AttributeLibrary library, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change the attribute library");
        await library.DeleteAsync(name, user.Name, cancellationToken);
        return Results.NoContent();
    }
}
