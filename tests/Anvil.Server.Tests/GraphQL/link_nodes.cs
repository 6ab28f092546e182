using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// AYON's <c>BaseNode</c> interface and a link's <c>node</c> (the entity at its other end), as the web UI's
/// link columns and link editor read them; and the entity lists, which answer empty.
/// </summary>
public sealed class link_nodes(AnvilApp app) : IClassFixture<AnvilApp>
{
    // The web UI's GetVersionsLinks, with what it reads of the linked entity through BaseNode.
    const string LinksQuery = """
        query($projectName: String!, $entityIds: [String!]) {
          project(name: $projectName) {
            versions(ids: $entityIds, last: 5000) {
              edges { node { id links { edges { ... on LinkEdge {
                id direction linkType entityType entityId
                node { ... on BaseNode {
                  __typename id name parents
                  ... on TaskNode { label subType: taskType }
                  ... on FolderNode { label subType: folderType }
                  ... on VersionNode { hasReviewables version product { name } }
                } }
              } } } } }
            }
          }
        }
        """;

    [Fact]
    public async Task a_link_leads_to_the_entity_at_its_other_end_with_its_own_type()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var input = await build.VersionAsync();
        var product = await build.ProductAsync(name: "modelMain");
        var output = await build.VersionAsync(product, version: 3);
        await api.PostAsync($"/api/projects/{build.Project}/links", new { input, output, linkType = "reference|version|version" });

        var data = await api.QueryAsync(LinksQuery, new { projectName = build.Project, entityIds = new[] { input } });

        var link = Assert.Single(data["project"]!["versions"]!["edges"]![0]!["node"]!["links"]!["edges"]!.AsArray())!;
        var node = link["node"]!;
        Assert.Equal("VersionNode", node["__typename"]!.GetValue<string>());
        Assert.Equal(output, node["id"]!.GetValue<string>());
        Assert.Equal(3, node["version"]!.GetValue<int>());
        Assert.Equal("modelMain", node["product"]!["name"]!.GetValue<string>());
        Assert.Null(node["subType"]);
    }

    [Fact]
    public async Task links_to_entities_of_different_types_each_answer_their_own_fields()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var task = await build.TaskAsync(name: "compositing");
        var workfile = await build.WorkfileAsync(task);
        await api.PutAsync($"/api/projects/{build.Project}/links/types/uses|task|workfile", new { data = new { } }, expect: 204);
        await api.PostAsync($"/api/projects/{build.Project}/links", new { input = task, output = workfile, linkType = "uses|task|workfile" });
        const string query = """
            query($projectName: String!, $ids: [String!]) {
              project(name: $projectName) {
                workfiles(ids: $ids) { edges { node { links(direction: "in") { edges {
                  entityType node { __typename ... on TaskNode { name subType: taskType folder { id } } }
                } } } } }
              }
            }
            """;

        var data = await api.QueryAsync(query, new { projectName = build.Project, ids = new[] { workfile } });

        var link = Assert.Single(data["project"]!["workfiles"]!["edges"]![0]!["node"]!["links"]!["edges"]!.AsArray())!;
        Assert.Equal("task", link["entityType"]!.GetValue<string>());
        Assert.Equal("TaskNode", link["node"]!["__typename"]!.GetValue<string>());
        Assert.Equal("compositing", link["node"]!["name"]!.GetValue<string>());
        Assert.NotNull(link["node"]!["subType"]);
        Assert.NotNull(link["node"]!["folder"]!["id"]);
    }

    [Fact]
    public async Task an_entity_read_by_id_answers_through_the_base_node_interface()
    {
        var api = app.Service();
        var build = new EntityBuilder(api, await TestProjects.CreateAsync(app));
        var folder = await build.FolderAsync(name: "sh010", folderType: "Shot");
        const string query = """
            query($projectName: String!, $folderId: String!) {
              project(name: $projectName) {
                folder(id: $folderId) { ... on BaseNode { __typename id name parents ... on FolderNode { subType: folderType } ... on TaskNode { subType: taskType } } }
              }
            }
            """;

        var data = await api.QueryAsync(query, new { projectName = build.Project, folderId = folder });

        var node = data["project"]!["folder"]!;
        Assert.Equal("FolderNode", node["__typename"]!.GetValue<string>());
        Assert.Equal("sh010", node["name"]!.GetValue<string>());
        Assert.Equal("Shot", node["subType"]!.GetValue<string>());
    }

    [Fact]
    public async Task entity_lists_answer_empty_and_one_list_by_id_is_not_found()
    {
        var api = app.Service();
        var project = await TestProjects.CreateAsync(app);

        var lists = await api.QueryAsync("""
            query($projectName: String!) { project(name: $projectName) {
              entityLists(first: 10, filter: "{}") { pageInfo { hasNextPage endCursor } edges { node { id label count items { edges { id node { id } } } } } }
            } }
            """, new { projectName = project });
        var one = await api.GraphQLAsync("""
            query($projectName: String!, $id: String!) { project(name: $projectName) { entityList(id: $id) { id } } }
            """, new { projectName = project, id = EntityBuilder.NewId() });

        Assert.Empty(lists["project"]!["entityLists"]!["edges"]!.AsArray());
        Assert.False(lists["project"]!["entityLists"]!["pageInfo"]!["hasNextPage"]!.GetValue<bool>());
        var error = Assert.Single(one["errors"]!.AsArray())!;
        Assert.Contains("not found", error["message"]!.GetValue<string>());
        Assert.Equal(404, error["extensions"]!["status"]!.GetValue<int>());
    }
}
