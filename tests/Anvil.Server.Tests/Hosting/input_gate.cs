using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Anvil.Server.Tests.Infrastructure;
using Npgsql;

namespace Anvil.Server.Tests.Hosting;

/// <summary>
/// One gate before every handler: malformed JSON bodies, NUL, unpaired surrogates, invalid UTF-8,
/// duplicate keys, nulls where a list is required, over-long strings and database data errors all
/// answer 400 naming the field — never 500, and never leaving a connection that fails the next request.
/// </summary>
public sealed class input_gate(AnvilApp app) : IClassFixture<AnvilApp>
{
    static Task<JsonNode> SendRawAsync(Api api, HttpMethod method, string path, byte[] body, int expect)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return api.SendAsync(new HttpRequestMessage(method, path) { Content = content }, expect);
    }

    static Task<JsonNode> SendRawAsync(Api api, HttpMethod method, string path, string json, int expect) =>
        SendRawAsync(api, method, path, Encoding.UTF8.GetBytes(json), expect);

    static void AssertNamesField(JsonNode error, params string[] field)
    {
        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.Equal("validation-error", error["errorCode"]!.GetValue<string>());
        var loc = error["errors"]![0]!["loc"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["body", .. field], loc);
        Assert.StartsWith(string.Join('.', field) + ":", error["detail"]!.GetValue<string>());
    }

    async Task<EntityBuilder> ProjectAsync() => new(app.Service(), await TestProjects.CreateAsync(app));

    // --- the text of the body ----------------------------------------------------------------------

    [Fact]
    public async Task invalid_json_to_operations_answers_400()
    {
        var build = await ProjectAsync();

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/operations", """{"operations": [{"type": "create",""", expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.Contains("operations", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_body_that_is_not_json_at_all_answers_400_without_a_field()
    {
        var error = await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", "name=admin&password=x", expect: 400);

        Assert.StartsWith("Request body is not valid JSON", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_duplicate_key_answers_400_naming_the_key()
    {
        var build = await ProjectAsync();
        var json = $$"""{"name": "{{Unique.Name("f")}}", "folderType": "Asset", "name": "other"}""";

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/folders", json, expect: 400);

        AssertNamesField(error, "name");
        Assert.Contains("more than once", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_duplicate_key_deep_in_an_operation_names_its_path()
    {
        var build = await ProjectAsync();
        var json = """{"operations": [{"type": "create", "entityType": "folder", "data": {"name": "a", "folderType": "Asset", "attrib": {"fps": 1, "fps": 2}}}]}""";

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/operations", json, expect: 400);

        AssertNamesField(error, "operations", "0", "data", "attrib", "fps");
    }

    [Fact]
    public async Task sibling_objects_may_share_keys_and_a_repeat_inside_a_later_one_is_still_refused()
    {
        var build = await ProjectAsync();
        const string First = """{"type": "create", "entityType": "folder", "data": {"name": "a", "folderType": "Asset"}}""";
        const string Second = """{"type": "create", "entityType": "folder", "data": {"name": "b", "folderType": "Asset"}}""";
        const string Repeating = """{"type": "create", "entityType": "folder", "data": {"name": "c", "folderType": "Asset", "name": "d"}}""";
        var fine = $$"""{"operations": [{{First}}, {{Second}}]}""";
        var repeated = $$"""{"operations": [{{First}}, {{Repeating}}]}""";

        var result = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/operations", fine, expect: 200);
        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/operations", repeated, expect: 400);

        Assert.True(result["success"]!.GetValue<bool>());
        AssertNamesField(error, "operations", "1", "data", "name");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_text_limit_counts_characters_not_bytes_whether_written_plain_or_escaped(bool escaped)
    {
        var build = await ProjectAsync();
        string Body(int length) => $$"""{"name": "{{Unique.Name("f")}}", "folderType": "Asset", "label": "{{string.Concat(Enumerable.Repeat(escaped ? "\u00e9" : "é", length))}}"}""";

        await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/folders", Body(1024), expect: 201);
        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/folders", Body(1025), expect: 400);

        AssertNamesField(error, "label");
    }

    [Fact]
    public async Task a_lone_surrogate_escape_answers_400_naming_the_field()
    {
        var build = await ProjectAsync();
        var json = $$"""{"name": "{{Unique.Name("f")}}", "folderType": "Asset", "label": "bad \ud800 label"}""";

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/folders", json, expect: 400);

        AssertNamesField(error, "label");
        Assert.Contains("surrogate", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task invalid_utf8_answers_400_naming_the_field()
    {
        var build = await ProjectAsync();
        var folder = await build.FolderAsync();
        var head = Encoding.UTF8.GetBytes("{\"name\": \"p_");
        var tail = Encoding.UTF8.GetBytes("\", \"productType\": \"model\", \"folderId\": \"" + folder + "\"}");
        byte[] body = [.. head, 0xC3, 0x28, .. tail];

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/products", body, expect: 400);

        AssertNamesField(error, "name");
        Assert.Contains("UTF-8", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_nul_in_an_operation_answers_400_naming_its_path()
    {
        var build = await ProjectAsync();
        var body = new { operations = new[] { new { type = "create", entityType = "folder", data = new { name = "a\0b", folderType = "Asset" } } } };

        var error = await app.Service().PostAsync($"/api/projects/{build.Project}/operations", body, expect: 400);

        AssertNamesField(error, "operations", "0", "data", "name");
        Assert.Contains("NUL", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_nul_in_a_folder_label_answers_400_and_nothing_is_stored()
    {
        var build = await ProjectAsync();
        var name = Unique.Name("f");

        var error = await app.Service().PostAsync($"/api/projects/{build.Project}/folders", new { name, folderType = "Asset", label = "x\0y" }, expect: 400);
        var stored = await Sql.ScalarAsync<long>(app, $"SELECT count(*) FROM project_{build.Project.ToLowerInvariant()}.folders WHERE name = @name", new { name });

        AssertNamesField(error, "label");
        Assert.Equal(0, stored);
    }

    [Fact]
    public async Task a_nul_in_a_key_answers_400_with_the_key_escaped()
    {
        var build = await ProjectAsync();
        var json = "{\"name\": \"" + Unique.Name("f") + "\", \"folderType\": \"Asset\", \"attrib\": {\"a\\u0000b\": 1}}";

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/folders", json, expect: 400);

        AssertNamesField(error, "attrib", "a\\u0000b");
    }

    [Fact]
    public async Task a_body_too_deep_answers_400()
    {
        var json = string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200));

        var error = await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", json, expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_nul_in_graphql_variables_answers_400_naming_the_variable()
    {
        var error = await app.Service().PostAsync("/graphql", new { query = "query($n: String!) { user(name: $n) { name } }", variables = new { n = "ad\0min" } }, expect: 400);

        AssertNamesField(error, "variables", "n");
    }

    // --- login -------------------------------------------------------------------------------------

    [Fact]
    public async Task login_without_credentials_answers_400_not_500()
    {
        var empty = await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", "{}", expect: 400);
        var nulls = await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", """{"name": null, "password": null}""", expect: 400);
        await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", "null", expect: 400);
        await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", "[]", expect: 400);

        Assert.Equal(400, empty["code"]!.GetValue<int>());
        Assert.Equal(400, nulls["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task login_with_a_nul_in_the_name_or_password_answers_400_naming_it()
    {
        var name = await app.Anonymous().PostAsync("/api/auth/login", new { name = "ad\0min", password = "x" }, expect: 400);
        var password = await app.Anonymous().PostAsync("/api/auth/login", new { name = "admin", password = "\0" }, expect: 400);

        AssertNamesField(name, "name");
        AssertNamesField(password, "password");
    }

    [Fact]
    public async Task login_still_works_after_malformed_logins()
    {
        for (var i = 0; i < 5; i++)
            await app.Anonymous().PostAsync("/api/auth/login", new { name = "admin\0", password = "\ud800" }, expect: 400);

        var api = await app.LoginAsync();

        await api.GetAsync("/api/users/me");
    }

    [Fact]
    public async Task a_malformed_body_without_credentials_on_a_protected_route_answers_401_first()
    {
        await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/projects/x/operations", "{\"operations\": [", expect: 401);
    }

    // --- API keys ----------------------------------------------------------------------------------

    [Fact]
    public async Task an_api_key_label_with_a_nul_answers_400_and_the_next_request_succeeds()
    {
        var user = await Users.CreateAsync(app);
        var api = app.Service();

        var error = await api.PostAsync($"/api/users/{user}/apikeys", new { label = "bad\0label" }, expect: 400);
        var next = await api.PostAsync($"/api/users/{user}/apikeys", new { label = "good" });
        var keys = await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM api_keys WHERE user_name = @user", new { user });

        AssertNamesField(error, "label");
        Assert.False(string.IsNullOrEmpty(next["key"]!.GetValue<string>()));
        Assert.Equal(1, keys);
        var keyed = app.Anonymous();
        keyed.Http.DefaultRequestHeaders.Add("X-Api-Key", next["key"]!.GetValue<string>());
        await keyed.GetAsync("/api/users/me");
    }

    [Fact]
    public async Task many_api_key_labels_with_a_nul_leave_no_connection_out_of_step()
    {
        var user = await Users.CreateAsync(app);
        var api = app.Service();

        for (var i = 0; i < 10; i++)
            await api.PostAsync($"/api/users/{user}/apikeys", new { label = $"bad\0{i}" }, expect: 400);
        for (var i = 0; i < 10; i++)
            await api.GetAsync($"/api/users/{user}/apikeys");
    }

    // --- the URL -----------------------------------------------------------------------------------

    [Fact]
    public async Task a_nul_in_a_query_value_answers_400_naming_it_and_the_next_request_succeeds()
    {
        var build = await ProjectAsync();

        var error = await app.Service().GetAsync($"/api/projects/{build.Project}/folders?name=a%00b", expect: 400);
        await app.Service().GetAsync($"/api/projects/{build.Project}/folders?attrib=true");

        var loc = error["errors"]![0]!["loc"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["query", "name"], loc);
    }

    // --- nulls where a list or object is required --------------------------------------------------

    [Fact]
    public async Task operations_null_answers_400_naming_the_field()
    {
        var build = await ProjectAsync();

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/operations", """{"operations": null}""", expect: 400);

        AssertNamesField(error, "operations");
    }

    [Fact]
    public async Task operations_left_out_still_means_an_empty_batch()
    {
        var build = await ProjectAsync();

        await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/operations", "{}", expect: 200);
    }

    [Fact]
    public async Task bulk_links_null_answers_400_naming_the_field()
    {
        var build = await ProjectAsync();

        var error = await SendRawAsync(app.Service(), HttpMethod.Post, $"/api/projects/{build.Project}/links/bulk", """{"links": null}""", expect: 400);

        AssertNamesField(error, "links");
    }

    // --- lengths -----------------------------------------------------------------------------------

    [Fact]
    public async Task a_20_mb_product_type_is_refused_naming_the_field()
    {
        var build = await ProjectAsync();
        var folder = await build.FolderAsync();

        var error = await app.Service().PostAsync($"/api/projects/{build.Project}/products",
            new { name = Unique.Name("p"), productType = new string('m', 20_000_000), folderId = folder }, expect: 400);

        AssertNamesField(error, "productType");
        Assert.Contains("AYON_MAX_NAME_LENGTH", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_20_mb_folder_label_is_refused_naming_the_field()
    {
        var build = await ProjectAsync();

        var error = await app.Service().PostAsync($"/api/projects/{build.Project}/folders",
            new { name = Unique.Name("f"), folderType = "Asset", label = new string('l', 20_000_000) }, expect: 400);

        AssertNamesField(error, "label");
    }

    [Fact]
    public async Task a_label_at_the_limit_is_stored_and_one_over_is_refused()
    {
        var build = await ProjectAsync();

        await app.Service().PostAsync($"/api/projects/{build.Project}/folders", new { name = Unique.Name("f"), folderType = "Asset", label = new string('l', 1024) }, expect: 201);
        var error = await app.Service().PostAsync($"/api/projects/{build.Project}/folders", new { name = Unique.Name("f"), folderType = "Asset", label = new string('l', 1025) }, expect: 400);

        AssertNamesField(error, "label");
    }

    [Fact]
    public async Task a_name_over_the_limit_in_an_operation_is_refused_naming_its_path()
    {
        var build = await ProjectAsync();
        var body = new { operations = new[] { new { type = "create", entityType = "folder", data = new { name = new string('n', 256), folderType = "Asset" } } } };

        var error = await app.Service().PostAsync($"/api/projects/{build.Project}/operations", body, expect: 400);

        AssertNamesField(error, "operations", "0", "data", "name");
    }

    [Fact]
    public async Task free_text_over_the_limit_is_refused_naming_the_field()
    {
        var build = await ProjectAsync();
        var folder = await build.FolderAsync();

        var error = await app.Service().PatchAsync($"/api/projects/{build.Project}/folders/{folder}",
            new { attrib = new { description = new string('d', 65_537) } }, expect: 400);

        AssertNamesField(error, "attrib", "description");
        Assert.Contains("AYON_MAX_TEXT_LENGTH", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_body_over_the_json_cap_answers_413()
    {
        var body = new byte[33 * 1024 * 1024];
        Array.Fill(body, (byte)' ');

        var error = await SendRawAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", body, expect: 413);

        Assert.Equal(413, error["code"]!.GetValue<int>());
    }

    /// <summary>A body sent without a length (chunked), as HttpClient sends JSON content.</summary>
    static Task<JsonNode> SendChunkedAsync(Api api, HttpMethod method, string path, byte[] body, int expect)
    {
        var content = new StreamContent(new UnknownLength(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return api.SendAsync(new HttpRequestMessage(method, path) { Content = content }, expect);
    }

    sealed class UnknownLength(byte[] body) : MemoryStream(body)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task a_chunked_body_many_times_the_first_buffer_is_read_whole_checked_and_bound()
    {
        var build = await ProjectAsync();
        var folder = await build.FolderAsync();
        var data = Enumerable.Range(0, 3_000).ToDictionary(i => $"key{i}", i => $"value {i} ✓");
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["data"] = JsonSerializer.SerializeToNode(data),
            ["attrib"] = new JsonObject { ["description"] = new string('d', 60_000) },
        }.ToJsonString());
        Assert.True(body.Length > 100_000);

        await SendChunkedAsync(app.Service(), HttpMethod.Patch, $"/api/projects/{build.Project}/folders/{folder}", body, expect: 204);

        var stored = await app.Service().GetAsync($"/api/projects/{build.Project}/folders/{folder}");
        Assert.Equal("value 0 ✓", stored["data"]!["key0"]!.GetValue<string>());
        Assert.Equal("value 2999 ✓", stored["data"]!["key2999"]!.GetValue<string>());
        Assert.Equal(60_000, stored["attrib"]!["description"]!.GetValue<string>().Length);

        // The check sees the end of a chunked body too.
        var tooLong = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["data"] = JsonSerializer.SerializeToNode(data),
            ["attrib"] = new JsonObject { ["description"] = new string('d', 65_537) },
        }.ToJsonString());
        var error = await SendChunkedAsync(app.Service(), HttpMethod.Patch, $"/api/projects/{build.Project}/folders/{folder}", tooLong, expect: 400);
        AssertNamesField(error, "attrib", "description");
    }

    [Fact]
    public async Task a_chunked_body_over_the_json_cap_answers_413()
    {
        var body = new byte[33 * 1024 * 1024];
        Array.Fill(body, (byte)' ');

        var error = await SendChunkedAsync(app.Anonymous(), HttpMethod.Post, "/api/auth/login", body, expect: 413);

        Assert.Equal(413, error["code"]!.GetValue<int>());
    }

    // --- database data errors ----------------------------------------------------------------------

    [Fact]
    public async Task a_numeric_overflow_in_link_type_data_answers_400()
    {
        var build = await ProjectAsync();
        var json = """{"data": {"weight": 1e999999}}""";

        var error = await SendRawAsync(app.Service(), HttpMethod.Put, $"/api/projects/{build.Project}/links/types/huge|folder|folder", json, expect: 400);

        Assert.Equal(400, error["code"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(PostgresErrorCodes.CharacterNotInRepertoire)]
    [InlineData(PostgresErrorCodes.UntranslatableCharacter)]
    [InlineData(PostgresErrorCodes.NumericValueOutOfRange)]
    [InlineData(PostgresErrorCodes.StringDataRightTruncation)]
    [InlineData(PostgresErrorCodes.InvalidTextRepresentation)]
    public void a_database_data_error_is_a_400(string sqlState)
    {
        var error = PostgresErrors.Translate(new PostgresException("value quoted here", "ERROR", "ERROR", sqlState));

        Assert.Equal(400, error.Status);
        Assert.DoesNotContain("quoted", error.Message);
    }

    // --- logs --------------------------------------------------------------------------------------

    [Fact]
    public void user_text_is_escaped_and_capped_before_it_reaches_the_log()
    {
        Assert.Equal("a\\u0000b\\u000a\\u001bc", LogText.Sanitize("a\0b\n\u001bc"));
        Assert.Equal(new string('x', 10) + "…", LogText.Sanitize(new string('x', 50), maxLength: 10));
        Assert.Equal("", LogText.Sanitize(null));
    }

    [Fact]
    public void a_repeated_key_is_refused_however_it_is_written_and_whatever_its_siblings_held()
    {
        var options = new AyonOptions();
        string Refused(string json) => Assert.Throws<BadRequest>(() => InputGate.Check(Encoding.UTF8.GetBytes(json), options)).Message;
        var many = string.Join(", ", Enumerable.Range(0, 20).Select(i => $"\"k{i}\": {i}"));
        var longName = new string('n', options.MaxNameLength + 1);

        InputGate.Check("""[{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 3}, {"c": 1, "a": 2}]"""u8, options);

        Assert.StartsWith("a:", Refused("""{"a": 1, "\u0061": 2}"""));
        Assert.StartsWith("1.c:", Refused("""[{"a": 1, "b": 2, "c": 3}, {"a": 1, "c": 2, "c": 3}]"""));
        Assert.StartsWith("1.b:", Refused("""[{"a": 1, "b": 2}, {"a": 1, "b": 2, "b": 3}]"""));
        Assert.StartsWith("k0:", Refused($$"""{{{many}}, "k0": 1}"""));
        Assert.StartsWith("1.k0:", Refused($$"""[{{{many}}}, {{{many}}, "k0": 1}]"""));
        // A key matched against the sibling before it keeps its own limit.
        Assert.StartsWith("1.name:", Refused($$"""[{"name": "a", "text": "b"}, {"name": "{{longName}}", "text": "c"}]"""));
        Assert.Contains("AYON_MAX_NAME_LENGTH", Refused($$"""[{"name": "a"}, {"name": "{{longName}}"}]"""));
    }

    [Fact]
    public void a_request_body_is_checked_once_and_the_valid_ones_pass()
    {
        var options = new AyonOptions();

        InputGate.Check("""{"name": "ok", "list": [1, {"a": "\ud83d\ude00"}], "label": null}"""u8, options);
        var error = Assert.Throws<BadRequest>(() => InputGate.Check("""{"list": [1, {"a": "x\u0000"}]}"""u8, options));

        Assert.StartsWith("list.1.a:", error.Message);
    }
}
