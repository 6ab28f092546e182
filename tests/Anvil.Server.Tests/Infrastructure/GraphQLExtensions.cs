using System.Text.Json.Nodes;

namespace Anvil.Server.Tests.Infrastructure;

public static class GraphQLExtensions
{
    /// <summary>Runs a query as the official client does (POST /graphql, HTTP 200 whatever happens) and returns the whole envelope.</summary>
    public static Task<JsonNode> GraphQLAsync(this Api api, string query, object? variables = null) =>
        api.PostAsync("/graphql", new { query, variables = variables ?? new { } });

    /// <summary>Runs a query that must succeed and returns its <c>data</c>.</summary>
    public static async Task<JsonNode> QueryAsync(this Api api, string query, object? variables = null)
    {
        var result = await api.GraphQLAsync(query, variables);
        Assert.True(result["errors"] is null, $"GraphQL errors: {result["errors"]?.ToJsonString()}");
        return result["data"]!;
    }
}
