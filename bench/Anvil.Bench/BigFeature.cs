using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>One entity to create: what the operations endpoint receives as <c>data</c>, with its id and parent.</summary>
public sealed record Entity(string Type, Guid Id, Guid? ParentId, JsonObject Data)
{
    /// <summary>Folders only: the path the server derives ("sq010/sh0010"), for the COPY floor which must write it itself.</summary>
    public string? Path { get; init; }
}

/// <summary>
/// The shape of ayon-docker's "big feature" demo: 160 assets in 3 categories and 2,000 shots in 20
/// sequences, 5 tasks each, 6 products per asset and 16 per shot, 3 versions per product and 3
/// representations per version with files, attributes and publish context. Everything — ids,
/// frame ranges, file sizes — follows from the seed, so two runs with one seed write the same rows.
/// </summary>
public sealed class BigFeature
{
    static readonly (string Name, string Prefix, int Count)[] AssetCategories = [("characters", "chr", 40), ("environments", "env", 20), ("props", "prp", 100)];
    public const int FullSequences = 20;
    const int ShotsPerSequence = 100;
    const int VersionsPerProduct = 3;

    static readonly (string Name, string Type)[] AssetTasks = [("modeling", "Modeling"), ("texture", "Texture"), ("lookdev", "Lookdev"), ("rigging", "Rigging"), ("setdress", "Setdress")];
    static readonly (string Name, string Type)[] ShotTasks = [("layout", "Layout"), ("animation", "Animation"), ("fx", "FX"), ("lighting", "Lighting"), ("compositing", "Compositing")];

    /// <summary>Products as (name, product type, the task that publishes it).</summary>
    static readonly (string Name, string Type, string Task)[] AssetProducts =
    [
        ("modelMain", "model", "modeling"), ("workfileModeling", "workfile", "modeling"), ("textureMain", "texture", "texture"),
        ("lookMain", "look", "lookdev"), ("rigMain", "rig", "rigging"), ("workfileRigging", "workfile", "rigging"),
    ];
    static readonly (string Name, string Type, string Task)[] ShotProducts =
    [
        ("workfileLayout", "workfile", "layout"), ("workfileAnimation", "workfile", "animation"), ("workfileFx", "workfile", "fx"),
        ("workfileLighting", "workfile", "lighting"), ("workfileCompositing", "workfile", "compositing"),
        ("cameraMain", "camera", "layout"), ("layoutMain", "layout", "layout"), ("animationMain", "animation", "animation"),
        ("pointcacheChar", "cache", "animation"), ("pointcacheProp", "cache", "animation"), ("vdbcacheFx", "vdbcache", "fx"),
        ("renderLightingMain", "render", "lighting"), ("renderLightingUtility", "render", "lighting"),
        ("renderCompositingMain", "render", "compositing"), ("reviewMain", "review", "compositing"), ("plateMain", "plate", "compositing"),
    ];

    /// <summary>The three representations of a product type; a leading '#' marks an image sequence.</summary>
    static string[] RepresentationsOf(string productType) => productType switch
    {
        "render" or "plate" => ["#exr", "mov", "jpg"],
        "review" => ["mov", "mp4", "jpg"],
        "vdbcache" => ["#vdb", "usd", "json"],
        "texture" => ["#tx", "png", "json"],
        "workfile" => ["ma", "json", "jpg"],
        _ => ["abc", "usd", "ma"],
    };

    /// <summary>Frames listed by an image sequence's <c>files</c> (a real shot lists ~100; kept short so the seed fits its time).</summary>
    const int SequenceFiles = 10;

    readonly Random _random;
    readonly string _project;
    readonly DateTimeOffset _start = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Parents before children: folders (each after its parent), then tasks, products, versions, representations.</summary>
    public List<Entity> Folders { get; } = [];
    public List<Entity> Tasks { get; } = [];
    public List<Entity> Products { get; } = [];
    public List<Entity> Versions { get; } = [];

    /// <summary>
    /// Made on demand, each version's from its own generator: representations are two thirds of the
    /// rows and most of the bytes, and need not all sit in memory at once.
    /// </summary>
    public IEnumerable<Entity> Representations => _published.SelectMany((version, i) => RepresentationsOf(version, new Random(_seed * 1_000_003 + i)));

