using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Anvil.Server.GraphQL;

/// <summary>
/// A jsonb column's text as PostgreSQL writes it, in UTF-8 (<c>{"a": 1, "b": [true, "x"]}</c>: a space after each <c>:</c> and
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
    public static bool TryWriteData(Utf8JsonWriter writer, byte[]? text)
    {
        if (text is null || !Plain(text))
            return false;
        if (text.AsSpan().SequenceEqual("{}"u8) || text.AsSpan().SequenceEqual("null"u8))
            writer.WriteNullValue();
        else
            Write(writer, text);
        return true;
    }

    /// <summary>
    /// The JSON string of member <paramref name="member"/> of the object (<c>context</c> of <c>data</c>): <c>"{}"</c>
    /// when absent or null, as <see cref="EntityNode.MemberJson"/>.
    /// </summary>
    public static bool TryWriteMember(Utf8JsonWriter writer, byte[]? text, string member)
    {
        if (text is null || !text.AsSpan().StartsWith((byte)'{') || !Plain(text))
            return false;
        var value = Member(text, member);
        Write(writer, value.IsEmpty || value.SequenceEqual("null"u8) ? "{}"u8 : value);
        return true;
    }

    /// <summary>
    /// An array of objects (a representation's <c>files</c>) written as the list of <paramref name="fields"/> of each object
    /// that is one, each a string or a number's text (null when absent or null), as the text fields of
    /// <see cref="GraphTypes.JsonObjectType"/> answer. False, having written nothing, when the text is not a plain array, or
    /// an object has no string <paramref name="required"/> (the resolver fills it in) or a selected field of another kind.
    /// </summary>
    public static bool TryWriteObjects(Utf8JsonWriter writer, byte[]? text, IReadOnlyList<SelectedScalar> fields, string required)
    {
        if (text is null || !text.AsSpan().StartsWith((byte)'[') || !Plain(text))
            return false;
        var json = text.AsSpan();
        Span<Range> members = stackalloc Range[2 * MaxMembers];
        for (var i = NextElement(json, 1); i >= 0; i = NextElement(json, ValueEnd(json, i)))
        {
            if (json[i] != '{')
                continue;
            var item = json[i..ValueEnd(json, i)];
            if (Members(item, members) is not { } count || !Find(item, members, count, required).StartsWith((byte)'"'))
                return false;
            foreach (var field in fields)
                if (field.TypeName is null && Find(item, members, count, field.Field) is { IsEmpty: false } value
                    && value[0] is not ((byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9')) && !value.SequenceEqual("null"u8))
                    return false;
        }
        writer.WriteStartArray();
        for (var i = NextElement(json, 1); i >= 0; i = NextElement(json, ValueEnd(json, i)))
        {
            if (json[i] != '{')
                continue;
            var item = json[i..ValueEnd(json, i)];
            var count = Members(item, members)!.Value;
            writer.WriteStartObject();
            foreach (var field in fields)
            {
                writer.WritePropertyName(field.Key);
                if (field.TypeName is { } typeName)
                    writer.WriteStringValue(typeName);
                else if (Find(item, members, count, field.Field) is var value && (value.IsEmpty || value.SequenceEqual("null"u8)))
                    writer.WriteNullValue();
                else
                    writer.WriteStringValue(value[0] == '"' ? value[1..^1] : value);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        return true;
    }

    /// <summary>
    /// The JSON string of the object's members named in <paramref name="names"/> (<c>allAttrib</c>), as
    /// <see cref="EntityNode.InScopeJson"/> then <see cref="Utf8StringValue"/> write it, in a buffer of the thread valid until
    /// the next call; empty, having written nothing, for text that is not a plain object (or holds a name over <see cref="MaxNameLength"/>).
    /// </summary>
    public static ReadOnlySpan<byte> InScope(Utf8JsonWriter writer, byte[]? text, HashSet<string> names)
    {
        if (text is null || !text.AsSpan().StartsWith((byte)'{') || !Plain(text))
            return default;
        var json = text.AsSpan();
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> name = stackalloc char[MaxNameLength];
        var kept = _kept ??= new ArrayBufferWriter<byte>(1024);
        kept.ResetWrittenCount();
        kept.Write("{"u8);
        var i = 1;
        while (true)
        {
            while (i < json.Length && json[i] is (byte)' ' or (byte)',')
                i++;
            if (i >= json.Length || json[i] != '"')
                break;
            var close = json[(i + 1)..].IndexOf((byte)'"') + i + 1;
            var start = i;
            // Plain text is ASCII, so the name's bytes widen to its characters one for one.
            if (close - i - 1 > MaxNameLength)
                return default;
            var length = Encoding.ASCII.GetChars(json[(i + 1)..close], name);
            i = close + 1;
            while (i < json.Length && json[i] is (byte)' ' or (byte)':')
                i++;
            var end = ValueEnd(json, i);
            if (lookup.Contains(name[..length]))
            {
                if (kept.WrittenCount > 1)
                    kept.Write(","u8);
                kept.Write(json[start..end]);
            }
            i = end;
        }
        kept.Write("}"u8);
        return Escape(writer, kept.WrittenSpan);
    }

    /// <summary>Longer attribute names (there are none in practice) take the two-step path.</summary>
    const int MaxNameLength = 128;

    [ThreadStatic]
    static ArrayBufferWriter<byte>? _kept;

    const int MaxMembers = 32;

    /// <summary>The name and value ranges of a plain object's members, in pairs; null past <see cref="MaxMembers"/>.</summary>
    static int? Members(ReadOnlySpan<byte> json, Span<Range> members)
    {
        var count = 0;
        var i = 1;
        while (true)
        {
            while (i < json.Length && json[i] is (byte)' ' or (byte)',')
                i++;
            if (i >= json.Length || json[i] != '"')
                return count;
            if (count == MaxMembers)
                return null;
            var close = json[(i + 1)..].IndexOf((byte)'"') + i + 1;
            members[2 * count] = new Range(i + 1, close);
            i = close + 1;
            while (i < json.Length && json[i] is (byte)' ' or (byte)':')
                i++;
            var end = ValueEnd(json, i);
            members[2 * count + 1] = new Range(i, end);
            count++;
            i = end;
        }
    }

    static ReadOnlySpan<byte> Find(ReadOnlySpan<byte> json, Span<Range> members, int count, string name)
    {
        for (var m = 0; m < count; m++)
            if (Ascii.Equals(json[members[2 * m]], name))
                return json[members[2 * m + 1]];
        return [];
    }

    /// <summary>Where the next element of an array starts, from the end of the previous one (or just after <c>[</c>); -1 at its end.</summary>
    static int NextElement(ReadOnlySpan<byte> json, int from)
    {
        while (from < json.Length && json[from] is (byte)' ' or (byte)',')
            from++;
        return from < json.Length && json[from] != ']' ? from : -1;
    }

    /// <summary>Printable ASCII without a backslash: strings hold no escapes, every character is one byte.</summary>
    static bool Plain(ReadOnlySpan<byte> text) => text.IndexOfAnyExceptInRange((byte)' ', (byte)'~') < 0 && !text.Contains((byte)'\\');

    /// <summary>The value of a top-level member of a <see cref="Plain"/> object's text; empty when absent.</summary>
    static ReadOnlySpan<byte> Member(ReadOnlySpan<byte> json, string member)
    {
        var i = 1;
        while (true)
        {
            while (i < json.Length && json[i] is (byte)' ' or (byte)',')
                i++;
            if (i >= json.Length || json[i] != '"')
                return [];
            var close = json[(i + 1)..].IndexOf((byte)'"') + i + 1;
            var name = json[(i + 1)..close];
            i = close + 1;
            while (i < json.Length && json[i] is (byte)' ' or (byte)':')
                i++;
            var end = ValueEnd(json, i);
            if (Ascii.Equals(name, member))
                return json[i..end];
            i = end;
        }
    }

    /// <summary>Where the value starting at <paramref name="start"/> ends: at the <c>,</c> or closing bracket after it.</summary>
    static int ValueEnd(ReadOnlySpan<byte> json, int start)
    {
        var depth = 0;
        for (var i = start; i < json.Length; i++)
        {
            var c = json[i];
            if (c == '"')
            {
                // Plain text: a string ends at the next quote.
                var close = json[(i + 1)..].IndexOf((byte)'"');
                if (close < 0)
                    return json.Length;
                i += close + 1;
            }
            else if (c is (byte)'{' or (byte)'[')
                depth++;
            else if (c is (byte)'}' or (byte)']')
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

    static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> json) => writer.WriteRawValue(Escape(writer, json), skipInputValidation: true);

    /// <summary>The JSON string value <see cref="Write"/> writes, in a buffer of the thread valid until the next call.</summary>
    static ReadOnlySpan<byte> Escape(Utf8JsonWriter writer, ReadOnlySpan<byte> json)
    {
        var tables = TablesOf(writer.Options.Encoder);
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var output = buffer.GetSpan(json.Length * tables.Longest + 2);
        var length = 0;
        output[length++] = (byte)'"';
        var inString = false;
        while (!json.IsEmpty)
        {
            // Inside a string, a run of bytes written as they are is copied whole (paths, names); outside, between
            // punctuation and spaces, runs are too short for a search to pay.
            if (inString && !Utf8StringValue.CopyUntil(ref json, tables.InsideStops, output, ref length))
                break;
            var b = json[0];
            json = json[1..];
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
        return output[..length];
    }

    [ThreadStatic]
    static ArrayBufferWriter<byte>? _buffer;

    /// <summary>
    /// For each ASCII character, its bytes in the answer outside a string and inside one (null: the character itself), and
    /// the characters that end a run inside a string written as it is (the quote, what <c>Inside</c> changes).
    /// </summary>
    sealed record Tables(byte[]?[] Outside, byte[]?[] Inside, int Longest, SearchValues<byte> InsideStops);

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
        var insideStops = Enumerable.Range(0, 128).Select(b => (byte)b).Where(b => b == '"' || inside[b] is not null).ToArray();
        return new Tables(outside, inside, longest, SearchValues.Create(insideStops));
    }
}
