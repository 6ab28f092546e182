using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.GraphQL;
using Anvil.Server.Tests.Features.Access;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// Entity connections whose selection reads only the rows are rendered in one pass
/// (<see cref="RenderedConnections"/>); the answer is the general path's, byte for byte, whatever
/// the query looks like: fragments, aliases, variables, <c>@include</c>/<c>@skip</c>,
/// <c>__typename</c>, nested connections, paging and sorting, and the user's rights.
/// </summary>
public sealed class rendered_connections(AnvilApp app) : IClassFixture<AnvilApp>
{
    internal static async Task<(string Rendered, string General)> BothAsync(Api api, string query, object variables)
    {
        async Task<string> Run(bool general)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
            {
                Content = new StringContent(new JsonObject { ["query"] = query, ["variables"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(variables)) }.ToJsonString(),
                    Encoding.UTF8, "application/json"),
            };
            if (general)
                request.Headers.Add(GraphQLEndpoint.GeneralPathHeader, "general");
            using var response = await api.Http.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        return (await Run(general: false), await Run(general: true));
    }

    static async Task AssertSameAsync(Api api, string query, object variables, Action<JsonNode>? check = null, bool renders = true)
    {
        var before = RenderedConnections.RenderedCount;
        var (rendered, general) = await BothAsync(api, query, variables);
        if (renders)
            Assert.True(RenderedConnections.RenderedCount > before, $"the query's connections were not rendered: {rendered}");
        Assert.Equal(general, rendered);
        var answer = JsonNode.Parse(rendered)!;
        Assert.True(answer["errors"] is null, rendered);
        check?.Invoke(answer["data"]!);
    }

