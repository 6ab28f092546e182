using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.GraphQL;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// <c>data</c> and <c>context</c> of a rendered connection are written from the column's text in one pass
/// (<see cref="JsonbText"/>) when it is plain ASCII; the bytes are the two-step path's (compact, then escaped).
/// </summary>
public sealed class jsonb_text(AnvilApp app) : IClassFixture<AnvilApp>
{
    // As PostgreSQL writes jsonb: a space after ':' and ',' outside strings, keys in its order.
    static readonly string[] Texts =
    [
        """{"a": 1, "b": [1, 1.50, 1000, -0.0, null, true, false, {}, []], "c": {"d": "x: y, {z} [w]"}}""",
        """{"context": {"folder": {"name": "sh<010> & 'x' +1 `c` >"}, "list": [{"k": "v"}, []]}, "comment": "a, b: c"}""",
        """{"context": null, "x": 1}""",
        """{"x": {"context": {"deep": 1}}}""",
        """{"context": "text", "y": [1, {"context": 2}]}""",
        """{"context": 12.5}""",
        """{"context": {}}""",
        "{}",
        "null",
        "[1, 2, {\"a\": \"b\"}]",
        "\"just text\"",
    ];

    static string Written(Func<Utf8JsonWriter, bool> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = RenderedConnections.ResponseOptions.Encoder, SkipValidation = true }))
        {
            writer.WriteStartArray();
            Assert.True(write(writer));
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static string Serialized(string? value) => $"[{JsonSerializer.Serialize(value, RenderedConnections.ResponseOptions)}]";

    static EntityNode Row(string text) => JsonTextRows.Of(new Dictionary<string, string> { ["data"] = text });

    static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void plain_text_is_written_in_one_pass_as_the_compact_json_string_the_resolver_answers()
    {
        foreach (var text in Texts)
        {
            var row = Row(text);
            Assert.Equal(Serialized(row.DataJson("data")), Written(w => JsonbText.TryWriteData(w, Utf8(text))));
            if (text.StartsWith('{'))
                Assert.Equal(Serialized(row.MemberJson("data", "context")), Written(w => JsonbText.TryWriteMember(w, Utf8(text), "context")));
        }
    }

    static readonly string LongName = new('n', 129);

    [Fact]
    public void attributes_in_scope_are_written_in_one_pass_as_the_resolver_answers()
    {
        var texts = Texts.Append("""{"fps": 25.0, "clipIn": 1, "<b>": "x & y", "frameEnd": 1001, "priority": "normal", "resolutionWidth": 1920}""")
            .Append("""{"q": "say \"hi\"", "fps": 24}""").Append("""{"u": "日本", "fps": 24}""")
            .Append($$"""{"{{LongName}}": 1, "fps": 24}""");
        foreach (var names in new HashSet<string>[] { ["a", "c", "context", "fps", "<b>", "priority", "u", "q", LongName], [], ["x"], ["frameEnd", "resolutionWidth"] })
            foreach (var text in texts)
            {
                var row = Row(text);
                // A name longer than any attribute's is left to the two-step path too.
                var plain = text.StartsWith('{') && !text.Contains('\\') && text.All(char.IsAscii) && !text.Contains(LongName);
                Assert.Equal(plain, !JsonbText.InScope(new Utf8JsonWriter(new ArrayBufferWriter<byte>()), Utf8(text), names).IsEmpty);
                // Twice: the second answer comes from the thread's last one.
                for (var i = 0; i < 2; i++)
                    Assert.Equal(Serialized(row.InScopeJson("data", names)), Written(w => row.WriteInScopeJson(w, "data", names)));
            }
    }

    [Fact]
    public void text_with_escapes_or_non_ascii_is_left_to_the_two_step_path_which_answers_the_same()
    {
        foreach (var text in new[] { """{"q": "say \"hi\""}""", """{"u": "日本"}""", """{"p": "C:\\x"}""", """{"c": "\u0001"}""" })
        {
            var row = Row(text);
            Assert.False(JsonbText.TryWriteData(new Utf8JsonWriter(new ArrayBufferWriter<byte>()), Utf8(text)));
            Assert.Equal(Serialized(row.DataJson("data")), Written(w => row.WriteDataJson(w, "data")));
            Assert.Equal(Serialized(row.MemberJson("data", "context")), Written(w => row.WriteMemberJson(w, "data", "context")));
        }
    }

    [Fact]
    public async Task versions_and_representations_data_and_context_answer_as_the_general_path_and_whole()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var product = await build.ProductAsync();
        var datas = Texts.Where(t => t.StartsWith('{')).Select(t => JsonNode.Parse(t)!).ToList();
        var versions = new List<string>();
        foreach (var data in datas)
        {
            var version = await build.CreateAsync("versions", new { version = versions.Count + 1, productId = product, data });
            versions.Add(version);
            await build.CreateAsync("representations", new { name = $"r{versions.Count}", versionId = version, data });
        }

        var (rendered, general) = await rendered_connections.BothAsync(app.Service(), """
            query Q($projectName: String!, $versionIds: [String!], $productIds: [String!]) { project(name: $projectName) {
              versions(productIds: $productIds, first: 300) { edges { node { id data } } }
              representations(versionIds: $versionIds, first: 300) { edges { node { id data context } } } } }
            """, new { projectName = project, versionIds = versions, productIds = new[] { product } });

        Assert.Equal(general, rendered);
        var answer = JsonNode.Parse(rendered)!["data"]!["project"]!;
        var representations = answer["representations"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToList();
        Assert.Equal(datas.Count, representations.Count);
        for (var i = 0; i < datas.Count; i++)
        {
            var data = datas[i].AsObject();
            var expected = data.Count == 0 ? null : data;
            Assert.True(JsonNode.DeepEquals(expected, representations[i]["data"]?.GetValue<string>() is { } text ? JsonNode.Parse(text) : null));
            var context = data["context"] ?? new JsonObject();
            Assert.True(JsonNode.DeepEquals(context, JsonNode.Parse(representations[i]["context"]!.GetValue<string>())), representations[i]["context"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task files_are_written_from_the_column_and_answer_as_the_general_path()
    {
        var project = await TestProjects.CreateAsync(app);
        var build = new EntityBuilder(app.Service(), project);
        var version = await build.VersionAsync();
        string File(string name) => $$"""{"id": "{{EntityBuilder.NewId()}}", "name": "{{name}}", "path": "/x/{{name}}", "size": 123456789012, "hash": "h<1>+'q'", "hashType": "op3"}""";
        var plain = JsonNode.Parse($"[{File("a.exr")}, {File("b, c: {d}.exr")}, {{\"id\": \"{EntityBuilder.NewId()}\", \"name\": \"n\", \"path\": \"/n\", \"size\": 0, \"hash\": null}}]")!;
        var noName = JsonNode.Parse($"[{File("a.exr")}, {{\"id\": \"{EntityBuilder.NewId()}\", \"path\": \"/x/seq.0001.exr\", \"size\": 5}}]")!;
        var ids = new List<string>();
        foreach (var files in new[] { plain, noName })
            ids.Add(await build.CreateAsync("representations", new { name = $"r{ids.Count}", versionId = version, files }));

        var (rendered, general) = await rendered_connections.BothAsync(app.Service(), """
            query Q($projectName: String!, $versionIds: [String!]) { project(name: $projectName) {
              representations(versionIds: $versionIds, first: 300) { edges { node { id fileCount
                files { __typename name hash id path size weight: size hashType } } } } } }
            """, new { projectName = project, versionIds = new[] { version } });

        Assert.Equal(general, rendered);
        var nodes = JsonNode.Parse(rendered)!["data"]!["project"]!["representations"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToList();
        Assert.Equal(["a.exr", "b, c: {d}.exr", "n"], nodes[0]["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Equal(["h<1>+'q'", "h<1>+'q'", null], nodes[0]["files"]!.AsArray().Select(f => f!["hash"]?.GetValue<string>()));
        Assert.Equal("123456789012", nodes[0]["files"]![0]!["weight"]!.GetValue<string>());
        Assert.Equal("FileNode", nodes[0]["files"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal("seq.0001.exr", nodes[1]["files"]![1]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void plain_files_are_written_in_one_pass_and_others_left_to_the_resolver()
    {
        SelectedScalar[] fields = [new(JsonEncodedText.Encode("name"), "name", null), new(JsonEncodedText.Encode("size"), "size", null)];
        Assert.Equal("""[[{"name":"a","size":"12"}]]""",
            Written(w => JsonbText.TryWriteObjects(w, Utf8("""[{"name": "a", "path": "/a", "size": 12}, 3]"""), fields, "name")));
        foreach (var text in new[] { """[{"path": "/a"}]""", """[{"name": "a", "size": [1]}]""", """[{"name": "\u00e9"}]""", """{"name": "a"}""" })
            Assert.False(JsonbText.TryWriteObjects(new Utf8JsonWriter(new ArrayBufferWriter<byte>()), Utf8(text), fields, "name"));
    }
}
