using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>A websocket client of <c>/ws</c> on a test server, speaking AYON's protocol.</summary>
public sealed class StreamSocket : IAsyncDisposable
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public WebSocket Socket { get; }

    StreamSocket(WebSocket socket) => Socket = socket;

    public static async Task<StreamSocket> ConnectAsync<T>(WebApplicationFactory<T> app, string? asUser = null) where T : class
    {
        var client = app.Server.CreateWebSocketClient();
        if (asUser is not null)
            client.ConfigureRequest = request => request.Headers["X-As-User"] = asUser;
        return new StreamSocket(await client.ConnectAsync(new Uri("ws://localhost/ws"), CancellationToken.None));
    }

    /// <summary>
    /// Connects, authenticates (by default with the test service API key) and returns once the
    /// subscription is live: AYON sends no acknowledgement, so it dispatches marker events
    /// <c>{topics[0]}.ready</c> until one arrives (markers are skipped by <see cref="ReceiveAsync"/>).
    /// </summary>
    public static async Task<StreamSocket> SubscribeAsync(AnvilApp app, string[] topics, string? project = null,
        long? lastSequence = null, string token = AnvilApp.ServiceApiKey, string? asUser = null)
    {
        var socket = await ConnectAsync(app, asUser);
        await socket.AuthenticateAsync(token, topics, project, lastSequence);
        var marker = topics[0] + ".ready";
        var api = app.Service();
        using var timeout = new CancellationTokenSource(Patience);
        Task<(WebSocketMessageType Type, string Text)>? received = null;
        while (true)
        {
            received ??= socket.ReceiveFrameAsync(timeout.Token);
            await api.PostAsync("/api/events", new { topic = marker, store = false });
            if (await Task.WhenAny(received, Task.Delay(300)) != received)
                continue;
            var (type, text) = await received;
            received = null;
            Assert.True(type == WebSocketMessageType.Text, $"the server closed the connection: {socket.Socket.CloseStatusDescription}");
            var message = JsonNode.Parse(text)!.AsObject();
            if (message["topic"]!.GetValue<string>() == marker)
                return socket;
            if (message["topic"]!.GetValue<string>() == "heartbeat")
                continue;
            Assert.Fail($"expected the marker first, got {text}");
        }
    }

    public Task AuthenticateAsync(string token, string[] topics, string? project = null, long? lastSequence = null)
    {
        var message = new JsonObject
        {
            ["topic"] = "auth",
            ["token"] = token,
            ["subscribe"] = new JsonArray([.. topics.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["project"] = project,
        };
        if (lastSequence is not null)
            message["lastSequence"] = lastSequence;
        return SendAsync(message);
    }

    public Task SendAsync(JsonObject message) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next message other than a heartbeat; fails after a generous wait.</summary>
    public async Task<JsonObject> ReceiveAsync(bool skipHeartbeats = true)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var (type, text) = await ReceiveFrameAsync(timeout.Token);
            Assert.True(type == WebSocketMessageType.Text, $"expected a message, the server closed: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
            var message = JsonNode.Parse(text)!.AsObject();
            var topic = message["topic"]!.GetValue<string>();
            if (skipHeartbeats && topic == "heartbeat" || topic.EndsWith(".ready", StringComparison.Ordinal))
                continue;
            return message;
        }
    }

    /// <summary>Messages until one matches; returns all received, the matching one last.</summary>
    public async Task<List<JsonObject>> ReceiveUntilAsync(Func<JsonObject, bool> last)
    {
        var received = new List<JsonObject>();
        while (true)
        {
            var message = await ReceiveAsync();
            received.Add(message);
            if (last(message))
                return received;
        }
    }

    /// <summary>Waits for the server to close the connection; answers its close status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var (type, _) = await ReceiveFrameAsync(timeout.Token);
            if (type == WebSocketMessageType.Close)
                return (Socket.CloseStatus, Socket.CloseStatusDescription);
        }
    }

    public async Task<(WebSocketMessageType Type, string Text)> ReceiveFrameAsync(CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await Socket.ReceiveAsync(buffer.AsMemory(length), token);
            length += result.Count;
        } while (!result.EndOfMessage);
        return (result.MessageType, Encoding.UTF8.GetString(buffer, 0, length));
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }
        Socket.Dispose();
    }
}
