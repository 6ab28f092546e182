using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>Links of a version read as the client's <c>get_version_links</c> reads them.</summary>
public sealed class version_links(AnvilApp app) : IClassFixture<AnvilApp>
{
    // ayon_api's versions_graphql_query with the link fields and a direction (get_version_links).
    const string ClientQuery = """
        query VersionsQuery($projectName: String!,$versionIds: [String!],$linkDirection: String!) {
          project(name: $projectName) {
            versions(ids: $versionIds, first: 1) {
              edges {
                node {
                  links(direction: $linkDirection, first: 300) {
                    edges {
                        projectName
                        author
                        id
                        entityId
                        entityType
                        name
                        description
                        linkType
                        direction
                    }
                    pageInfo {
                      endCursor
                      hasNextPage
                    }
                  }
                  id
                }
                cursor
              }
              pageInfo {
                endCursor
                hasNextPage
              }
            }
          }
        }
        """;

    async Task<JsonArray> LinksAsync(Api api, string project, string version, string direction)
    {
        var data = await api.QueryAsync(ClientQuery, new { projectName = project, versionIds = new[] { version }, linkDirection = direction });
        return data["project"]!["versions"]!["edges"]![0]!["node"]!["links"]!["edges"]!.AsArray();
    }

    [Fact]
    public async Task outgoing_links_of_a_reference_are_read_by_direction_alone()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var input = await build.VersionAsync();
        var output = await build.VersionAsync();
        var link = (await api.PostAsync($"/api/projects/{build.Project}/links", new { input, output, linkType = "reference|version|version" }))["id"]!.GetValue<string>();

        var outgoing = Assert.Single(await LinksAsync(api, build.Project, input, "out"))!;
        var incoming = Assert.Single(await LinksAsync(api, build.Project, output, "in"))!;

        Assert.Equal(link, outgoing["id"]!.GetValue<string>());
        Assert.Equal("out", outgoing["direction"]!.GetValue<string>());
        Assert.Equal("reference", outgoing["linkType"]!.GetValue<string>());
        Assert.Equal(output, outgoing["entityId"]!.GetValue<string>());
        Assert.Equal("version", outgoing["entityType"]!.GetValue<string>());
        Assert.Equal(input, incoming["entityId"]!.GetValue<string>());
        Assert.Empty(await LinksAsync(api, build.Project, output, "out"));
    }
}
