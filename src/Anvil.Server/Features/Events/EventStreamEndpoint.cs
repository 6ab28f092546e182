using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Anvil.Server.Observability;

namespace Anvil.Server.Features.Events;

/// <summary>
/// <c>/ws</c>, AYON's live event stream. The client sends
/// <c>{"topic": "auth", "token": "...", "subscribe": ["entity.folder", ...], "project": "..."}</c>
/// within 3 seconds; then it receives every matching message as a JSON text frame. Anvil's
/// extension: <c>"lastSequence": n</c> in the auth message first replays every stored message after
/// <c>n</c>, then continues live, without a gap or a repeat at the seam.
/// </summary>
public static class EventStreamEndpoint
{
    static readonly TimeSpan AuthTimeout = TimeSpan.FromSeconds(3);
    static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);
    const int MaxIncoming = 64 * 1024;

    public static WebApplication MapEventStream(this WebApplication app)
    {
        // Only a handshake goes through the websocket middleware (here and the addons' proxied sockets):
        // it would otherwise make and attach its feature for every request.
        app.UseWhen(context => WebSocketHandshake.IsRequested(context.Request),
            handshake => handshake.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) }));
        app.Map("/ws", HandleAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    static async Task HandleAsync(HttpContext context, EventStreamHub hub, CredentialResolver credentials, ILogger<StreamClient> logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            throw new BadRequest("This endpoint speaks the websocket protocol only");
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var client = hub.NewClient(socket);
        hub.Add(client);
        var sender = client.RunSenderAsync();
        _ = Task.Delay(AuthTimeout, client.Dropped).ContinueWith(_ =>
        {
            if (client.Subscription is null)
                client.Drop("Not authenticated");
        }, TaskScheduler.Default);
        // Cancelling a receive aborts the socket, which would swallow the close frame the sender
        // writes when it drops the client: give the client a moment to answer that close first.
        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var onDrop = client.Dropped.Register(() => stopReceiving.CancelAfter(CloseGrace));
        try
        {
            await ReceiveAsync(client, context, credentials, logger, stopReceiving.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            hub.Remove(client);
            client.Drop("Connection closed", WebSocketCloseStatus.NormalClosure);
            await sender;
        }
    }

    static async Task ReceiveAsync(StreamClient client, HttpContext context, CredentialResolver credentials, ILogger logger,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxIncoming];
        var socket = client.Socket;
        while (socket.State == WebSocketState.Open)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    client.Drop("Message too big", WebSocketCloseStatus.MessageTooBig);
                    return;
                }
                result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            } while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close)
                return;
            if (result.MessageType != WebSocketMessageType.Text)
                continue;
            JsonObject? message;
            try
            {
                message = JsonNode.Parse(buffer.AsSpan(0, length)) as JsonObject;
            }
            catch (JsonException)
            {
                continue;
            }
            if (message?["topic"]?.GetValueKind() == JsonValueKind.String && message["topic"]!.GetValue<string>() == "auth")
                await AuthenticateAsync(client, message, context, credentials, logger);
        }
    }

    /// <summary>
    /// The <c>auth</c> message, resolved as HTTP credentials are (<see cref="CredentialResolver"/>:
    /// cached, and <c>X-As-User</c> from the upgrade request honoured for service users).
    /// </summary>
    static async Task AuthenticateAsync(StreamClient client, JsonObject message, HttpContext context, CredentialResolver credentials, ILogger logger)
    {
        var token = message["token"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : null;
        if (string.IsNullOrEmpty(token))
            return;
        CurrentUser? current;
        try
        {
            current = (await credentials.ResolveTokenAsync(token, context.Request.Headers["X-As-User"].ToString(), context.RequestAborted)).User;
        }
        catch (Forbidden)
        {
            current = null;
        }
        if (current is null)
        {
            logger.LogInformation("Websocket authentication failed");
            return;
        }
        var user = current.User;
        var topics = message["subscribe"] is JsonArray list
            ? list.Select(s => s is JsonValue v && v.TryGetValue<string>(out var topic) ? topic : null).OfType<string>().ToList()
            : [];
        var project = message["project"] is JsonValue p && p.TryGetValue<string>(out var name) && name.Length > 0 ? name : null;
        long? resumeAfter = message["lastSequence"] is JsonValue l && l.TryGetValue<long>(out var sequence) && sequence >= 0 ? sequence : null;
        // A key limited to some projects hears only those.
        var projects = ProjectAccess.VisibleProjects(current);
        client.Subscribe(new StreamSubscription(user.Name, user.IsGuest, topics, project, projects), resumeAfter);
    }
}
