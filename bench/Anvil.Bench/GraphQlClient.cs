using System.Net.Http.Json;
using System.Text.Json;
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

    /// <summary>
    /// The timed reads: every page of a project-level connection (<c>project.{field}</c>), each answer
    /// read as the floor's are (its bytes), plus one forward-only pass over them for <c>errors</c> and
    /// the page's <c>hasNextPage</c>/<c>endCursor</c> — no document is built (a client's own parsing is
    /// not the server's work, and the floor's answers are not parsed). Returns the number of pages.
    /// </summary>
    public async Task<int> ReadPagesAsync(string query, string field, object variables, int pageSize)
    {
        string? cursor = null;
        for (var pages = 1; ; pages++)
        {
            var page = cursor is null ? $"first: {pageSize}" : $"first: {pageSize}, after: \"{cursor}\"";
            var body = await PostAsync(query.Replace("{page}", page, StringComparison.Ordinal), variables);
            var (hasNextPage, endCursor) = PageInfoOf(body, field);
            if (!hasNextPage)
                return pages;
            cursor = endCursor ?? throw new InvalidOperationException($"{field}: hasNextPage without an endCursor");
        }
    }

    /// <summary>One query's answer as bytes (the timed reads), checked for <c>errors</c> in one forward-only pass.</summary>
    public async Task<byte[]> ReadAsync(string query, object variables)
    {
        var body = await PostAsync(query, variables);
        PageInfoOf(body, null);
        return body;
    }

    async Task<byte[]> PostAsync(string query, object variables)
    {
        using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The <c>pageInfo</c> of the connection <paramref name="field"/> (at <c>data.project.{field}</c>); throws on <c>errors</c>.</summary>
    static (bool HasNextPage, string? EndCursor) PageInfoOf(byte[] body, string? field)
    {
        var reader = new Utf8JsonReader(body);
        bool hasNextPage = false;
        string? endCursor = null;
        string? parent = null;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
                continue;
            if (reader.CurrentDepth == 1 && reader.ValueTextEquals("errors"))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null)
                    throw new InvalidOperationException($"GraphQL errors: {System.Text.Encoding.UTF8.GetString(body)}");
                continue;
            }
            if (field is not null && reader.CurrentDepth == 3)
                parent = reader.GetString();
            else if (field is not null && reader.CurrentDepth == 5 && parent == field && reader.ValueTextEquals("hasNextPage"))
            {
                reader.Read();
                hasNextPage = reader.TokenType == JsonTokenType.True;
            }
            else if (field is not null && reader.CurrentDepth == 5 && parent == field && reader.ValueTextEquals("endCursor"))
            {
                reader.Read();
                endCursor = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
        }
        return (hasNextPage, endCursor);
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
