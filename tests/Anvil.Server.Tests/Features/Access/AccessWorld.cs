using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Access;

/// <summary>One entity of each type in a folder.</summary>
public sealed record EntitySet(string Folder, string Task, string Product, string Version, string Representation, string Workfile)
{
    public string Of(string type) => type switch
    {
        "folder" => Folder,
        "task" => Task,
        "product" => Product,
        "version" => Version,
        "representation" => Representation,
        "workfile" => Workfile,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}

/// <summary>
/// A project with two branches — /assets/chars/hero, which the "chars" artist may work in, and
/// /shots/sh010, which they may not see — each holding one entity of every type; a second project
/// only the outsider holds a group on; and one user per role.
/// </summary>
public sealed class AccessWorld : AnvilApp
{
    public string Project { get; private set; } = "";
    public string OtherProject { get; private set; } = "";
    public string Assets { get; private set; } = "";
    public EntitySet Hero { get; private set; } = null!;
    public EntitySet Shot { get; private set; } = null!;

    /// <summary>May read and change everything under /assets/chars only.</summary>
    public Api CharsArtist { get; private set; } = null!;

    /// <summary>May read the whole project and change nothing.</summary>
    public Api Viewer { get; private set; } = null!;

    /// <summary>Holds a group on the other project only.</summary>
    public Api Outsider { get; private set; } = null!;

    public Api Manager { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var service = Service();
        Project = await TestProjects.CreateAsync(this);
        OtherProject = await TestProjects.CreateAsync(this);
        var build = new EntityBuilder(service, Project);
        Assets = await build.FolderAsync(name: "assets", folderType: "Folder");
        var chars = await build.FolderAsync(Assets, "chars", "Folder");
        Hero = await FillAsync(build, await build.FolderAsync(chars, "hero"));
        var shots = await build.FolderAsync(name: "shots", folderType: "Folder");
        Shot = await FillAsync(build, await build.FolderAsync(shots, "sh010", "Shot"));

        var charsGroup = Unique.Name("chars");
        var viewerGroup = Unique.Name("viewer");
        var inChars = new JsonObject { ["enabled"] = true, ["access_list"] = new JsonArray(new JsonObject { ["access_type"] = "hierarchy", ["path"] = "/assets/chars" }) };
        var nowhere = new JsonObject { ["enabled"] = true, ["access_list"] = new JsonArray() };
        await service.PutAsync($"/api/accessGroups/{charsGroup}/_", new JsonObject
        {
            ["read"] = inChars.DeepClone(),
            ["create"] = inChars.DeepClone(),
            ["update"] = inChars.DeepClone(),
            ["publish"] = inChars.DeepClone(),
            ["delete"] = inChars.DeepClone(),
        }, expect: 204);
        await service.PutAsync($"/api/accessGroups/{viewerGroup}/_", new JsonObject
        {
            ["create"] = nowhere.DeepClone(),
            ["update"] = nowhere.DeepClone(),
            ["publish"] = nowhere.DeepClone(),
            ["delete"] = nowhere.DeepClone(),
        }, expect: 204);

        CharsArtist = await this.ArtistAsync(Groups(Project, charsGroup));
        Viewer = await this.ArtistAsync(Groups(Project, viewerGroup));
        Outsider = await this.ArtistAsync(Groups(OtherProject, viewerGroup));
        Manager = await this.ArtistAsync(new JsonObject { ["isManager"] = true });
    }

    public static JsonObject Groups(string project, params string[] groups) =>
        new() { ["accessGroups"] = new JsonObject { [project] = new JsonArray([.. groups.Select(g => (JsonNode?)g)]) } };

    static async Task<EntitySet> FillAsync(EntityBuilder build, string folder)
    {
        var task = await build.TaskAsync(folder);
        var product = await build.ProductAsync(folder);
        var version = await build.VersionAsync(product);
        return new EntitySet(folder, task, product, version, await build.RepresentationAsync(version), await build.WorkfileAsync(task));
    }
}
