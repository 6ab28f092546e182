using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Bench;

/// <summary>
/// <c>anvil bench fuzz</c>: malformed requests to every operation of <c>/openapi.json</c> — wrong
/// types, nulls, huge strings, NUL, lone surrogates, invalid UTF-8, duplicate keys, deep nesting,
/// numeric overflow, bad ids — in the body, the query and the path, as an admin (the service key)
/// and as a normal user (a session). Reports the count per status and every 5xx with its request;
/// exits 1 when there was any 5xx. Destructive routes get only malformed path values, never the
/// fuzz project's real name, and the routes that end the fuzzer's own session are left out.
/// </summary>
public sealed class Fuzzer(Settings settings, HttpClient admin, FuzzOptions options)
{
    static readonly string[] BadScalars =
    [
        "", "null", "-1", "0", "1e400", "99999999999999999999999", "true", "[]", "{}", "%00", "a%00b", "%ED%A0%80", "%FF%FE",
        "..%2F..%2Fetc", "%27%20OR%201%3D1--", new string('x', 5000), "00000000000000000000000000000000", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    ];

    static readonly string[] SkippedPaths = ["/api/auth/logout", "/api/system/restart", "/api/auth/sessions"];

    readonly Random _random = new(options.Seed);
    readonly Dictionary<int, int> _statuses = [];
    readonly List<string> _serverErrors = [];
    string _project = "";
    HttpClient? _user;

    public async Task<int> RunAsync()
    {
        var spec = (await admin.GetFromJsonAsync<JsonObject>("/openapi.json"))!;
        _project = $"fuzz_{Guid.NewGuid().ToString("N")[..8]}";
        (await admin.PostAsJsonAsync("/api/projects", new { name = _project, code = _project })).EnsureSuccessStatusCode();
        _user = await NormalUserAsync();
        var operations = new List<(string Method, string Path, JsonObject Operation)>();
        foreach (var (path, item) in spec["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
                if (operation is JsonObject op && method is "get" or "post" or "put" or "patch" or "delete" && !SkippedPaths.Any(path.StartsWith))
                    operations.Add((method.ToUpperInvariant(), path, op));
        Console.WriteLine($"fuzz: {operations.Count} operations from /openapi.json, {options.Requests} requests, as admin and as a normal user{(_user is null ? " (no user: admin only)" : "")}");

        var sent = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Requests), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (method, path, operation) = operations[i % operations.Count];
            HttpRequestMessage request;
            lock (_random)
                request = Build(method, path, operation, spec);
            var client = _user is not null && i % 3 == 2 ? _user : admin;
            var summary = $"{(client == admin ? "admin" : "user")} {request.Method} {request.RequestUri}";
            var bodyPreview = request.Content is null ? "" : Preview(await request.Content.ReadAsByteArrayAsync(ct));
            int status;
            try
            {
                using var response = await client.SendAsync(request, ct);
                status = (int)response.StatusCode;
                if (status >= 500)
                {
                    var answer = Preview(await response.Content.ReadAsByteArrayAsync(ct));
                    lock (_serverErrors)
                        _serverErrors.Add($"{status} {summary} {bodyPreview} -> {answer}");
                }
            }
            catch (HttpRequestException e)
            {
                status = 0;
                lock (_serverErrors)
                    _serverErrors.Add($"no answer ({e.Message}) {summary} {bodyPreview}");
            }
            lock (_statuses)
                _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
            if (Interlocked.Increment(ref sent) % 2000 == 0)
                Console.WriteLine($"  ... {sent} sent");
        });
        Console.WriteLine($"fuzz: {sent} requests in {clock.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine("by status: " + string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        var fivexx = _statuses.Where(s => s.Key >= 500 || s.Key == 0).Sum(s => s.Value);
        Console.WriteLine($"5xx (or no answer): {fivexx}");
        foreach (var error in _serverErrors.Distinct().Take(200))
            Console.WriteLine("  " + error);
        await admin.DeleteAsync($"/api/projects/{_project}");
        return fivexx == 0 ? 0 : 1;
    }