    async Task<string> ProjectAsync()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var root = await build.FolderAsync(name: "ep01", attrib: new { frameStart = 1002 });
        for (var i = 0; i < 3; i++)
        {
            var shot = await build.CreateAsync("folders", new
            {
                name = $"sh0{i}0",
                folderType = "Shot",
                parentId = root,
                label = i == 0 ? "Shot <10> & \"more\" é \u2028 ✓" : null,
                data = new { key = "välue <b>", nested = new { list = new object?[] { 1, 1.5, "x\n", null, true } } },
                tags = new[] { "hero", "<tag>" },
                attrib = new { fps = 25.0, resolutionWidth = 1920 + i },
            });
            var task = await build.CreateAsync("tasks", new { name = "anim", taskType = "Animation", folderId = shot, assignees = new[] { "admin" }, attrib = new { frameStart = 7 } });
            var product = await build.CreateAsync("products", new { name = "animMain", productType = "animation", folderId = shot });
            var version = await build.CreateAsync("versions", new { version = 1, productId = product, taskId = task, data = new { comment = "first \"one\"" } });
            await build.CreateAsync("versions", new { version = -1, productId = product });
            await build.CreateAsync("representations", new
            {
                name = "exr",
                versionId = version,
                traits = new { colorspace = "ACEScg" },
                files = new object[]
                {
                    new { id = EntityBuilder.NewId(), path = "/show/sh010/anim.1001.exr", size = 123456789012L, hash = "abc", hashType = "op3" },
                    new { id = EntityBuilder.NewId(), path = "C:\\show\\anim.1002.exr", size = 12, hash = "def" },
                },
                data = new { context = new { folder = new { name = "sh010" } } },
            });
        }
        return project;
    }

    [Fact]
    public async Task the_client_queries_answer_byte_for_byte_as_the_general_path()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        foreach (var (connection, fields) in new[]
        {
            ("folders", "id name label folderType path parentId active thumbnailId data status tags allAttrib ownAttrib hasProducts hasTasks hasChildren childCount"),
            ("tasks", "id name label taskType folderId active thumbnailId assignees data status tags allAttrib ownAttrib attrib { frameStart fps }"),
            ("products", "id name folderId productType active data status tags allAttrib versionList { id version name }"),
            ("versions", "id name version productId taskId active author thumbnailId createdAt updatedAt data status tags allAttrib featuredVersionType"),
            ("representations", "id name context createdAt active versionId data status tags traits files { name hash id path size } fileCount allAttrib"),
        })
            await AssertSameAsync(api, $$"""
                query Q($projectName: String!) { project(name: $projectName) {
                  {{connection}}(first: 300) { edges { node { {{fields}} } cursor } pageInfo { endCursor hasNextPage startCursor hasPreviousPage } } } }
                """, new { projectName = project }, data => Assert.NotEmpty(data["project"]![connection]!["edges"]!.AsArray()));
    }

    [Fact]
    public async Task representations_with_nested_data_and_files_answer_whole_and_as_the_general_path()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var version = await build.VersionAsync();
        var data = JsonNode.Parse("""
            {"context": {"folder": {"name": "sh<010> & 'x'"}, "quote": "say \"hi\" \\ back", "plus": "a+b `c`", "ctl": "\u0001\u007f\t\n",
             "uni": "日本 é \u2028 😀", "nested": {"list": [1, 1.50, 1e3, -0.0, null, true, false, {}, []], "empty": {}}},
             "comment": "first", "frames": [1001, 1002]}
            """)!;
        var files = JsonNode.Parse($$"""
            [{"id": "{{EntityBuilder.NewId()}}", "name": "a+b <1>.exr", "path": "/x/a+b <1>.exr", "size": 123456789012, "hash": "h'q", "hashType": "md5"},
             {"id": "{{EntityBuilder.NewId()}}", "path": "/x/no_name.0001.exr", "size": 0},
             {"id": "{{EntityBuilder.NewId()}}", "name": "日本.exr", "path": "C:\\x\\日本.exr", "size": 5, "hash": "quote\"d"}]
            """)!;
        await build.CreateAsync("representations", new { name = "exr", versionId = version, data, files, traits = new { colorspace = "ACEScg" }, attrib = new { extension = "exr", template = "{root}/<x>+y" } });

        await AssertSameAsync(app.Service(), """
            query Q($projectName: String!, $versionIds: [String!]) { project(name: $projectName) {
              representations(versionIds: $versionIds, first: 300) { edges { node { id name context data allAttrib traits fileCount
                files { id name path hash hashType size } } } } } }
            """, new { projectName = project, versionIds = new[] { version } }, answer =>
        {
            var node = answer["project"]!["representations"]!["edges"]![0]!["node"]!;
            Assert.True(JsonNode.DeepEquals(data, JsonNode.Parse(node["data"]!.GetValue<string>())), node["data"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(data["context"], JsonNode.Parse(node["context"]!.GetValue<string>())));
            var attrib = JsonNode.Parse(node["allAttrib"]!.GetValue<string>())!;
            Assert.Equal("exr", attrib["extension"]!.GetValue<string>());
            Assert.Equal("{root}/<x>+y", attrib["template"]!.GetValue<string>());
            Assert.Equal("""{"colorspace":"ACEScg"}""", node["traits"]!.GetValue<string>());
            Assert.Equal(3, node["fileCount"]!.GetValue<int>());
            var answered = node["files"]!.AsArray();
            Assert.Equal(["a+b <1>.exr", "no_name.0001.exr", "日本.exr"], answered.Select(f => f!["name"]!.GetValue<string>()));
            Assert.Equal(["123456789012", "0", "5"], answered.Select(f => f!["size"]!.GetValue<string>()));
            Assert.Equal(["/x/a+b <1>.exr", "/x/no_name.0001.exr", "C:\\x\\日本.exr"], answered.Select(f => f!["path"]!.GetValue<string>()));
            Assert.Equal(["h'q", null, "quote\"d"], answered.Select(f => f!["hash"]?.GetValue<string>()));
            Assert.Equal(files.AsArray().Select(f => f!["id"]!.GetValue<string>()), answered.Select(f => f!["id"]!.GetValue<string>()));
        });
    }

    [Fact]
    public async Task timestamps_and_traits_written_from_the_row_answer_as_the_general_path_with_and_without_traits()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var version = await build.VersionAsync();
        await build.CreateAsync("representations", new { name = "exr", versionId = version, traits = new { colorspace = "ACEScg", list = new[] { 1, 2 } } });
        await build.CreateAsync("representations", new { name = "abc", versionId = version });

        await AssertSameAsync(app.Service(), """
            query Q($projectName: String!, $versionIds: [String!]) { project(name: $projectName) {
              representations(versionIds: $versionIds, first: 300) { edges { node { name createdAt updatedAt traits } } } } }
            """, new { projectName = project, versionIds = new[] { version } }, answer =>
        {
            var nodes = answer["project"]!["representations"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToList();
            Assert.Equal(["exr", "abc"], nodes.Select(n => n["name"]!.GetValue<string>()));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"colorspace": "ACEScg", "list": [1, 2]}"""), JsonNode.Parse(nodes[0]["traits"]!.GetValue<string>())));
            Assert.Null(nodes[1]["traits"]);
            Assert.All(nodes, n => Assert.EndsWith("+00:00", n["createdAt"]!.GetValue<string>()));
            Assert.All(nodes, n => Assert.EndsWith("+00:00", n["updatedAt"]!.GetValue<string>()));
        });
    }

    [Fact]
    public async Task fragments_aliases_variables_directives_and_typename_answer_as_the_general_path()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        const string Query = """
            query Q($projectName: String!, $withLabel: Boolean!, $skipPath: Boolean!, $first: Int) {
              project(name: $projectName) {
                shots: folders(first: $first, folderTypes: ["Shot"], sortBy: "name") {
                  __typename
                  ...Page
                  edges { Cursor: cursor node { ...Folder Id: id label @include(if: $withLabel) path @skip(if: $skipPath) } }
                }
                all: folders(last: 2) { edges { node { name ... on FolderNode { allAttrib attrib { fps resolutionWidth } } } } pageInfo { hasPreviousPage startCursor } }
              }
            }
            fragment Page on FoldersConnection { pageInfo { hasNextPage endCursor } edges { node { __typename name } } }
            fragment Folder on FolderNode { id name tags data }
            """;
        foreach (var (withLabel, skipPath, first) in new[] { (true, false, 2), (false, true, 10) })
            await AssertSameAsync(api, Query, new { projectName = project, withLabel, skipPath, first },
                data => Assert.Equal("FoldersConnection", data["project"]!["shots"]!["__typename"]!.GetValue<string>()));
    }

    [Fact]
    public async Task nested_connections_and_next_pages_answer_as_the_general_path()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        const string Query = """
            query Q($projectName: String!, $after: String) {
              project(name: $projectName) {
                folders(first: 2, after: $after) {
                  edges { node { id name tasks { edges { node { id name allAttrib } } } products { edges { node { name versions(last: 1) { edges { node { version } } } } } } } }
                  pageInfo { endCursor hasNextPage }
                }
              }
            }
            """;
        var (first, _) = await BothAsync(api, Query, new { projectName = project, after = (string?)null });
        var cursor = JsonNode.Parse(first)!["data"]!["project"]!["folders"]!["pageInfo"]!["endCursor"]!.GetValue<string>();
        await AssertSameAsync(api, Query, new { projectName = project, after = (string?)null });
        await AssertSameAsync(api, Query, new { projectName = project, after = cursor },
            data => Assert.Equal(2, data["project"]!["folders"]!["edges"]!.AsArray().Count));
    }

    [Fact]
    public async Task a_pages_edges_are_written_while_its_rows_are_read_and_answer_as_the_general_path()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        const string Forward = """
            query Q($projectName: String!, $after: String) { project(name: $projectName) {
              tasks(first: 2, after: $after) { edges { cursor node { id name allAttrib ownAttrib data } } pageInfo { endCursor hasNextPage } } } }
            """;
        const string Backward = """
            query Q($projectName: String!, $before: String) { project(name: $projectName) {
              folders(last: 2, before: $before, sortBy: "name") { pageInfo { startCursor hasPreviousPage } edges { node { name path } cursor } } } }
            """;
        foreach (var (query, field, cursorField, next, cursorName) in new[]
        {
            (Forward, "tasks", "endCursor", "hasNextPage", "after"),
            (Backward, "folders", "startCursor", "hasPreviousPage", "before"),
        })
        {
            string? cursor = null;
            var pages = 0;
            do
            {
                var written = EdgeWriter.WrittenCount;
                var variables = new Dictionary<string, object?> { ["projectName"] = project, [cursorName] = cursor };
                JsonNode? pageInfo = null;
                await AssertSameAsync(api, query, variables, data => pageInfo = data["project"]![field]!["pageInfo"]);
                Assert.True(EdgeWriter.WrittenCount > written, $"page {pages} of {field} was not written while read");
                cursor = pageInfo![cursorField]?.GetValue<string>();
                pages++;
                if (!pageInfo[next]!.GetValue<bool>())
                    break;
            }
            while (pages < 10);
            Assert.Equal(2, pages); // three tasks, four folders: pages of two
        }

        // Two selections of edges: the connection is rendered, neither written while read.
        await AssertSameAsync(api, """
            query Q($projectName: String!) { project(name: $projectName) { folders(first: 3) { a: edges { node { id } } b: edges { cursor node { name } } } } }
            """, new { projectName = project });
    }

    [Fact]
    public async Task an_events_page_answers_byte_for_byte_as_the_general_path()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        await api.PostAsync("/api/events", new { topic = "test.rendered", project, description = "a \"quoted\" <b>é</b>", summary = new { n = 1, s = "x\n" }, payload = new { list = new[] { 1, 2 } } });
        foreach (var (fields, fragment) in new[]
        {
            ("id hash createdAt dependsOn description project retries sender status topic updatedAt user", ""),
            ("__typename id topic summary payload ...E", "fragment E on EventNode { when: updatedAt sender }"),
        })
            await AssertSameAsync(api, $$"""
                query Q($projects: [String!]) {
                  events(projects: $projects, last: 100) { edges { node { {{fields}} } cursor } pageInfo { startCursor hasPreviousPage endCursor hasNextPage } } }
                {{fragment}}
                """, new { projects = new[] { project } }, data => Assert.NotEmpty(data["events"]!["edges"]!.AsArray()));
        await AssertSameAsync(api, "{ users { edges { node { name attrib { fullName } } } } }", new { }, renders: false);
    }

    [Fact]
    public async Task tasks_that_share_their_folders_attributes_answer_each_their_own()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var first = await build.FolderAsync(name: "sq01", attrib: new { fps = 24.0, frameStart = 1001 });
        var second = await build.FolderAsync(name: "sq02", attrib: new { fps = 30.0, frameStart = 1001 });
        // In creation order: two of the first folder's, one of the second's, one of the first's with its own value, one of the first's.
        var tasks = new (string Name, string Folder, object? Attrib)[]
        {
            ("a1", first, null), ("a2", first, null), ("b1", second, null), ("a3", first, new { frameStart = 7 }), ("a4", first, null),
        };
        foreach (var (name, folder, attrib) in tasks)
            await build.CreateAsync("tasks", attrib is null
                ? new { name, taskType = "Animation", folderId = folder }
                : new { name, taskType = "Animation", folderId = folder, attrib });
        var expected = new Dictionary<string, (double Fps, int FrameStart, string[] Own)>
        {
            ["a1"] = (24.0, 1001, []),
            ["a2"] = (24.0, 1001, []),
            ["b1"] = (30.0, 1001, []),
            ["a3"] = (24.0, 7, ["frameStart"]),
            ["a4"] = (24.0, 1001, []),
        };
        await AssertSameAsync(app.Service(), """
            query Q($projectName: String!) { project(name: $projectName) {
              tasks(first: 100) { edges { node { name allAttrib ownAttrib } } }
              folders(first: 100) { edges { node { name allAttrib ownAttrib } } } } }
            """, new { projectName = project }, data =>
        {
            var answered = data["project"]!["tasks"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToList();
            Assert.Equal(["a1", "a2", "b1", "a3", "a4"], answered.Select(n => n["name"]!.GetValue<string>()));
            foreach (var node in answered)
            {
                var (fps, frameStart, own) = expected[node["name"]!.GetValue<string>()];
                var all = JsonNode.Parse(node["allAttrib"]!.GetValue<string>())!;
                Assert.Equal(fps, all["fps"]!.GetValue<double>());
                Assert.Equal(frameStart, all["frameStart"]!.GetValue<int>());
                Assert.Equal(own, node["ownAttrib"]!.AsArray().Select(n => n!.GetValue<string>()));
            }
            var folders = data["project"]!["folders"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToList();
            Assert.Equal([24.0, 30.0], folders.Select(n => JsonNode.Parse(n["allAttrib"]!.GetValue<string>())!["fps"]!.GetValue<double>()));
            Assert.All(folders, n => Assert.Equal(["fps", "frameStart"], n["ownAttrib"]!.AsArray().Select(o => o!.GetValue<string>()).Order()));
        });
    }

    [Fact]
    public void the_attributes_last_written_are_written_again_only_for_the_same_values_and_scope()
    {
        const string Text = """{"fps": 25.0, "comment": "say \"hi\" <b>", "frameStart": 1001}""";
        var first = JsonTextRows.Of(new Dictionary<string, string> { ["attrib"] = Text }, 1);
        var same = JsonTextRows.Of(new Dictionary<string, string> { ["attrib"] = Text }, 2);
        var other = JsonTextRows.Of(new Dictionary<string, string> { ["attrib"] = Text.Replace("1001", "1002") }, 3);
        HashSet<string> folder = ["fps", "frameStart"], version = ["fps", "comment"];
        static string Written(EntityNode node, HashSet<string> names)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = RenderedConnections.ResponseOptions.Encoder }))
                Assert.True(node.WriteInScopeJson(writer, "attrib", names));
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        static string Resolved(EntityNode node, HashSet<string> names) =>
            System.Text.Json.JsonSerializer.Serialize(node.InScopeJson("attrib", names), RenderedConnections.ResponseOptions);
        foreach (var (node, names, keys) in new[]
        {
            (first, folder, "fps frameStart"), (same, folder, "fps frameStart"), (same, version, "fps comment"), (first, version, "fps comment"),
            (other, version, "fps comment"), (other, folder, "fps frameStart"), (first, folder, "fps frameStart"),
        })
        {
            var written = Written(node, names);
            Assert.Equal(Resolved(node, names), written);
            var values = JsonNode.Parse(JsonNode.Parse(written)!.GetValue<string>())!.AsObject();
            Assert.Equal(keys, string.Join(' ', values.Select(p => p.Key)));
            if (keys.Contains("frameStart"))
                Assert.Equal(node == other ? 1002 : 1001, values["frameStart"]!.GetValue<int>());
        }
    }

    [Fact]
    public void a_row_read_as_its_values_is_the_same_row_when_asked_for_as_json()
    {
        var columns = new RowColumns(["_parent", "id", "name", "label", "tags", "active", "count", "big", "fps"]);
        var id = Guid.NewGuid().ToString("N");
        var node = new EntityNode("p", columns, ["f00d", id, "sh010", null, new[] { "hero", null, "<b>" }, true, 7, 1L << 40, 24.5], 3, null, null);
        Assert.Equal("sh010", node.Value("name"));
        Assert.Null(node.Value("label"));
        Assert.Null(node.Value("unknown"));
        Assert.Equal(Guid.Parse(id), node.Id);
        Assert.Equal(Guid.Parse(id), node.IdOf("id"));
        Assert.Null(node.IdOf("label"));
        node.Remove("_parent");
        Assert.Equal($$"""{"id":"{{id}}","name":"sh010","tags":["hero",null,"\u003Cb\u003E"],"active":true,"count":7,"big":1099511627776,"fps":24.5}""",
            node.Row.ToJsonString());
        // Once made, the row is the one its values are read from.
        node.Row["name"] = "sh020";
        Assert.Equal("sh020", ((System.Text.Json.Nodes.JsonValue)node.Value("name")!).GetValue<string>());
        Assert.Same(node.Row, node.Row);
    }

    [Fact]
    public async Task a_selection_with_a_parent_or_a_loader_field_answers_as_the_general_path()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        await AssertSameAsync(api, """
            query Q($projectName: String!) { project(name: $projectName) {
              tasks { edges { node { name folder { name path } } } }
              products { edges { node { name latestVersion { version } featuredVersion { version } } } }
            } }
            """, new { projectName = project }, renders: false);
    }
}

/// <summary>The rendered answer is the general one for users whose rights limit what they see (rows and attributes).</summary>
public sealed class rendered_connections_with_rights(AccessWorld world) : IClassFixture<AccessWorld>
{
    [Fact]
    public async Task users_with_limited_rights_get_the_general_paths_answer()
    {
        const string Query = """
            query Q($p: String!) { project(name: $p) {
              folders { edges { node { id name path allAttrib ownAttrib attrib { fps frameStart } tasks { edges { node { name allAttrib } } } } } pageInfo { hasNextPage } }
              representations { edges { node { id name files { path } allAttrib } } }
            } }
            """;
        var attributeGroup = Unique.Name("attribs");
        await world.Service().PutAsync($"/api/accessGroups/{attributeGroup}/_", new JsonObject
        {
            ["attrib_read"] = new JsonObject { ["enabled"] = true, ["attributes"] = new JsonArray("fps") },
        }, expect: 204);
        var attributeReader = await world.ArtistAsync(AccessWorld.Groups(world.Project, attributeGroup));
        foreach (var user in new[] { world.CharsArtist, world.Viewer, world.Outsider, world.Manager, attributeReader })
        {
            var (rendered, general) = await rendered_connections.BothAsync(user, Query, new { p = world.Project });
            Assert.Equal(general, rendered);
        }
        var (artist, _) = await rendered_connections.BothAsync(world.CharsArtist, Query, new { p = world.Project });
        var paths = JsonNode.Parse(artist)!["data"]!["project"]!["folders"]!["edges"]!.AsArray().Select(e => e!["node"]!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("/assets/chars/hero", paths);
        Assert.DoesNotContain("/shots/sh010", paths);
    }
}
