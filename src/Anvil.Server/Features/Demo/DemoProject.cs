using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Entities.Operations;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Links;
using Anvil.Server.Features.Projects;
using Anvil.Server.Features.Thumbnails;
using Anvil.Server.Features.Users;
using Dapper;

namespace Anvil.Server.Features.Demo;

/// <summary>
/// A small project a newcomer sees on first start: two sequences of shots and a few assets, with
/// tasks, products, versions, representations, thumbnails and links. Made through the same write
/// path as every client (project deploy, the operations pipeline, the thumbnail and link stores),
/// never by SQL, so it is valid data by construction.
/// </summary>
public sealed class DemoProject(Db db, ProjectStore projects, OperationsPipeline pipeline, UserStore users, ProjectContexts contexts, ILogger<DemoProject> logger)
{
    public const string Name = "demo_Anvil";

    /// <summary>Creates the project unless it exists; answers whether it did.</summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken = default)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT FROM projects WHERE lower(name) = lower(@Name))", new { Name }, cancellationToken: cancellationToken)))
                return false;

        var admin = await users.GetAsync(UserSetup.AdminName, cancellationToken) ?? throw new InvalidOperationException("Run setup before creating the demo project");
        var actor = new CurrentUser(admin, CredentialKind.Session, null);
        await projects.DeployAsync(new JsonObject { ["name"] = Name, ["code"] = "demo", ["label"] = "Anvil demo" }, actor, cancellationToken);

        var thumbnails = new List<Guid>();
        await using (var session = await ProjectSession.OpenAsync(db, contexts, Name, actor, cancellationToken))
        {
            for (var i = 0; i < 6; i++)
            {
                thumbnails.Add(Guid.CreateVersion7());
                await ThumbnailEndpoints.SaveAsync(session, thumbnails[^1], DemoImages.Gradient(160, 90, i), admin.Name, cancellationToken);
            }
            await session.CommitAsync(cancellationToken);
        }

        var plan = new Plan(thumbnails);
        var result = await pipeline.RunAsync(Name, new Writer(actor, "anvil-demo", "demo"), plan.Operations, canFail: false, cancellationToken);
        if (!result.Success)
            throw new InvalidOperationException($"The demo project could not be filled: {result.Operations[^1].Detail}");

