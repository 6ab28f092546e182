using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.GraphQL;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// A connection selects only the columns its query's fields read (the costly counts and
/// <c>hasVersions</c> only when asked), and JSON columns stay text until a field needs them as JSON:
/// whatever else is selected, and however (fragments, aliases), every field reads the same value.
/// </summary>
public sealed class field_projection(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string FolderFields = """
        id name label folderType type path parentId active thumbnailId thumbnailHash data status tags parents allAttrib ownAttrib
        hasChildren hasTasks hasProducts hasVersions childCount taskCount productCount createdAt updatedAt createdBy updatedBy projectName
        attrib { frameStart fps }
        """;

    const string TaskFields = "id name label taskType type folderId assignees data allAttrib ownAttrib path parents status tags attrib { frameStart }";

    const string ProductFields = "id name folderId productType type path data allAttrib ownAttrib versionList { id version name }";

    const string VersionFields = "id name version productId taskId author heroVersionId isLatest thumbnailId path parents data allAttrib ownAttrib";

    const string RepresentationFields = "id name versionId context traits fileCount files { id name path size hash } data allAttrib ownAttrib path parents";

    static string Connection(string connection, string fields) => $$"""
        query Q($projectName: String!) { project(name: $projectName) { {{connection}}(first: 100) { edges { node { {{fields}} } } } } }
        """;

    static List<JsonNode> Nodes(JsonNode data, string connection) =>
        [.. data["project"]![connection]!["edges"]!.AsArray().Select(e => e!["node"]!)];

    async Task<string> ProjectAsync()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var root = await build.FolderAsync(name: "ep01", attrib: new { frameStart = 1002 });
        var shot = await build.CreateAsync("folders", new
        {
            name = "sh010",
            folderType = "Shot",
            parentId = root,
            label = "Shot <10> & \"more\" é",
            data = new { key = "välue <b>", nested = new { list = new object[] { 1, 1.5, "x\n" } } },
            tags = new[] { "hero" },
            attrib = new { fps = 25.0 },
        });
        var task = await build.CreateAsync("tasks", new { name = "anim", taskType = "Animation", folderId = shot, assignees = new[] { "admin" }, attrib = new { frameStart = 7 } });
        var product = await build.CreateAsync("products", new { name = "animMain", productType = "animation", folderId = shot });
        var version = await build.CreateAsync("versions", new { version = 1, productId = product, taskId = task, data = new { comment = "first" } });
        await build.CreateAsync("versions", new { version = -1, productId = product });
        await build.CreateAsync("representations", new
        {
            name = "exr",
            versionId = version,
            traits = new { colorspace = "ACEScg" },
            files = new[] { new { id = EntityBuilder.NewId(), path = "/show/sh010/anim.1001.exr", size = 123456789012L, hash = "abc", hashType = "op3" } },
            data = new { context = new { folder = new { name = "sh010" } } },
        });
        return project;
    }

    [Fact]
    public async Task every_field_reads_the_same_value_alone_as_among_all_the_others()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        foreach (var (connection, fields) in new[]
        {
            ("folders", FolderFields), ("tasks", TaskFields), ("products", ProductFields), ("versions", VersionFields), ("representations", RepresentationFields),
        })
        {
            var all = Nodes(await api.QueryAsync(Connection(connection, fields), new { projectName = project }), connection).OrderBy(n => n["id"]!.ToString()).ToList();
            Assert.NotEmpty(all);
            foreach (var field in TopLevel(fields))
            {
                var selection = fields.Contains(field + " {", StringComparison.Ordinal) ? fields[fields.IndexOf(field + " {", StringComparison.Ordinal)..][..(fields[fields.IndexOf(field + " {", StringComparison.Ordinal)..].IndexOf('}') + 1)] : field;
                var alone = Nodes(await api.QueryAsync(Connection(connection, "id " + selection), new { projectName = project }), connection)
                    .OrderBy(n => n["id"]!.ToString()).ToList();
                Assert.Equal(all.Select(n => n[field]?.ToJsonString()), alone.Select(n => n[field]?.ToJsonString()));
            }
        }
    }

    [Fact]
    public async Task fields_in_fragments_and_under_aliases_are_read_too()
    {
        var project = await ProjectAsync();
        var api = app.Service();
        var plain = Nodes(await api.QueryAsync(Connection("folders", "id allAttrib hasVersions childCount data"), new { projectName = project }), "folders");

        var data = await api.QueryAsync("""
            query Q($projectName: String!) { project(name: $projectName) {
              folders(first: 100) { edges { ...Edge } } } }
            fragment Edge on FolderEdge { node { id ...Counts ... on FolderNode { attributes: allAttrib } } }
            fragment Counts on FolderNode { hasVersions kids: childCount data }
            """, new { projectName = project });

        var nodes = Nodes(data, "folders");
        Assert.Equal(plain.Select(n => n["allAttrib"]!.GetValue<string>()), nodes.Select(n => n["attributes"]!.GetValue<string>()));
        Assert.Equal(plain.Select(n => n["hasVersions"]!.GetValue<bool>()), nodes.Select(n => n["hasVersions"]!.GetValue<bool>()));
        Assert.Equal(plain.Select(n => n["childCount"]!.GetValue<int>()), nodes.Select(n => n["kids"]!.GetValue<int>()));
        Assert.Equal(plain.Select(n => n["data"]?.ToJsonString()), nodes.Select(n => n["data"]?.ToJsonString()));
        Assert.Contains(nodes, n => n["hasVersions"]!.GetValue<bool>());
    }

    [Fact]
    public void every_entity_definition_reads_its_rows_from_one_column_list()
    {
        foreach (var definition in EntityRegistry.All)
        {
            var aliases = definition.AllColumns.Select(c => c.Alias).ToList();
            Assert.Equal(aliases.Distinct(), aliases);
            Assert.Contains("id", aliases);
            Assert.Contains("attrib", aliases);
            Assert.StartsWith("FROM " + definition.Table + " e", definition.From.Trim(), StringComparison.Ordinal);
            Assert.Equal($"SELECT {definition.SelectList(definition.Columns.Select(c => c.Alias).ToHashSet())}\n{definition.From}", definition.Select);
            Assert.All(definition.GraphColumns, c => Assert.DoesNotContain($"\"{c.Alias}\"", definition.Select, StringComparison.Ordinal));
        }
        var folder = EntityRegistry.Get("folder");
        var counts = folder.SelectList(new HashSet<string>(["childCount"]));
        Assert.Contains("\"childCount\"", counts, StringComparison.Ordinal);
        Assert.DoesNotContain("\"taskCount\"", counts, StringComparison.Ordinal);
        Assert.DoesNotContain("hasVersions", folder.SelectList(new HashSet<string>(["allAttrib", "name"])), StringComparison.Ordinal);
        Assert.StartsWith("e.id", folder.SelectList(new HashSet<string>()), StringComparison.Ordinal);
    }

    [Fact]
    public void json_string_fields_written_from_the_text_equal_those_of_the_parsed_json()
    {
        const string attrib = """{"a": 1, "b": 1.50, "c": "<tag> & 'q' \"dq\" é ü 日本", "d": [1, 2.0, null, true], "e": {"x": "\n\t\\"}, "f": 1e3, "g": -0.0}""";
        const string data = """{"key": "välue <b>", "n": {"list": [1, 1.5, "x\n"]}, "u": "\u2028 \ud83d\ude00"}""";
        HashSet<string> names = ["a", "c", "d", "e", "f", "g", "z"];
        EntityNode Node(bool asText) => asText
            ? JsonTextRows.Of(new Dictionary<string, string> { ["attrib"] = attrib, ["data"] = data, ["empty"] = "{}", ["nothing"] = "null" })
            : new EntityNode("p", new JsonObject { ["attrib"] = JsonNode.Parse(attrib), ["data"] = JsonNode.Parse(data), ["empty"] = new JsonObject() }, 1);

        var (text, parsed) = (Node(asText: true), Node(asText: false));

        Assert.Equal(parsed.InScopeJson("attrib", names), text.InScopeJson("attrib", names));
        Assert.Equal(parsed.NamesIn("attrib", names), text.NamesIn("attrib", names));
        Assert.Equal(parsed.DataJson("data"), text.DataJson("data"));
        Assert.Null(text.DataJson("empty"));
        Assert.Equal(parsed.InScopeJson("empty", names), text.InScopeJson("empty", names));
        Assert.Equal(parsed.NamesIn("empty", names), text.NamesIn("empty", names));
        Assert.Null(text.DataJson("nothing"));
        Assert.Null(parsed.DataJson("empty"));
        Assert.Equal(parsed.Json("attrib")!.ToJsonString(), text.Json("attrib")!.ToJsonString());
        // Once parsed, the same answer.
        Assert.Equal(parsed.InScopeJson("attrib", names), text.InScopeJson("attrib", names));

        // The rendering writes them from UTF-8: the bytes the resolvers' strings are written as.
        foreach (var node in new[] { text, parsed })
        {
            Assert.Equal(Written(w => w.WriteStringValue(node.DataJson("data"))), Written(w => node.WriteDataJson(w, "data")));
            Assert.Equal(Written(w => w.WriteStringValue(node.InScopeJson("attrib", names))), Written(w => node.WriteInScopeJson(w, "attrib", names)));
            Assert.Equal(Written(w => w.WriteStringValue(node.MemberJson("attrib", "e"))), Written(w => node.WriteMemberJson(w, "attrib", "e")));
            Assert.Equal(Written(w => w.WriteStringValue(node.MemberJson("data", "absent"))), Written(w => node.WriteMemberJson(w, "data", "absent")));
            Assert.Equal("[null]", Written(w => node.WriteDataJson(w, "empty")));
        }
    }

    /// <summary>What <paramref name="write"/> writes as the one value of an array, with the response's encoder.</summary>
    static string Written(Action<System.Text.Json.Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = RenderedConnections.ResponseOptions.Encoder }))
        {
            writer.WriteStartArray();
            write(writer);
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void text_written_from_utf8_is_escaped_as_the_writer_escapes_it()
    {
        var texts = Enumerable.Range(0, 128).Select(b => ((char)b).ToString())
            .Concat(["", "{\"a\":\"<b> & 'c' + `d`\\n\"}", "plain text", "\u00e9 \u65e5\u672c \u2028 \ud83d\ude00", "\"\u007f\u0000\"", new string('"', 5000)]);
        foreach (var encoder in new[] { null, RenderedConnections.ResponseOptions.Encoder, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            foreach (var text in texts)
            {
                string Write(Action<System.Text.Json.Utf8JsonWriter, byte[]> write)
                {
                    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                    using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = encoder }))
                    {
                        writer.WriteStartArray();
                        write(writer, System.Text.Encoding.UTF8.GetBytes(text));
                        write(writer, System.Text.Encoding.UTF8.GetBytes(text));
                        writer.WriteEndArray();
                    }
                    return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
                }
                Assert.Equal(Write((w, utf8) => w.WriteStringValue(utf8)), Write((w, utf8) => Utf8StringValue.Write(w, utf8)));
            }
    }

    [Fact]
    public void a_select_leaves_out_the_joins_nothing_in_it_reads()
    {
        var representation = EntityRegistry.Get("representation");
        var own = representation.WithoutUnreadJoins($"SELECT e.id, e.data\n{representation.From}\nWHERE e.version_id = ANY(@ids)");
        Assert.Equal("SELECT e.id, e.data\nFROM representations e\nWHERE e.version_id = ANY(@ids)", own);
        // A product's column needs the version's join too (its ON reads v.); the folder's stays out.
        var product = representation.WithoutUnreadJoins($"SELECT e.id, p.name\n{representation.From}\nWHERE true");
        Assert.Contains("JOIN versions v ON", product, StringComparison.Ordinal);
        Assert.Contains("JOIN products p ON", product, StringComparison.Ordinal);
        Assert.DoesNotContain("JOIN folders f", product, StringComparison.Ordinal);
        // The path (f.) keeps every join; so does a condition naming the folder.
        var all = representation.WithoutUnreadJoins($"SELECT e.id\n{representation.From}\nWHERE f.path LIKE 'a%'");
        Assert.Equal($"SELECT e.id\n{representation.From}\nWHERE f.path LIKE 'a%'", all);
        var folder = EntityRegistry.Get("folder");
        Assert.Equal("SELECT e.id\nFROM folders e\nWHERE e.name = @name", folder.WithoutUnreadJoins($"SELECT e.id\n{folder.From}\nWHERE e.name = @name"));
        Assert.Equal($"SELECT p.attrib\n{folder.From}", folder.WithoutUnreadJoins($"SELECT p.attrib\n{folder.From}"));
    }

    static IEnumerable<string> TopLevel(string fields)
    {
        var depth = 0;
        foreach (var token in fields.Replace("{", " { ", StringComparison.Ordinal).Replace("}", " } ", StringComparison.Ordinal)
                     .Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == "{")
                depth++;
            else if (token == "}")
                depth--;
            else if (depth == 0)
                yield return token;
        }
    }
}
