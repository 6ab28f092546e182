using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>POST/GET /graphql: the envelope, errors with HTTP 200, authentication as REST, query limits.</summary>
public sealed class graphql_transport(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task a_query_answers_data_for_the_authenticated_user()
    {
        var data = await app.Service().QueryAsync("query Me { me { name isService isAdmin } }");

        Assert.Equal("service", data["me"]!["name"]!.GetValue<string>());
        Assert.True(data["me"]!["isService"]!.GetValue<bool>());
    }

    [Fact]
    public async Task variables_are_bound()
    {
        var data = await (await app.LoginAsync()).QueryAsync("query U($name: String!) { user(name: $name) { name isAdmin } }", new { name = "admin" });

        Assert.Equal("admin", data["user"]!["name"]!.GetValue<string>());
        Assert.True(data["user"]!["isAdmin"]!.GetValue<bool>());
    }

    [Fact]
    public async Task without_credentials_it_answers_401()
    {
        var error = await app.Anonymous().PostAsync("/graphql", new { query = "{ me { name } }" }, expect: 401);

        Assert.Equal(401, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_syntax_error_comes_back_in_errors_with_http_200()
    {
        var result = await app.Service().GraphQLAsync("query { me { name ");

        var error = result["errors"]![0]!;
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        Assert.NotNull(error["locations"]![0]!["line"]);
    }

    [Fact]
    public async Task an_unknown_field_comes_back_in_errors_naming_it()
    {
        var result = await app.Service().GraphQLAsync("{ me { name noSuchField } }");

        Assert.Contains("noSuchField", result["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Null(result["data"]);
    }

    [Fact]
    public async Task the_has_links_filter_enum_exists_for_the_client()
    {
        var data = await app.Service().QueryAsync("""{ __type(name: "HasLinksFilter") { enumValues { name } } }""");

        var values = data["__type"]!["enumValues"]!.AsArray().Select(v => v!["name"]!.GetValue<string>());
        Assert.Equal(["NONE", "IN", "OUT", "ANY", "BOTH"], values);
    }

    [Fact]
    public async Task get_runs_a_query_given_in_the_url()
    {
        var result = await app.Service().GetAsync("/graphql?query=" + Uri.EscapeDataString("{ me { name } }"));

        Assert.Equal("service", result["data"]!["me"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_body_without_a_query_answers_400_naming_it()
    {
        var error = await app.Service().PostAsync("/graphql", new { variables = new { } }, expect: 400);

        Assert.StartsWith("query:", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_query_of_thousands_of_aliases_answers_400_naming_the_field_limit()
    {
        var aliases = "{ " + string.Concat(Enumerable.Range(0, 3000).Select(i => $"a{i}:__typename ")) + "}";

        var error = await app.Service().PostAsync("/graphql", new { query = aliases }, expect: 400);

        Assert.Contains("AYON_GRAPHQL_MAX_FIELDS", error["detail"]!.GetValue<string>());
        Assert.Contains("1000", error["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_query_of_a_few_hundred_fields_as_the_client_sends_still_runs()
    {
        var fields = "{ projects { edges { node { " + string.Concat(Enumerable.Range(0, 300).Select(i => $"n{i}: name ")) + "} } } }";

        var result = await app.Service().GraphQLAsync(fields);

        Assert.Null(result["errors"]);
    }

    [Fact]
    public async Task a_query_deeper_than_the_limit_is_refused_before_it_runs()
    {
        const int levels = 20;
        var deep = "{ __schema { types { fields { type { " + string.Concat(Enumerable.Repeat("ofType { ", levels)) + "name" + new string('}', levels + 5);

        var result = await app.Service().GraphQLAsync(deep);

        Assert.Null(result["data"]);
        Assert.Contains("depth", result["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task introspection_works_for_tools()
    {
        var data = await app.Service().QueryAsync("{ __schema { queryType { name } } }");

        Assert.Equal("Query", data["__schema"]!["queryType"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_query_page_is_served_by_the_server()
    {
        var response = await app.Anonymous().Http.GetAsync("/graphiql");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("fetch(\"graphql\"", html);
        Assert.IsType<string>(html);
    }

    [Fact]
    public async Task json_fields_are_strings_holding_json()
    {
        var data = await (await app.LoginAsync()).QueryAsync("{ me { allAttrib accessGroups } }");

        Assert.IsType<JsonObject>(JsonNode.Parse(data["me"]!["allAttrib"]!.GetValue<string>()));
        Assert.IsType<JsonObject>(JsonNode.Parse(data["me"]!["accessGroups"]!.GetValue<string>()));
    }
}
