using System.Text.Json.Nodes;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Anatomy;

public static class AnatomyEndpoints
{
    public static void MapAnatomyEndpoints(this RouteGroupBuilder api)
    {
        var anatomy = api.MapGroup("/anatomy").WithTags("Anatomy");
        anatomy.MapGet("/schema", GetSchema).WithName("get_anatomy_schema")
            .WithSummary("JSON schema of the anatomy object (snake_case keys).");
        anatomy.MapGet("/presets", ListAsync).WithName("get_anatomy_presets");
        anatomy.MapGet("/presets/{name}", GetAsync).WithName("get_anatomy_preset")
            .WithSummary("A preset's anatomy; '_' or '__builtin__' is the built-in one, '__primary__' the primary one.");
        anatomy.MapPut("/presets/{name}", SaveAsync).WithName("update_anatomy_preset");
        anatomy.MapDelete("/presets/{name}", DeleteAsync).WithName("delete_anatomy_preset");
        anatomy.MapPost("/presets/{name}/primary", (string name, AnatomyPresets presets, CurrentUser user, CancellationToken ct) => SetPrimaryAsync(name, true, presets, user, ct))
            .WithName("set_primary_preset");
        anatomy.MapDelete("/presets/{name}/primary", (string name, AnatomyPresets presets, CurrentUser user, CancellationToken ct) => SetPrimaryAsync(name, false, presets, user, ct))
            .WithName("unset_primary_preset");
    }

    static JsonObject GetSchema(CurrentUser user) => AnatomySchema.Create();

    static Task<AnatomyPresetList> ListAsync(AnatomyPresets presets, CurrentUser user, CancellationToken cancellationToken) =>
        presets.ListAsync(cancellationToken);

    static async Task<JsonObject> GetAsync(string name, AnatomyPresets presets, CurrentUser user, CancellationToken cancellationToken) =>
        await presets.GetAsync(name, cancellationToken) ?? throw new NotFound($"Anatomy preset {name} not found");

    static async Task<IResult> SaveAsync(string name, JsonObject body, AnatomyPresets presets, AttributeLibrary attributes, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change anatomy presets");
        var data = Anatomy.Parse(body, "", await attributes.ForScopeAsync("project", cancellationToken));
        await presets.SaveAsync(name, Anatomy.ToJson(data), cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string name, AnatomyPresets presets, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change anatomy presets");
        await presets.DeleteAsync(name, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> SetPrimaryAsync(string name, bool primary, AnatomyPresets presets, CurrentUser user, CancellationToken cancellationToken)
    {
        user.RequireManager("change anatomy presets");
        await presets.SetPrimaryAsync(name, primary, cancellationToken);
        return Results.NoContent();
    }
}