        await using (var session = await ProjectSession.OpenAsync(db, contexts, Name, actor, cancellationToken))
        {
            foreach (var (input, output, type) in plan.Links)
                await LinkEndpoints.InsertAsync(session, new LinkRequest { Input = input, Output = output, LinkType = type }, "", admin.Name, cancellationToken);
            await session.CommitAsync(cancellationToken);
        }
        logger.LogInformation("Created the demo project {Project}: {Count} entities", Name, plan.Operations.Count);
        return true;
    }

    /// <summary>The entities of the demo, as one batch of create operations.</summary>
    sealed class Plan
    {
        public List<OperationRequest> Operations { get; } = [];
        public List<(string Input, string Output, string Type)> Links { get; } = [];
        readonly List<Guid> _thumbnails;
        int _nextThumbnail;

        public Plan(List<Guid> thumbnails)
        {
            _thumbnails = thumbnails;
            var assetsRoot = Folder(null, "assets", "Folder");
            var assets = new Dictionary<string, string>();
            foreach (var (category, names) in new[] { ("characters", new[] { "hero", "villain" }), ("props", new[] { "lamp", "sword" }) })
            {
                var folder = Folder(assetsRoot, category, "Folder");
                foreach (var name in names)
                {
                    var asset = Folder(folder, name, "Asset");
                    assets[name] = asset;
                    foreach (var task in new[] { ("modeling", "Modeling"), ("rigging", "Rigging"), ("lookdev", "Lookdev") })
                        Task(asset, task.Item1, task.Item2);
                    Publish(asset, "modelMain", "model", ["abc", "usd"], withHero: true);
                }
            }
            var first = true;
            string? previousRender = null;
            foreach (var sequence in new[] { "sq010", "sq020" })
            {
                var seq = Folder(null, sequence, "Sequence", new JsonObject { ["fps"] = 24.0 });
                for (var n = 1; n <= 3; n++)
                {
                    var shot = Folder(seq, $"sh{n * 10:000}", "Shot", new JsonObject { ["frameStart"] = 1001, ["frameEnd"] = 1001 + 24 * (n + 2) });
                    string? comp = null;
                    foreach (var task in new[] { ("layout", "Layout"), ("animation", "Animation"), ("lighting", "Lighting"), ("compositing", "Compositing") })
                    {
                        var id = Task(shot, task.Item1, task.Item2);
                        comp = task.Item1 == "compositing" ? id : comp;
                    }
                    var render = Publish(shot, "renderCompositingMain", "render", ["exr", "mov"], withHero: false, taskId: comp);
                    Publish(shot, "plateMain", "plate", ["exr"], withHero: false);
                    Links.Add((shot, assets[first ? "hero" : "lamp"], "breakdown|folder|folder"));
                    Links.Add((shot, assets["sword"], "breakdown|folder|folder"));
                    if (previousRender is not null)
                        Links.Add((render, previousRender, "reference|version|version"));
                    previousRender = render;
                    first = false;
                }
            }
        }

        string Create(string entityType, JsonObject data)
        {
            var id = Guid.CreateVersion7().ToString("N");
            Operations.Add(new OperationRequest { Id = $"demo-{Operations.Count}", Type = "create", EntityType = entityType, EntityId = id, Data = data });
            return id;
        }

        string Folder(string? parentId, string name, string folderType, JsonObject? attrib = null) =>
            Create("folder", new JsonObject { ["name"] = name, ["folderType"] = folderType, ["parentId"] = parentId, ["attrib"] = attrib ?? [] });

        string Task(string folderId, string name, string taskType) =>
            Create("task", new JsonObject { ["name"] = name, ["taskType"] = taskType, ["folderId"] = folderId, ["assignees"] = new JsonArray("admin") });

        /// <summary>A product with two versions (and a hero for assets), each with its representations and files; returns the last version.</summary>
        string Publish(string folderId, string name, string productType, string[] formats, bool withHero, string? taskId = null)
        {
            var product = Create("product", new JsonObject { ["name"] = name, ["productType"] = productType, ["folderId"] = folderId });
            var last = "";
            foreach (var number in withHero ? new[] { 1, 2, -2 } : [1, 2])
            {
                var version = Create("version", new JsonObject
                {
                    ["version"] = number,
                    ["productId"] = product,
                    ["taskId"] = taskId,
                    ["thumbnailId"] = _thumbnails[_nextThumbnail++ % _thumbnails.Count].ToString("N"),
                    ["attrib"] = new JsonObject { ["comment"] = number < 0 ? "hero" : $"publish {number}", ["colorSpace"] = "ACEScg" },
                    ["data"] = new JsonObject { ["source"] = "anvil-demo" },
                });
                foreach (var format in formats)
                {
                    var label = number < 0 ? "hero" : $"v{number:000}";
                    var path = $"{{root[work]}}/demo_Anvil/{name}/{label}/{name}_{label}.{(format == "exr" ? "####." : "")}{format}";
                    Create("representation", new JsonObject
                    {
                        ["name"] = format,
                        ["versionId"] = version,
                        ["files"] = new JsonArray(new JsonObject
                        {
                            ["id"] = Guid.CreateVersion7().ToString("N"),
                            ["name"] = path[(path.LastIndexOf('/') + 1)..],
                            ["path"] = path,
                            ["size"] = 1_048_576,
                            ["hashType"] = "md5",
                        }),
                        ["attrib"] = new JsonObject { ["path"] = path, ["template"] = "{root[work]}/{project[name]}/{product[name]}/{version}" },
                        ["data"] = new JsonObject { ["context"] = new JsonObject { ["representation"] = format, ["product"] = new JsonObject { ["name"] = name } } },
                    });
                }
                last = version;
            }
            return last;
        }
    }
}
