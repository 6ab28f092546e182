// The smoke test of deploy/smoke, run against a compose deployment with two replicas behind a proxy:
//
//   dotnet run smoke.cs -- both  PROXY_URL REPLICA_A_URL REPLICA_B_URL ADMIN_PASSWORD STATE_FILE
//   dotnet run smoke.cs -- after PROXY_URL REPLICA_B_URL ADMIN_PASSWORD STATE_FILE
//
// `both` logs in through the proxy, creates a project and a folder on replica A, reads the folder
// on replica B and receives its event on B's /ws. `after` (once A is gone) reads it again through
// the proxy and on B. Exits non-zero at the first thing that does not hold.
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

var mode = args[0];
var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

if (mode == "both")
{
    var (proxy, a, b, password, stateFile) = (args[1], args[2], args[3], args[4], args[5]);
    var token = await LoginAsync(proxy, password);
    Say($"logged in as admin through the proxy {proxy}");
    foreach (var replica in new[] { a, b })
        Say($"  {replica}/api/users/me -> {(await SendAsync(HttpMethod.Get, $"{replica}/api/users/me", token, null, 200))["name"]} (the session lives in Redis)");

    using var socket = new ClientWebSocket();
    await socket.ConnectAsync(new Uri(b.Replace("http", "ws") + "/ws"), CancellationToken.None);
    await SendTextAsync(socket, new JsonObject { ["topic"] = "auth", ["token"] = token, ["subscribe"] = new JsonArray("entity.folder", "smoke.ready") });
    // The server acknowledges nothing: send markers through A until B's socket delivers one.
    var marker = await ReceiveAfterAsync(socket, m => (string?)m["topic"] == "smoke.ready",
        () => SendAsync(HttpMethod.Post, $"{a}/api/events", token, new JsonObject { ["topic"] = "smoke.ready", ["store"] = false }, 200));
    Say($"websocket on B subscribed (an event posted on A arrived on B: {marker["topic"]})");

    var project = "smoke" + Guid.NewGuid().ToString("N")[..8];
    await SendAsync(HttpMethod.Post, $"{a}/api/projects", token, new JsonObject { ["name"] = project, ["code"] = project }, 201);
    var id = (string)(await SendAsync(HttpMethod.Post, $"{a}/api/projects/{project}/folders", token,
        new JsonObject { ["name"] = "sq010", ["folderType"] = "Sequence" }, 201))["id"]!;
    Say($"created project {project} and folder sq010 ({id}) on A");

    var folder = await SendAsync(HttpMethod.Get, $"{b}/api/projects/{project}/folders/{id}", token, null, 200);
    Check((string?)folder["name"] == "sq010", $"B answered the folder with name {folder["name"]}");
    Say($"read the folder on B: name {folder["name"]}, path {folder["path"]}");

    var created = await ReceiveAfterAsync(socket, m => (string?)m["topic"] == "entity.folder.created" && m.ToJsonString().Contains(id), null);
    Say($"received {created["topic"]} for {id} on B's /ws (project {created["project"]})");
    await File.WriteAllTextAsync(stateFile, $"{project} {id}\n");
}
else if (mode == "after")
{
    var (proxy, b, password, stateFile) = (args[1], args[2], args[3], args[4]);
    var parts = (await File.ReadAllTextAsync(stateFile)).Split(' ', StringSplitOptions.TrimEntries);
    var (project, id) = (parts[0], parts[1]);
    var token = await LoginAsync(proxy, password);
    Say("logged in again through the proxy");
    for (var i = 0; i < 10; i++)
        await SendAsync(HttpMethod.Get, $"{proxy}/api/projects/{project}/folders/{id}", token, null, 200);
    Say("read the folder 10 times through the proxy: 10 x 200");
    var ready = await SendAsync(HttpMethod.Get, $"{b}/health/ready", null, null, 200);
    Say($"B /health/ready: {ready.ToJsonString()}");
    var created = await SendAsync(HttpMethod.Post, $"{proxy}/api/projects/{project}/folders", token,
        new JsonObject { ["name"] = "sq020", ["folderType"] = "Sequence" }, 201);
    Say($"created folder sq020 ({created["id"]}) through the proxy with one replica left");
}
else
{
    throw new ArgumentException($"unknown mode {mode}");
}
return 0;

async Task<string> LoginAsync(string server, string password) =>
    (string)(await SendAsync(HttpMethod.Post, $"{server}/api/auth/login", null, new JsonObject { ["name"] = "admin", ["password"] = password }, 200))["token"]!;

async Task<JsonNode> SendAsync(HttpMethod method, string url, string? token, JsonObject? body, int expect)
{
    using var request = new HttpRequestMessage(method, url);
    if (token is not null)
        request.Headers.Authorization = new("Bearer", token);
    if (body is not null)
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    Check((int)response.StatusCode == expect, $"{method} {url}: expected {expect}, got {(int)response.StatusCode}: {text}");
    return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
}

static Task SendTextAsync(ClientWebSocket socket, JsonObject message) =>
    socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

static async Task<JsonObject> ReceiveAfterAsync(ClientWebSocket socket, Func<JsonObject, bool> wanted, Func<Task>? poke)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
    var buffer = new byte[1 << 16];
    Task<WebSocketReceiveResult>? pending = null;
    var text = new StringBuilder();
    while (true)
    {
        if (poke is not null)
            await poke();
        pending ??= socket.ReceiveAsync(buffer, timeout.Token);
        if (await Task.WhenAny(pending, Task.Delay(500, timeout.Token)) != pending)
            continue;
        var result = await pending;
        pending = null;
        Check(result.MessageType == WebSocketMessageType.Text, $"the server closed the websocket: {socket.CloseStatusDescription}");
        text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        if (!result.EndOfMessage)
            continue;
        var message = JsonNode.Parse(text.ToString())!.AsObject();
        text.Clear();
        if (wanted(message))
            return message;
    }
}

static void Check(bool condition, string failure)
{
    if (!condition)
    {
        Console.Error.WriteLine($"smoke: FAILED: {failure}");
        Environment.Exit(1);
    }
}

static void Say(string line) => Console.WriteLine($"smoke: {line}");