    public int RepresentationCount => _published.Sum(v => RepresentationsOf(v.ProductType).Length);

    public IEnumerable<(string Type, IEnumerable<Entity> Entities)> Levels =>
        [("folder", Folders), ("task", Tasks), ("product", Products), ("version", Versions), ("representation", Representations)];

    public int Count => Folders.Count + Tasks.Count + Products.Count + Versions.Count + RepresentationCount;

    /// <summary>What the representations of a version are made from.</summary>
    sealed record Published(Entity Folder, Guid VersionId, string ProductName, string ProductType, int Number, string TaskName, string TaskType,
        (int Start, int End)? Frames, DateTimeOffset Time, string Directory);

    readonly List<Published> _published = [];
    readonly int _seed;

    public BigFeature(string project, int seed, int sequences = FullSequences)
    {
        _project = project;
        _seed = seed;
        _random = new Random(seed);
        var assets = Folder(null, "assets", "Folder", []);
        foreach (var (category, prefix, count) in AssetCategories)
        {
            var folder = Folder(assets, category, "Folder", []);
            for (var i = 1; i <= count; i++)
                Asset(Folder(folder, $"{prefix}{i:000}", "Asset", []));
        }
        for (var s = 1; s <= sequences; s++)
        {
            var sequence = Folder(null, $"sq{s * 10:000}", "Sequence", new JsonObject { ["fps"] = 24.0 });
            for (var n = 1; n <= ShotsPerSequence; n++)
            {
                var length = _random.Next(24, 241);
                Shot(Folder(sequence, $"sh{n * 10:0000}", "Shot", new JsonObject
                {
                    ["frameStart"] = 1001,
                    ["frameEnd"] = 1000 + length,
                    ["handleStart"] = 8,
                    ["handleEnd"] = 8,
                    ["clipIn"] = 1,
                    ["clipOut"] = length,
                    ["resolutionWidth"] = 2048,
                    ["resolutionHeight"] = 858,
                }), length);
            }
        }
    }

    Guid NewId() => NewId(_random);

    static Guid NewId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    Entity Folder(Entity? parent, string name, string folderType, JsonObject attrib)
    {
        var folder = new Entity("folder", NewId(), parent?.Id, new JsonObject
        {
            ["name"] = name,
            ["folderType"] = folderType,
            ["parentId"] = parent?.Id.ToString("N"),
            ["attrib"] = attrib,
        })
        { Path = parent is null ? name : $"{parent.Path}/{name}" };
        Folders.Add(folder);
        return folder;
    }

    void Asset(Entity folder) => Publish(folder, AssetTasks, AssetProducts, frames: null);

    void Shot(Entity folder, int length) => Publish(folder, ShotTasks, ShotProducts, frames: (1001, 1000 + length));

    void Publish(Entity folder, (string Name, string Type)[] taskList, (string Name, string Type, string Task)[] products, (int Start, int End)? frames)
    {
        var tasks = new Dictionary<string, (Guid Id, string Type)>();
        foreach (var (name, type) in taskList)
        {
            var task = new Entity("task", NewId(), folder.Id, new JsonObject
            {
                ["name"] = name,
                ["taskType"] = type,
                ["folderId"] = folder.Id.ToString("N"),
                ["assignees"] = new JsonArray("admin"),
            });
            Tasks.Add(task);
            tasks[name] = (task.Id, type);
        }
        foreach (var (name, type, taskName) in products)
        {
            var product = new Entity("product", NewId(), folder.Id, new JsonObject
            {
                ["name"] = name,
                ["productType"] = type,
                ["folderId"] = folder.Id.ToString("N"),
            });
            Products.Add(product);
            for (var number = 1; number <= VersionsPerProduct; number++)
                Version(folder, product, number, tasks[taskName], taskName, frames);
        }
    }

