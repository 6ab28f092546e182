using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>
/// HTTP helpers in the style of zou's tests: each call states the status it expects and fails
/// with the response body when another one comes back.
/// </summary>
public sealed class Api(HttpClient http)
{
    public HttpClient Http { get; } = http;

    /// <summary>The last response, for header assertions.</summary>
    public HttpResponseMessage? LastResponse { get; private set; }

    public Task<JsonNode> GetAsync(string path, int expect = 200) => SendAsync(HttpMethod.Get, path, null, expect);

    public Task<JsonNode> PostAsync(string path, object? body, int expect = 200) => SendAsync(HttpMethod.Post, path, body, expect);

    public Task<JsonNode> PutAsync(string path, object? body, int expect = 200) => SendAsync(HttpMethod.Put, path, body, expect);

    public Task<JsonNode> PatchAsync(string path, object? body, int expect = 200) => SendAsync(HttpMethod.Patch, path, body, expect);

    public Task<JsonNode> DeleteAsync(string path, int expect = 204) => SendAsync(HttpMethod.Delete, path, null, expect);

    /// <summary>Sends raw text as a JSON body (for malformed-JSON tests).</summary>
    public Task<JsonNode> PostRawAsync(string path, string json, int expect) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, expect);

    public Task<JsonNode> SendAsync(HttpMethod method, string path, object? body, int expect, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        configure?.Invoke(request);
        return SendAsync(request, expect);
    }

    public async Task<JsonNode> SendAsync(HttpRequestMessage request, int expect)
    {
        var response = await Http.SendAsync(request);
        LastResponse = response;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expect,
            $"{request.Method} {request.RequestUri}: expected {expect}, got {(int)response.StatusCode}: {text}");
        if (text.Length == 0)
            return new JsonObject();
        try
        {
            return JsonNode.Parse(text) ?? new JsonObject();
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
