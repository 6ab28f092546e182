using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Anvil.Server.GraphQL;

/// <summary>
/// A jsonb column's text as PostgreSQL writes it (<c>{"a": 1, "b": [true, "x"]}</c>: a space after each <c>:</c> and
/// <c>,</c> outside strings, no other whitespace) written as the JSON string of its compact form — the bytes
/// <see cref="EntityNode"/>'s compaction and then <see cref="Utf8StringValue"/> write — in one pass over its
/// characters: outside strings a space is dropped and any other character escaped as the answer's writer escapes it;
/// inside strings each character is escaped as the compact writer escapes it, then as the answer's writer does. Both
/// escapes come from tables those writers made. Only text of printable ASCII without a backslash is written here
/// (its strings then hold no escapes); anything else answers false, having written nothing, for the two-step path.
/// </summary>
public static class JsonbText
{
    /// <summary>
    /// The JSON string of the column (<c>data</c>): null for an empty object or null, as <see cref="EntityNode.DataJson"/>.
    /// </summary>
    public static bool TryWriteData(Utf8JsonWriter writer, string? text)
    {
        if (text is null || !Plain(text))
            return false;
        if (text is "{}" or "null")
            writer.WriteNullValue();
        else
            Write(writer, text);
        return true;
    }

    /// <summary>
    /// The JSON string of member <paramref name="member"/> of the object (<c>context</c> of <c>data</c>): <c>"{}"</c>
    /// when absent or null, as <see cref="EntityNode.MemberJson"/>.
    /// </summary>
    public static bool TryWriteMember(Utf8JsonWriter writer, string? text, string member)
    {
        if (text is null || !text.StartsWith('{') || !Plain(text))
            return false;
        var value = Member(text, member);
        Write(writer, value.IsEmpty || value.SequenceEqual("null") ? "{}" : value);
        return true;
    }

    /// <summary>Printable ASCII without a backslash: strings hold no escapes, every character is one byte.</summary>
    static bool Plain(string text) => text.AsSpan().IndexOfAnyExceptInRange(' ', '~') < 0 && !text.Contains('\\');

    /// <summary>The value of a top-level member of a <see cref="Plain"/> object's text; empty when absent.</summary>
    static ReadOnlySpan<char> Member(ReadOnlySpan<char> json, string member)
    {
        var i = 1;
        while (true)
        {
            while (i < json.Length && json[i] is ' ' or ',')
                i++;
            if (i >= json.Length || json[i] != '"')
                return [];
            var close = json[(i + 1)..].IndexOf('"') + i + 1;
            var name = json[(i + 1)..close];
            i = close + 1;
            while (i < json.Length && json[i] is ' ' or ':')
                i++;
            var end = ValueEnd(json, i);
            if (name.SequenceEqual(member))
                return json[i..end];
            i = end;
        }
    }

    /// <summary>Where the value starting at <paramref name="start"/> ends: at the <c>,</c> or closing bracket after it.</summary>
    static int ValueEnd(ReadOnlySpan<char> json, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < json.Length; i++)
        {
            var c = json[i];
            if (c == '"')
                inString = !inString;
            else if (inString)
                continue;
            else if (c is '{' or '[')
                depth++;
            else if (c is '}' or ']')
            {
                if (depth == 0)
                    return i;
                depth--;
            }
            else if (c == ',' && depth == 0)
                return i;
        }
        return json.Length;
    }

    static void Write(Utf8JsonWriter writer, ReadOnlySpan<char> json)
    {
        var tables = TablesOf(writer.Options.Encoder);
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var output = buffer.GetSpan(json.Length * tables.Longest + 2);
        var length = 0;
        output[length++] = (byte)'"';
        var inString = false;
        foreach (var c in json)
        {
            var b = (byte)c;
            byte[]? escaped;
            if (b == '"')
            {
                inString = !inString;
                escaped = tables.Outside[b];
            }
            else if (inString)
                escaped = tables.Inside[b];
            else if (b == ' ')
                continue;
            else
                escaped = tables.Outside[b];
            if (escaped is null)
                output[length++] = b;
            else
            {
                escaped.CopyTo(output[length..]);
                length += escaped.Length;
            }
        }
        output[length++] = (byte)'"';
        writer.WriteRawValue(output[..length], skipInputValidation: true);
    }

    [ThreadStatic]
    static ArrayBufferWriter<byte>? _buffer;

    /// <summary>For each ASCII character, its bytes in the answer outside a string and inside one (null: the character itself).</summary>
    sealed record Tables(byte[]?[] Outside, byte[]?[] Inside, int Longest);

    static readonly ConcurrentDictionary<JavaScriptEncoder, Tables> ByEncoder = new();
    static Tables? _default;

    static Tables TablesOf(JavaScriptEncoder? encoder) =>
        encoder is null ? _default ??= Make(null) : ByEncoder.GetOrAdd(encoder, Make);

    static Tables Make(JavaScriptEncoder? encoder)
    {
        var outside = Utf8StringValue.TableFor(encoder);
        var compact = Utf8StringValue.TableFor(null); // the compact writer's own escaping (default options)
        var inside = new byte[]?[128];
        for (var b = 0; b < 128; b++)
        {
            if (compact[b] is not { } inner)
            {
                inside[b] = outside[b];
                continue;
            }
            inside[b] = [.. inner.SelectMany(x => outside[x] ?? [x])];
        }
        var longest = outside.Concat(inside).Max(e => e?.Length ?? 1);
        return new Tables(outside, inside, longest);
    }
}