    async Task<HttpClient?> NormalUserAsync()
    {
        var name = $"fuzzuser{Guid.NewGuid().ToString("N")[..8]}";
        const string password = "fuzz-Password-1";
        using var create = await admin.PutAsJsonAsync($"/api/users/{name}", new { password, data = new { accessGroups = new JsonObject { [_project] = new JsonArray("artist") } } });
        if (!create.IsSuccessStatusCode)
            return null;
        var http = new HttpClient { BaseAddress = settings.ServerUrl, Timeout = TimeSpan.FromMinutes(2) };
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { name, password });
        if (!login.IsSuccessStatusCode)
            return null;
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    HttpRequestMessage Build(string method, string path, JsonObject operation, JsonObject spec)
    {
        var destructive = method == "DELETE" || path.Contains("restart", StringComparison.Ordinal);
        var url = new StringBuilder();
        foreach (var segment in path.Split('/'))
        {
            if (url.Length > 0 || segment.Length > 0)
                url.Append('/');
            if (segment.StartsWith('{') && segment.EndsWith('}'))
            {
                var name = segment[1..^1];
                var good = name switch
                {
                    "projectName" or "project_name" => destructive ? null : _project,
                    _ when name.EndsWith("Id", StringComparison.Ordinal) || name.EndsWith("_id", StringComparison.Ordinal) => Guid.NewGuid().ToString("N"),
                    _ => null,
                };
                url.Append(good is not null && _random.Next(3) > 0 ? good : Pick(BadScalars));
            }
            else
                url.Append(segment);
        }
        var query = new List<string>();
        if (operation["parameters"] is JsonArray parameters)
            foreach (var parameter in parameters.OfType<JsonObject>())
                if (parameter["in"]?.GetValue<string>() == "query" && _random.Next(2) == 0)
                    query.Add($"{parameter["name"]!.GetValue<string>()}={Pick(BadScalars)}");
        if (_random.Next(10) == 0)
            query.Add($"{Pick(["limit", "offset", "page", "search", "types", "attrib"])}={Pick(BadScalars)}");
        var uri = url.ToString().Replace("//", "/", StringComparison.Ordinal) + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (operation["requestBody"] is JsonObject || method is "POST" or "PUT" or "PATCH")
        {
            var properties = Properties(operation, spec);
            request.Content = new ByteArrayContent(Body(properties));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return request;
    }

    /// <summary>The top-level property names of the operation's JSON body schema, when it declares them.</summary>
    static List<string> Properties(JsonObject operation, JsonObject spec)
    {
        var schema = operation["requestBody"]?["content"]?["application/json"]?["schema"] as JsonObject;
        for (var hops = 0; schema?["$ref"] is JsonValue reference && hops < 5; hops++)
        {
            var parts = reference.GetValue<string>().TrimStart('#', '/').Split('/');
            JsonNode? node = spec;
            foreach (var part in parts)
                node = node?[part];
            schema = node as JsonObject;
        }
        return schema?["properties"] is JsonObject properties ? [.. properties.Select(p => p.Key)] : [];
    }

    byte[] Body(List<string> properties)
    {
        var key = properties.Count > 0 ? Pick([.. properties]) : Pick(["name", "data", "attrib", "operations", "label"]);
        var other = properties.Count > 1 ? Pick([.. properties]) : "name";
        string text = _random.Next(16) switch
        {
            0 => "null",
            1 => Pick(["[]", "\"text\"", "123", "true", "", "{", "{\"a\":}", "{}"]),
            2 => $"{{\"{key}\": 1, \"{key}\": 2}}",
            3 => $"{{\"{key}\": \"a\\ud800b\"}}",
            4 => $"{{\"{key}\": \"a\\u0000b\"}}",
            5 => new string('[', 5000) + new string(']', 5000),
            6 => $"{{\"{key}\": 1e400}}",
            7 => $"{{\"{key}\": 99999999999999999999999999999, \"{other}\": -99999999999999999999}}",
            8 => $"{{\"{key}\": \"{new string('x', 300_000)}\"}}",
            9 => $"{{\"{key}\": null, \"{other}\": null}}",
            10 => $"{{\"{key}\": {{\"{key}\": {{\"{key}\": [1, {{}}, null, \"x\"]}}}}}}",
            11 => $"{{\"{key}\": [\"\\u0000\", 1.5, {{\"id\": \"not-an-id\"}}]}}",
            12 => $"{{\"{key}\": \"{Guid.NewGuid():N}\", \"{other}\": {Pick(["[]", "{}", "\"\"", "0", "false"])}}}",
            13 => $"{{\"{key}\": {Pick(["[]", "{}", "\"\"", "0", "false", "-1", "\"../..\"", "\"%00\""])}}}",
            14 => string.Join(",", properties.Select(p => $"\"{p}\": {Pick(["null", "1", "\"x\"", "[]", "{}", "true", "1e308", "-0"])}")) is var all ? $"{{{all}}}" : "{}",
            _ => "",
        };
        var bytes = Encoding.UTF8.GetBytes(text);
        if (_random.Next(12) == 0 && bytes.Length > 4)
        {
            bytes[_random.Next(1, bytes.Length - 1)] = 0xFF; // invalid UTF-8
        }
        return bytes;
    }

    string Pick(string[] values) => values[_random.Next(values.Length)];

    static string Preview(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 160)));
        return (bytes.Length > 160 ? text + $"...({bytes.Length} bytes)" : text).ReplaceLineEndings(" ");
    }
}

public sealed record FuzzOptions(int Requests, int Seed)
{
    public static FuzzOptions Parse(IEnumerable<string> args)
    {
        var values = Arguments.Parse(args, new() { ["requests"] = 10_000, ["seed"] = 1 });
        return new FuzzOptions(values["requests"], values["seed"]);
    }
}