    void Version(Entity folder, Entity product, int number, (Guid Id, string Type) task, string taskName, (int Start, int End)? frames)
    {
        var productName = product.Data["name"]!.GetValue<string>();
        var productType = product.Data["productType"]!.GetValue<string>();
        var published = _start.AddMinutes(_random.Next(0, 60 * 24 * 200));
        var directory = $"{{root[work]}}/{_project}/{folder.Path}/publish/{productType}/{productName}/v{number:000}";
        var attrib = new JsonObject
        {
            ["comment"] = number == 1 ? "first publish" : $"notes addressed, take {number}",
            ["families"] = new JsonArray(productType),
            ["intent"] = "WIP",
            ["machine"] = $"ws-{_random.Next(1, 120):000}",
            ["source"] = $"{{root[work]}}/{_project}/{folder.Path}/work/{taskName}/{productName}_v{number:000}.ma",
            ["colorSpace"] = "ACEScg",
        };
        if (frames is { } range)
        {
            attrib["frameStart"] = range.Start;
            attrib["frameEnd"] = range.End;
        }
        var version = new Entity("version", NewId(), product.Id, new JsonObject
        {
            ["version"] = number,
            ["productId"] = product.Id.ToString("N"),
            ["taskId"] = task.Id.ToString("N"),
            ["attrib"] = attrib,
            ["data"] = new JsonObject { ["time"] = published.ToString("yyyyMMdd'T'HHmmss'Z'"), ["host"] = "maya", ["publisher"] = "anvil-bench" },
        });
        Versions.Add(version);

        _published.Add(new Published(folder, version.Id, productName, productType, number, taskName, task.Type, frames, published, directory));
    }

    IEnumerable<Entity> RepresentationsOf(Published version, Random random)
    {
        var (folder, productName, productType, number, taskName, frames, published, directory) =
            (version.Folder, version.ProductName, version.ProductType, version.Number, version.TaskName, version.Frames, version.Time, version.Directory);
        foreach (var format in RepresentationsOf(productType))
        {
            var sequence = format.StartsWith('#');
            var extension = format.TrimStart('#');
            var stem = $"{_project}_{folder.Data["name"]}_{productName}_v{number:000}";
            var frameNumbers = sequence ? Enumerable.Range(frames?.Start ?? 1001, SequenceFiles) : [];
            var fileNames = sequence ? frameNumbers.Select(f => $"{stem}.{f:0000}.{extension}").ToList() : [$"{stem}.{extension}"];
            var files = new JsonArray([.. fileNames.Select(fileName => (JsonNode)new JsonObject
            {
                ["id"] = NewId(random).ToString("N"), ["name"] = fileName, ["path"] = $"{directory}/{fileName}",
                ["size"] = random.NextInt64(50_000, 400_000_000), ["hash"] = $"{fileName}|{published.ToUnixTimeSeconds()}", ["hashType"] = "op3",
            })]);
            yield return new Entity("representation", NewId(random), version.VersionId, new JsonObject
            {
                ["name"] = extension,
                ["versionId"] = version.VersionId.ToString("N"),
                ["files"] = files,
                ["attrib"] = new JsonObject
                {
                    ["path"] = $"{directory}/{stem}{(sequence ? ".####" : "")}.{extension}",
                    ["template"] = "{root[work]}/{project[name]}/{hierarchy}/{folder[name]}/publish/{product[type]}/{product[name]}/v{version:0>3}/{project[code]}_{folder[name]}_{product[name]}_v{version:0>3}<.{frame:0>4}>.{ext}",
                    ["extension"] = "." + extension,
                },
                ["data"] = new JsonObject
                {
                    ["context"] = new JsonObject
                    {
                        ["root"] = new JsonObject { ["work"] = "/mnt/projects" },
                        ["project"] = new JsonObject { ["name"] = _project, ["code"] = _project },
                        ["hierarchy"] = folder.Path![..Math.Max(0, folder.Path!.LastIndexOf('/'))],
                        ["folder"] = new JsonObject { ["name"] = folder.Data["name"]!.DeepClone(), ["type"] = folder.Data["folderType"]!.DeepClone() },
                        ["task"] = new JsonObject { ["name"] = taskName, ["type"] = version.TaskType },
                        ["product"] = new JsonObject { ["name"] = productName, ["type"] = productType },
                        ["version"] = number,
                        ["representation"] = extension,
                        ["ext"] = extension,
                        ["username"] = "admin",
                    },
                },
            });
        }
    }
}
