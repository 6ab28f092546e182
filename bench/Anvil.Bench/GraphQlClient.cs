using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>
/// The queries the official client (ayon-python-api) sends, with its default field sets, and its
/// paging: <c>{page}</c> stands for the inlined <c>first: N[, after: "cursor"]</c>.
/// </summary>
public static class GraphQlQueries
{
    const string PageInfo = "pageInfo { endCursor hasNextPage }";

    public const string Folders = $$"""
        query FoldersQuery($projectName: String!) { project(name: $projectName) {
          folders({page}) { edges { node { id name label folderType path parentId active thumbnailId data status tags allAttrib ownAttrib hasProducts } } {{PageInfo}} } } }
        """;

    public const string FoldersByPath = $$"""
        query FoldersQuery($projectName: String!,$folderPaths: [String!]) { project(name: $projectName) {
          folders(paths: $folderPaths, {page}) { edges { node { id name label folderType path parentId active thumbnailId data status tags allAttrib ownAttrib hasProducts } } {{PageInfo}} } } }
        """;

    public const string Tasks = $$"""
        query TasksQuery($projectName: String!) { project(name: $projectName) {
          tasks({page}) { edges { node { id name label taskType folderId active thumbnailId assignees data status tags allAttrib ownAttrib } } {{PageInfo}} } } }
        """;

    public const string Versions = $$"""
        query VersionsQuery($projectName: String!,$productIds: [String!]) { project(name: $projectName) {
          versions(productIds: $productIds, {page}) { edges { node { id name version productId taskId active author thumbnailId createdAt updatedAt data status tags allAttrib } } {{PageInfo}} } } }
        """;

    public const string Representations = $$"""
        query RepresentationsQuery($projectName: String!,$versionIds: [String!]) { project(name: $projectName) {
          representations(versionIds: $versionIds, {page}) { edges { node { id name context createdAt active versionId data status tags traits files { name hash id path size } allAttrib } } {{PageInfo}} } } }
        """;

    /// <summary>The newest page of a project's events, as the web UI's event list reads it (descending: <c>last</c>).</summary>
    public const string Events = """
        query Events($projectNames: [String!],$includeLogsFilter: Boolean!) {
          events(projects: $projectNames, includeLogs: $includeLogsFilter, last: 100) { edges { node { id hash createdAt dependsOn description project retries sender status topic updatedAt user } } pageInfo { startCursor hasPreviousPage } } }
        """;
}

/// <summary>POST /graphql as the client does it: HTTP 200 with no <c>errors</c>, and every page of a connection.</summary>
public sealed class GraphQlClient(HttpClient http)
{
    public async Task<JsonObject> QueryAsync(string query, object variables)
    {
        using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        if (body["errors"] is JsonArray { Count: > 0 } errors)
            throw new InvalidOperationException($"GraphQL errors: {errors.ToJsonString()}");
        return body["data"]!.AsObject();
    }

    /// <summary>The nodes of a project-level connection (<c>project.{field}</c>), page after page.</summary>
    public async Task<List<JsonObject>> AllAsync(string query, string field, object variables, int pageSize)
    {
        var nodes = new List<JsonObject>();
        string? cursor = null;
        while (true)
        {
            var page = cursor is null ? $"first: {pageSize}" : $"first: {pageSize}, after: \"{cursor}\"";
            var connection = (await QueryAsync(query.Replace("{page}", page, StringComparison.Ordinal), variables))["project"]![field]!;
            nodes.AddRange(connection["edges"]!.AsArray().Select(e => e!["node"]!.AsObject()));
            if (connection["pageInfo"]!["hasNextPage"]!.GetValue<bool>() is false)
                return nodes;
            cursor = connection["pageInfo"]!["endCursor"]!.GetValue<string>();
        }
    }
}
