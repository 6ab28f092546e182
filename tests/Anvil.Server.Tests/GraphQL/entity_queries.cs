using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// The project root and the six entity connections, queried as the official client queries them
/// (its operation names, variable declarations and inlined paging): fields, filters, paging both
/// ways, nested connections and parent accessors.
/// </summary>
public sealed class entity_queries(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string FolderFields = "id name label folderType path parentId active thumbnailId data status tags allAttrib hasProducts ownAttrib";

    static string Folders(string declarations, string arguments, string fields = FolderFields) => $$"""
        query FoldersQuery($projectName: String!{{declarations}}) {
          project(name: $projectName) {
            folders({{arguments}}first: 300) { edges { node { {{fields}} } } pageInfo { endCursor hasNextPage } }
          }
        }
        """;

    static string Query(string name, string connection, string declarations, string arguments, string fields) => $$"""
        query {{name}}($projectName: String!{{declarations}}) {
          project(name: $projectName) {
            {{connection}}({{arguments}}first: 300) { edges { node { {{fields}} } } pageInfo { endCursor hasNextPage } }
          }
        }
        """;

    static List<JsonNode> Nodes(JsonNode data, string connection) =>
        [.. data["project"]![connection]!["edges"]!.AsArray().Select(e => e!["node"]!)];

    static List<string> Names(JsonNode data, string connection) => [.. Nodes(data, connection).Select(n => n["name"]!.GetValue<string>())];

    [Fact]
    public async Task folders_come_with_the_client_fields_and_effective_attributes()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var root = await build.FolderAsync(name: "ep01", attrib: new { frameStart = 1002 });
        var shot = await build.CreateAsync("folders", new { name = "sh010", folderType = "Shot", parentId = root, label = "Shot 10", data = new { key = "value" }, tags = new[] { "hero" } });

        var data = await api.QueryAsync(Folders(",$folderIds: [String!]", "ids: $folderIds, "), new { projectName = project, folderIds = new[] { shot } });

        var node = Assert.Single(Nodes(data, "folders"));
        Assert.Equal(shot, node["id"]!.GetValue<string>());
        Assert.Equal("sh010", node["name"]!.GetValue<string>());
        Assert.Equal("Shot 10", node["label"]!.GetValue<string>());
        Assert.Equal("Shot", node["folderType"]!.GetValue<string>());
        Assert.Equal("/ep01/sh010", node["path"]!.GetValue<string>());
        Assert.Equal(root, node["parentId"]!.GetValue<string>());
        Assert.True(node["active"]!.GetValue<bool>());
        Assert.Null(node["thumbnailId"]);
        Assert.Equal("value", JsonNode.Parse(node["data"]!.GetValue<string>())!["key"]!.GetValue<string>());
        Assert.Equal(["hero"], node["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.False(node["hasProducts"]!.GetValue<bool>());
        Assert.Empty(node["ownAttrib"]!.AsArray());
        var attrib = JsonNode.Parse(node["allAttrib"]!.GetValue<string>())!;
        Assert.Equal(1002, attrib["frameStart"]!.GetValue<int>());
        Assert.Equal(1100, attrib["frameEnd"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(node["status"]!.GetValue<string>()));

        var rootNode = Assert.Single(Nodes(await api.QueryAsync(Folders(",$parentFolderIds: [String!]", "parentIds: $parentFolderIds, "),
            new { projectName = project, parentFolderIds = new[] { "root" } }), "folders"));
        Assert.Equal(["frameStart"], rootNode["ownAttrib"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Null(rootNode["data"]);
        Assert.Null(rootNode["parentId"]);

        var none = await api.QueryAsync(Folders(",$folderIds: [String!]", "ids: $folderIds, "), new { projectName = project, folderIds = Array.Empty<string>() });
        Assert.Empty(Nodes(none, "folders"));
    }

    [Fact]
    public async Task a_missing_project_is_an_error_not_an_empty_object()
    {
        // GraphQLAsync expects HTTP 200: the error travels in the envelope.
        var result = await app.Service().GraphQLAsync(Folders("", ""), new { projectName = "no_such_project_here" });

        var error = Assert.Single(result["errors"]!.AsArray())!;
        Assert.Equal(404, error["extensions"]!["status"]!.GetValue<int>());
        Assert.Null(result["data"]);
    }

    [Fact]
    public async Task folders_page_forward_and_backward_without_overlap()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
            created.Add(await build.FolderAsync(name: $"f{i}"));
        const string page = """
            query Page($projectName: String!, $first: Int, $after: String, $last: Int, $before: String) {
              project(name: $projectName) {
                folders(first: $first, after: $after, last: $last, before: $before) {
                  edges { node { id } cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                }
              }
            }
            """;

        var forward = new List<string>();
        string? after = null;
        for (var round = 0; round < 10; round++)
        {
            var folders = (await api.QueryAsync(page, new { projectName = project, first = 2, after }))["project"]!["folders"]!;
            forward.AddRange(folders["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()));
            if (!folders["pageInfo"]!["hasNextPage"]!.GetValue<bool>())
                break;
            after = folders["pageInfo"]!["endCursor"]!.GetValue<string>();
        }
        Assert.Equal(created, forward);

        var backward = new List<string>();
        string? before = null;
        for (var round = 0; round < 10; round++)
        {
            var folders = (await api.QueryAsync(page, new { projectName = project, last = 2, before }))["project"]!["folders"]!;
            backward.AddRange(folders["edges"]!.AsArray().Select(e => e!["node"]!["id"]!.GetValue<string>()));
            if (!folders["pageInfo"]!["hasPreviousPage"]!.GetValue<bool>())
                break;
            before = folders["pageInfo"]!["startCursor"]!.GetValue<string>();
        }
        Assert.Equal(Enumerable.Reverse(created), backward);
    }

    [Fact]
    public async Task folder_filters_select_what_they_name()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var assets = await build.FolderAsync(name: "assets", folderType: "Folder");
        var chair = await build.FolderAsync(assets, "chair");
        var table = await build.CreateAsync("folders", new { name = "table", folderType = "Asset", parentId = assets, tags = new[] { "wood", "big" }, status = "In progress" });
        await build.CreateAsync("tasks", new { name = "modeling", taskType = "Modeling", folderId = chair, assignees = new[] { "admin" } });
        await build.ProductAsync(table, "modelMain");

        async Task<List<string>> Filter(string declaration, string argument, object variables)
        {
            var values = new JsonObject { ["projectName"] = project };
            foreach (var (key, value) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(variables))!.AsObject())
                values[key] = value?.DeepClone();
            return [.. Names(await api.QueryAsync(Folders(declaration, argument, "id name"), values), "folders").Order()];
        }

        Assert.Equal(["chair", "table"], await Filter(",$parentFolderIds: [String!]", "parentIds: $parentFolderIds, ", new { parentFolderIds = new[] { assets } }));
        Assert.Equal(["assets", "chair", "table"], await Filter(",$parentFolderIds: [String!]", "parentIds: $parentFolderIds, ", new { parentFolderIds = new[] { assets, "root" } }));
        Assert.Equal(["chair"], await Filter(",$folderNames: [String!]", "names: $folderNames, ", new { folderNames = new[] { "chair" } }));
        Assert.Equal(["chair", "table"], await Filter(",$folderTypes: [String!]", "folderTypes: $folderTypes, ", new { folderTypes = new[] { "Asset" } }));
        Assert.Equal(["table"], await Filter(",$folderPaths: [String!]", "paths: $folderPaths, ", new { folderPaths = new[] { "/assets/table/" } }));
        Assert.Equal(["chair"], await Filter(",$folderPathRegex: String!", "pathEx: $folderPathRegex, ", new { folderPathRegex = "^/assets/ch" }));
        Assert.Equal(["chair"], await Filter(",$folderHasTasks: Boolean!", "hasTasks: $folderHasTasks, ", new { folderHasTasks = true }));
        Assert.Equal(["table"], await Filter(",$folderHasProducts: Boolean!", "hasProducts: $folderHasProducts, ", new { folderHasProducts = true }));
        Assert.Equal(["chair", "table"], await Filter(",$folderHasChildren: Boolean!", "hasChildren: $folderHasChildren, ", new { folderHasChildren = false }));
        Assert.Equal(["table"], await Filter(",$folderStatuses: [String!]", "statuses: $folderStatuses, ", new { folderStatuses = new[] { "In progress" } }));
        Assert.Equal(["table"], await Filter(",$folderTags: [String!]", "tags: $folderTags, ", new { folderTags = new[] { "wood" } }));
        Assert.Empty(await Filter(",$folderTags: [String!]", "tags: $folderTags, ", new { folderTags = new[] { "wood", "small" } }));
        Assert.Equal(["chair"], await Filter(",$folderAssigneesAll: [String!]", "assignees: $folderAssigneesAll, ", new { folderAssigneesAll = new[] { "admin" } }));
        Assert.Empty(await Filter(",$folderHasLinks: HasLinksFilter", "hasLinks: $folderHasLinks, ", new { folderHasLinks = "ANY" }));
        Assert.Equal(3, (await Filter(",$folderHasLinks: HasLinksFilter", "hasLinks: $folderHasLinks, ", new { folderHasLinks = "NONE" })).Count);

        var bad = await api.GraphQLAsync(Folders(",$folderPathRegex: String!", "pathEx: $folderPathRegex, ", "id"), new { projectName = project, folderPathRegex = "([" });
        Assert.Equal(400, bad["errors"]![0]!["extensions"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task tasks_products_versions_representations_and_workfiles_filter_as_the_client_asks()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var folder = await build.FolderAsync(name: "sh010", folderType: "Shot");
        var other = await build.FolderAsync(name: "sh020", folderType: "Shot");
        var animation = await build.CreateAsync("tasks", new { name = "animation", taskType = "Animation", folderId = folder, assignees = new[] { "admin", "bob" } });
        var lighting = await build.CreateAsync("tasks", new { name = "lighting", taskType = "Lighting", folderId = other });
        var model = await build.CreateAsync("products", new { name = "modelMain", productType = "model", folderId = folder });
        var render = await build.CreateAsync("products", new { name = "renderMain", productType = "render", folderId = other });
        var v1 = await build.CreateAsync("versions", new { version = 1, productId = model, taskId = animation });
        var v2 = await build.CreateAsync("versions", new { version = 2, productId = model });
        var hero = await build.CreateAsync("versions", new { version = -2, productId = model });
        var r1 = await build.CreateAsync("versions", new { version = 1, productId = render });
        var exr = await build.CreateAsync("representations", new
        {
            name = "exr",
            versionId = v1,
            data = new { context = new { ext = "exr" } },
            files = new[] { new { id = EntityBuilder.NewId(), path = "/renders/sh010.1001.exr", size = 5_000_000_000L, hash = "abc" } },
        });
        await build.CreateAsync("representations", new { name = "mov", versionId = v2 });
        var workfile = await build.CreateAsync("workfiles", new { path = "/work/sh010_animation_v001.ma", taskId = animation });

        var tasks = await api.QueryAsync(Query("TasksQuery", "tasks", ",$folderIds: [String!],$taskTypes: [String!]", "folderIds: $folderIds, taskTypes: $taskTypes, ",
            "id name label taskType folderId active thumbnailId assignees data status tags allAttrib ownAttrib"),
            new { projectName = project, folderIds = new[] { folder, other }, taskTypes = new[] { "Animation" } });
        var task = Assert.Single(Nodes(tasks, "tasks"));
        Assert.Equal(animation, task["id"]!.GetValue<string>());
        Assert.Equal(["admin", "bob"], task["assignees"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(1100, JsonNode.Parse(task["allAttrib"]!.GetValue<string>())!["frameEnd"]!.GetValue<int>());
        Assert.Equal(["lighting"], Names(await api.QueryAsync(Query("TasksQuery", "tasks", ",$taskNames: [String!]", "names: $taskNames, ", "name"),
            new { projectName = project, taskNames = new[] { "lighting" } }), "tasks"));
        Assert.Equal(["animation"], Names(await api.QueryAsync(Query("TasksQuery", "tasks", ",$taskAssigneesAll: [String!]", "assignees: $taskAssigneesAll, ", "name"),
            new { projectName = project, taskAssigneesAll = new[] { "admin", "bob" } }), "tasks"));
        Assert.Equal(["animation"], Names(await api.QueryAsync(Query("TasksQuery", "tasks", ",$taskAssigneesAny: [String!]", "assigneesAny: $taskAssigneesAny, ", "name"),
            new { projectName = project, taskAssigneesAny = new[] { "bob", "carol" } }), "tasks"));

        Assert.Equal(["renderMain"], Names(await api.QueryAsync(Query("ProductsQuery", "products", ",$productTypes: [String!]", "productTypes: $productTypes, ", "id name folderId productType productBaseType"),
            new { projectName = project, productTypes = new[] { "render" } }), "products"));
        Assert.Equal(["modelMain"], Names(await api.QueryAsync(Query("ProductsQuery", "products", ",$folderIds: [String!],$productNameRegex: String!", "folderIds: $folderIds, nameEx: $productNameRegex, ", "name"),
            new { projectName = project, folderIds = new[] { folder }, productNameRegex = "^model" }), "products"));
        Assert.Equal(["renderMain"], Names(await api.QueryAsync(Query("ProductsQuery", "products", ",$productPathRegex: String!", "pathEx: $productPathRegex, ", "name"),
            new { projectName = project, productPathRegex = "sh020/render" }), "products"));

        const string versionFields = "id name version productId taskId active author thumbnailId createdAt updatedAt data status tags allAttrib heroVersionId isLatest";
        var all = Nodes(await api.QueryAsync(Query("VersionsQuery", "versions", ",$productIds: [String!]", "productIds: $productIds, ", versionFields),
            new { projectName = project, productIds = new[] { model } }), "versions");
        Assert.Equal([v1, v2, hero], all.Select(v => v["id"]!.GetValue<string>()));
        Assert.Equal(["v001", "v002", "HERO"], all.Select(v => v["name"]!.GetValue<string>()));
        Assert.All(all, v => Assert.Equal(hero, v["heroVersionId"]!.GetValue<string>()));
        Assert.Equal([false, true, false], all.Select(v => v["isLatest"]!.GetValue<bool>()));
        Assert.Equal(animation, all[0]["taskId"]!.GetValue<string>());
        var me = (await api.QueryAsync("{ me { name } }"))["me"]!["name"]!.GetValue<string>();
        Assert.Equal(me, all[0]["author"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", all[0]["createdAt"]!.GetValue<string>());

        async Task<List<string>> Versions(string declarations, string arguments, object variables)
        {
            var values = new JsonObject { ["projectName"] = project };
            foreach (var (key, value) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(variables))!.AsObject())
                values[key] = value?.DeepClone();
            return [.. Nodes(await api.QueryAsync(Query("VersionsQuery", "versions", declarations, arguments, "id"), values), "versions").Select(v => v["id"]!.GetValue<string>()).Order()];
        }
        Assert.Equal(new[] { v2, r1 }.Order(), await Versions(",$latestOnly: Boolean", "latestOnly: $latestOnly, ", new { latestOnly = true }));
        Assert.Equal([hero], await Versions(",$heroOnly: Boolean", "heroOnly: $heroOnly, ", new { heroOnly = true }));
        Assert.Equal(new[] { hero, r1 }.Order(), await Versions(",$heroOrLatestOnly: Boolean", "heroOrLatestOnly: $heroOrLatestOnly, ", new { heroOrLatestOnly = true }));
        Assert.Equal(new[] { v1, r1 }.Order(), await Versions(",$versions: [Int!]", "versions: $versions, ", new { versions = new[] { 1 } }));
        Assert.Equal([v1], await Versions(",$taskIds: [String!]", "taskIds: $taskIds, ", new { taskIds = new[] { animation } }));
        Assert.Empty(await Versions(",$versionIds: [String!]", "ids: $versionIds, ", new { versionIds = Array.Empty<string>() }));

        var representations = Nodes(await api.QueryAsync(Query("RepresentationsQuery", "representations", ",$versionIds: [String!]", "versionIds: $versionIds, ",
            "id name context createdAt active versionId data status tags traits files { name hash id path size } allAttrib"),
            new { projectName = project, versionIds = new[] { v1 } }), "representations");
        var representation = Assert.Single(representations);
        Assert.Equal(exr, representation["id"]!.GetValue<string>());
        Assert.Equal("exr", JsonNode.Parse(representation["context"]!.GetValue<string>())!["ext"]!.GetValue<string>());
        var file = Assert.Single(representation["files"]!.AsArray())!;
        Assert.Equal("5000000000", file["size"]!.GetValue<string>());
        Assert.Equal("sh010.1001.exr", file["name"]!.GetValue<string>());
        Assert.Equal(["mov"], Names(await api.QueryAsync(Query("RepresentationsQuery", "representations", ",$representationNames: [String!]", "names: $representationNames, ", "name"),
            new { projectName = project, representationNames = new[] { "mov" } }), "representations"));

        var workfiles = Nodes(await api.QueryAsync(Query("WorkfilesInfo", "workfiles", ",$taskIds: [String!],$workfilePathRegex: String!", "taskIds: $taskIds, pathEx: $workfilePathRegex, ",
            "active createdAt createdBy id name path projectName taskId thumbnailId updatedAt updatedBy data status tags allAttrib"),
            new { projectName = project, taskIds = new[] { animation }, workfilePathRegex = "animation_v\\d+" }), "workfiles");
        var work = Assert.Single(workfiles);
        Assert.Equal(workfile, work["id"]!.GetValue<string>());
        Assert.Equal("sh010_animation_v001.ma", work["name"]!.GetValue<string>());
        Assert.Equal(project, work["projectName"]!.GetValue<string>());
    }

    [Fact]
    public async Task nested_connections_and_parent_accessors_follow_the_hierarchy()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var folder = await build.FolderAsync(name: "sh010", folderType: "Shot");
        var task = await build.CreateAsync("tasks", new { name = "animation", taskType = "Animation", folderId = folder });
        var product = await build.ProductAsync(folder, "animMain");
        var v1 = await build.CreateAsync("versions", new { version = 1, productId = product, taskId = task });
        var v2 = await build.VersionAsync(product, 2);
        var representation = await build.RepresentationAsync(v1, "abc");

        var tree = await api.QueryAsync("""
            query Tree($projectName: String!) {
              project(name: $projectName) {
                folders(first: 10) { edges { node { name
                  tasks { edges { node { name folder { name } versions { edges { node { version } } } } } }
                  products { edges { node { name folder { path } latestVersion { id }
                    versions(first: 1) { edges { node { version representations { edges { node { name version { id } } } } } }
                                          pageInfo { hasNextPage endCursor } } } } }
                } } }
              }
            }
            """, new { projectName = project });
        var folderNode = Assert.Single(Nodes(tree, "folders"));
        var taskNode = Assert.Single(folderNode["tasks"]!["edges"]!.AsArray())!["node"]!;
        Assert.Equal("sh010", taskNode["folder"]!["name"]!.GetValue<string>());
        Assert.Equal(1, Assert.Single(taskNode["versions"]!["edges"]!.AsArray())!["node"]!["version"]!.GetValue<int>());
        var productNode = Assert.Single(folderNode["products"]!["edges"]!.AsArray())!["node"]!;
        Assert.Equal("/sh010", productNode["folder"]!["path"]!.GetValue<string>());
        Assert.Equal(v2, productNode["latestVersion"]!["id"]!.GetValue<string>());
        var versions = productNode["versions"]!;
        Assert.True(versions["pageInfo"]!["hasNextPage"]!.GetValue<bool>());
        var versionNode = Assert.Single(versions["edges"]!.AsArray())!["node"]!;
        var representationNode = Assert.Single(versionNode["representations"]!["edges"]!.AsArray())!["node"]!;
        Assert.Equal("abc", representationNode["name"]!.GetValue<string>());
        Assert.Equal(v1, representationNode["version"]!["id"]!.GetValue<string>());

        var parents = await api.QueryAsync("""
            query RepresentationsParentsQuery($projectName: String!,$representationIds: [String!]) {
              project(name: $projectName) {
                representations(ids: $representationIds, first: 300) { edges { node { id name
                  version { id version task { id name } product { id name folder { id path } } } } } pageInfo { endCursor hasNextPage } }
              }
            }
            """, new { projectName = project, representationIds = new[] { representation } });
        var version = Assert.Single(Nodes(parents, "representations"))["version"]!;
        Assert.Equal(task, version["task"]!["id"]!.GetValue<string>());
        Assert.Equal("animMain", version["product"]!["name"]!.GetValue<string>());
        Assert.Equal("/sh010", version["product"]!["folder"]!["path"]!.GetValue<string>());

        var latest = await api.QueryAsync("""
            query VersionIsLatest($projectName: String!,$versionId: String!) {
              project(name: $projectName) { version(id: $versionId) { product { latestVersion { id } } } }
            }
            """, new { projectName = project, versionId = v1 });
        Assert.Equal(v2, latest["project"]!["version"]!["product"]!["latestVersion"]!["id"]!.GetValue<string>());
        var missing = await api.QueryAsync("""
            query ($projectName: String!) { project(name: $projectName) { folder(id: "0123456789abcdef0123456789abcdef") { id } } }
            """, new { projectName = project });
        Assert.Null(missing["project"]!["folder"]);
    }

    [Fact]
    public async Task the_project_node_reads_as_the_client_selects_it()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        await build.CreateAsync("products", new { name = "renderMain", productType = "render", folderId = await build.FolderAsync() });

        var data = await api.QueryAsync("""
            query ProjectsQuery($projectName: String!,$skeleton: Boolean!) {
              projects(name: $projectName, includeSkeleton: $skeleton, first: 300) { edges { node {
                active library name code config createdAt updatedAt data allAttrib usedTags
                folderTypes { name icon shortName } taskTypes { name color icon shortName }
                statuses { color icon name scope shortName state } tags { name color } linkTypes { name color }
                productTypes { name } attrib { frameEnd fps } bundle { production staging }
              } } pageInfo { endCursor hasNextPage } }
            }
            """, new { projectName = project, skeleton = true });

        var node = Assert.Single(data["projects"]!["edges"]!.AsArray())!["node"]!;
        Assert.Equal(project, node["name"]!.GetValue<string>());
        Assert.Equal(project, node["code"]!.GetValue<string>());
        Assert.True(node["active"]!.GetValue<bool>());
        Assert.False(node["library"]!.GetValue<bool>());
        Assert.Equal(JsonValueKind.Object, JsonNode.Parse(node["config"]!.GetValue<string>())!.GetValueKind());
        Assert.Equal(1100, node["attrib"]!["frameEnd"]!.GetValue<int>());
        Assert.Equal(1100, JsonNode.Parse(node["allAttrib"]!.GetValue<string>())!["frameEnd"]!.GetValue<int>());
        Assert.Contains("Shot", node["folderTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.NotEmpty(node["taskTypes"]!.AsArray());
        Assert.NotEmpty(node["statuses"]!.AsArray()[0]!["scope"]!.AsArray());
        Assert.Equal(["render"], node["productTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));

        var types = await api.QueryAsync("query ProductTypes { productTypes { name } }");
        Assert.Contains("render", types["productTypes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task the_advanced_filter_combines_conditions_on_fields_and_effective_attributes()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var parent = await build.FolderAsync(name: "seq", folderType: "Sequence", attrib: new { frameStart = 900 });
        await build.FolderAsync(parent, "sh010", folderType: "Shot");
        await build.FolderAsync(parent, "sh020", folderType: "Shot", attrib: new { frameStart = 1001 });
        await build.CreateAsync("folders", new { name = "sh030", folderType = "Shot", parentId = parent, tags = new[] { "hero" } });

        async Task<List<string>> Filter(object filter) => [.. Names(await api.QueryAsync(Folders(",$filter: String!", "filter: $filter, ", "name"),
            new { projectName = project, filter = System.Text.Json.JsonSerializer.Serialize(filter) }), "folders").Order()];

        Assert.Equal(["seq", "sh010", "sh030"], await Filter(new { conditions = new[] { new { key = "attrib/frameStart", value = (object)900, @operator = "eq" } }, @operator = "and" }));
        Assert.Equal(["sh020"], await Filter(new
        {
            conditions = new object[]
        {
            new { key = "folderType", value = "Shot", @operator = "eq" },
            new { key = "attrib/frameStart", value = 1000, @operator = "gt" },
        },
            @operator = "and"
        }));
        Assert.Equal(["sh010", "sh030"], await Filter(new
        {
            conditions = new object[]
        {
            new { key = "name", value = new[] { "sh010" }, @operator = "in" },
            new { conditions = new[] { new { key = "tags", value = "hero", @operator = "contains" } }, @operator = "and" },
        },
            @operator = "or"
        }));
        Assert.Equal(["seq"], await Filter(new { conditions = new[] { new { key = "parentId", @operator = "isnull" } } }));
        Assert.Equal(["sh010", "sh020", "sh030"], await Filter(new { conditions = new[] { new { key = "parentId", value = parent, @operator = "eq" } } }));

        var bad = await api.GraphQLAsync(Folders(",$filter: String!", "filter: $filter, ", "id"), new { projectName = project, filter = """{"conditions": [{"key": "nope", "value": 1}]}""" });
        Assert.Equal(400, bad["errors"]![0]!["extensions"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task links_show_the_other_end_and_the_direction_on_both_entities()
    {
        var project = await TestProjects.CreateAsync(app);
        var api = app.Service();
        var build = new EntityBuilder(api, project);
        var a = await build.FolderAsync(name: "a");
        var b = await build.FolderAsync(name: "b");
        var link = EntityBuilder.NewId();
        var schema = "project_" + project.ToLowerInvariant();
        await Sql.ExecuteAsync(app, $"""
            INSERT INTO {schema}.link_types (name, link_type, input_type, output_type) VALUES ('depends|folder|folder', 'depends', 'folder', 'folder') ON CONFLICT DO NOTHING;
            INSERT INTO {schema}.links (id, name, link_type, input_id, output_id, author, data)
            VALUES (@link::uuid, 'a to b', 'depends|folder|folder', @a::uuid, @b::uuid, 'admin', @data::jsonb);
            """, new { link, a, b, data = """{"description": "because", "k": 1}""" });
        const string query = """
            query FoldersQuery($projectName: String!,$folderIds: [String!],$linkDirection: String!,$linkTypes: [String!]) {
              project(name: $projectName) { folders(ids: $folderIds, first: 300) { edges { node { id
                links(direction: $linkDirection, linkTypes: $linkTypes, first: 100) {
                  edges { id linkType projectName entityType entityId name direction description author data } pageInfo { endCursor hasNextPage } }
              } } pageInfo { endCursor hasNextPage } } }
            }
            """;
        async Task<Dictionary<string, JsonArray>> LinksAsync(string? direction = null, string[]? types = null)
        {
            var variables = new JsonObject { ["projectName"] = project, ["folderIds"] = new JsonArray(a, b) };
            var text = query;
            if (direction is null)
                text = text.Replace(",$linkDirection: String!", "").Replace("direction: $linkDirection, ", "");
            else
                variables["linkDirection"] = direction;
            if (types is null)
                text = text.Replace(",$linkTypes: [String!]", "").Replace("linkTypes: $linkTypes, ", "");
            else
                variables["linkTypes"] = new JsonArray([.. types.Select(t => (JsonNode?)t)]);
            return Nodes(await api.QueryAsync(text, variables), "folders")
                .ToDictionary(n => n["id"]!.GetValue<string>(), n => n["links"]!["edges"]!.AsArray());
        }

        var both = await LinksAsync();
        var outgoing = Assert.Single(both[a])!;
        Assert.Equal("out", outgoing["direction"]!.GetValue<string>());
        Assert.Equal(b, outgoing["entityId"]!.GetValue<string>());
        Assert.Equal("folder", outgoing["entityType"]!.GetValue<string>());
        Assert.Equal("depends", outgoing["linkType"]!.GetValue<string>());
        Assert.Equal("because", outgoing["description"]!.GetValue<string>());
        Assert.Equal(1, outgoing["data"]!["k"]!.GetValue<int>());
        Assert.Equal(project, outgoing["projectName"]!.GetValue<string>());
        var incoming = Assert.Single(both[b])!;
        Assert.Equal("in", incoming["direction"]!.GetValue<string>());
        Assert.Equal(a, incoming["entityId"]!.GetValue<string>());
        Assert.Empty((await LinksAsync(direction: "in"))[a]);
        Assert.Single((await LinksAsync(direction: "in"))[b]);
        Assert.Empty((await LinksAsync(types: ["reference"]))[a]);

        var linked = await api.QueryAsync(Folders(",$folderHasLinks: HasLinksFilter", "hasLinks: $folderHasLinks, ", "id"), new { projectName = project, folderHasLinks = "IN" });
        Assert.Equal([b], Nodes(linked, "folders").Select(n => n["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task the_schema_builds_from_the_attribute_library()
    {
        var attributes = await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Anvil.Server.Features.Attributes.AttributeLibrary>(app.Services).AllAsync();
        var schema = new Anvil.Server.GraphQL.AyonSchema(attributes);
        schema.Initialize();
        Assert.NotNull(schema.AllTypes["FolderAttribType"]);
        Assert.NotNull(schema.AllTypes["HasLinksFilter"]);
    }
}
