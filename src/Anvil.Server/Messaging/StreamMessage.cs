using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Server.Messaging;

/// <summary>
/// One message of the live stream, serialised once for every websocket client: AYON's pub/sub
/// message without <c>recipients</c>, plus <c>sequence</c> (its position in the stream).
/// </summary>
public sealed record StreamMessage(long? Sequence, string Topic, string? Project, IReadOnlyList<string>? Recipients, ReadOnlyMemory<byte> Utf8)
{
    public static StreamMessage Heartbeat { get; } = new(null, "heartbeat", null, null, Encoding.UTF8.GetBytes("""{"topic": "heartbeat"}"""));

    /// <summary>
    /// The sequence of a published message without reading the rest: the publisher writes it first
    /// (<see cref="EventPublisher.WithSequence(string, long)"/>). Null when there is none.
    /// </summary>
    public static long? SequenceOf(string json) => SequenceOf(System.Text.Encoding.UTF8.GetBytes(json));

    /// <summary>As <see cref="SequenceOf(string)"/>, for the message's UTF-8.</summary>
    public static long? SequenceOf(ReadOnlySpan<byte> json)
    {
        ReadOnlySpan<byte> prefix = "{\"sequence\": "u8;
        if (!json.StartsWith(prefix))
            return null;
        var digits = json[prefix.Length..];
        var end = digits.IndexOfAny((byte)',', (byte)'}');
        return end > 0 && long.TryParse(digits[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            ? sequence : null;
    }

    /// <summary>Reads a message as published on Redis; null when it is not one of ours.</summary>
    public static StreamMessage? Parse(string json)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        if (message?["topic"] is not JsonValue topicValue || !topicValue.TryGetValue<string>(out var topic))
            return null;
        long? sequence = message["sequence"] is JsonValue s && s.TryGetValue<long>(out var n) ? n : null;
        string? project = message["project"] is JsonValue p && p.TryGetValue<string>(out var name) ? name : null;
        IReadOnlyList<string>? recipients = null;
        if (message["recipients"] is JsonArray list)
            recipients = [.. list.Select(r => r?.ToString() ?? "")];
        message.Remove("recipients");
        return new StreamMessage(sequence, topic, project, recipients, Encoding.UTF8.GetBytes(message.ToJsonString()));
    }
}
