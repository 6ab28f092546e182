using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>The users root: filters and paging both ways, as the client pages.</summary>
public sealed class users_query(AnvilApp app) : IClassFixture<AnvilApp>
{
    const string Page = """
        query Users($name: String, $first: Int, $after: String, $last: Int, $before: String) {
          users(name: $name, first: $first, after: $after, last: $last, before: $before) {
            edges { node { name } cursor }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }
        """;

    async Task<(string Prefix, List<string> Names)> CreateUsersAsync(int count)
    {
        var prefix = Unique.Name("pager");
        var names = new List<string>();
        for (var i = 0; i < count; i++)
            names.Add(await Users.CreateAsync(app, $"{prefix}_{i}"));
        names.Sort(StringComparer.Ordinal);
        return (prefix, names);
    }

    [Fact]
    public async Task first_and_after_page_forward_through_every_user_once()
    {
        var (prefix, names) = await CreateUsersAsync(5);
        var api = app.Service();
        var seen = new List<string>();
        string? after = null;

        for (var pages = 0; pages < 10; pages++)
        {
            var users = (await api.QueryAsync(Page, new { name = prefix, first = 2, after }))["users"]!;
            seen.AddRange(users["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()));
            if (!users["pageInfo"]!["hasNextPage"]!.GetValue<bool>())
                break;
            after = users["pageInfo"]!["endCursor"]!.GetValue<string>();
        }

        Assert.Equal(names, seen);
    }

    [Fact]
    public async Task last_and_before_page_backward_newest_first_without_overlap()
    {
        var (prefix, names) = await CreateUsersAsync(5);
        var api = app.Service();
        var seen = new List<string>();
        string? before = null;

        for (var pages = 0; pages < 10; pages++)
        {
            var users = (await api.QueryAsync(Page, new { name = prefix, last = 2, before }))["users"]!;
            seen.AddRange(users["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()));
            if (!users["pageInfo"]!["hasPreviousPage"]!.GetValue<bool>())
                break;
            before = users["pageInfo"]!["startCursor"]!.GetValue<string>();
        }

        Assert.Equal(Enumerable.Reverse(names), seen);
    }

    [Fact]
    public async Task names_selects_exactly_those_users()
    {
        var (_, names) = await CreateUsersAsync(3);

        var data = await app.Service().QueryAsync("query($names: [String!]) { users(names: $names) { edges { node { name } } } }", new { names = new[] { names[0], names[2], "nobody_here" } });

        Assert.Equal([names[0], names[2]], data["users"]!["edges"]!.AsArray().Select(e => e!["node"]!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task a_forged_cursor_is_an_error_not_a_crash()
    {
        var result = await app.Service().GraphQLAsync("""{ users(first: 2, after: "bm90LWpzb24=") { edges { node { name } } } }""");

        Assert.Contains("cursor", result["errors"]![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task non_managers_see_themselves_and_the_people_of_their_projects_without_their_rights()
    {
        var project = await TestProjects.CreateAsync(app);
        var elsewhere = await TestProjects.CreateAsync(app);
        var group = Unique.Name("group");
        await app.Service().PutAsync($"/api/accessGroups/{group}/_", new { }, expect: 204);
        var prefix = Unique.Name("people");
        var me = await Users.CreateAsync(app, prefix, Features.Access.AccessWorld.Groups(project, group));
        var colleague = await Users.CreateAsync(app, prefix, Features.Access.AccessWorld.Groups(project, group));
        var stranger = await Users.CreateAsync(app, prefix, Features.Access.AccessWorld.Groups(elsewhere, group));
        await Sql.ExecuteAsync(app, "UPDATE users SET attrib = '{\"fullName\": \"Col League\", \"email\": \"col@studio.test\"}' WHERE name = @colleague", new { colleague });
        var api = await app.LoginAsync(me, Users.Password);
        const string Query = """
            query Q($name: String!, $one: String!) {
              users(name: $name) { edges { node { name accessGroups allAttrib } } }
              user(name: $one) { name }
            }
            """;

        var data = await api.QueryAsync(Query, new { name = prefix, one = stranger });
        var managerView = await app.Service().QueryAsync(Query, new { name = prefix, one = stranger });

        var nodes = data["users"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToDictionary(n => n["name"]!.GetValue<string>());
        Assert.Equal(new[] { colleague, me }.Order(), nodes.Keys.Order());
        Assert.Equal("{}", nodes[colleague]["accessGroups"]!.GetValue<string>());
        Assert.Equal("""{"fullName":"Col League"}""", nodes[colleague]["allAttrib"]!.GetValue<string>());
        Assert.Contains(project, nodes[me]["accessGroups"]!.GetValue<string>());
        Assert.Null(data["user"]);
        Assert.Equal(3, managerView["users"]!["edges"]!.AsArray().Count);
        Assert.Equal(stranger, managerView["user"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_clients_default_user_fields_resolve()
    {
        var data = await app.Service().QueryAsync("""
            query Users($userNames: [String!]) {
              users(names: $userNames) { edges { node {
                accessGroups defaultAccessGroups name isService isManager isGuest isAdmin createdAt active hasPassword updatedAt apiKeyPreview allAttrib
              } } }
            }
            """, new { userNames = new[] { "admin" } });

        var admin = data["users"]!["edges"]![0]!["node"]!;
        Assert.Equal("admin", admin["name"]!.GetValue<string>());
        Assert.True(admin["isAdmin"]!.GetValue<bool>());
        Assert.Null(admin["apiKeyPreview"]);
    }
}
