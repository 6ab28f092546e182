using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;

namespace Anvil.Server.Hosting;

/// <summary>
/// The one check of every JSON request body, before any handler reads it: the body is read whole (up
/// to <see cref="AyonOptions.MaxJsonBodySize"/>), walked once, and refused with a 400 naming the field
/// when it is not valid JSON or UTF-8, repeats a key in one object, holds a string with a NUL or an
/// unpaired surrogate (<c>\ud800</c>), or a string longer than its limit (names, labels, free text).
/// Handlers then bind from the checked copy, so nothing malformed reaches them, PostgreSQL or the log.
/// </summary>
/// <remarks>
/// Duplicate keys: AYON's parser keeps the last value; Anvil refuses the body, naming the key. No
/// client that builds its body from a dictionary can send one, and a body that says two things about
/// one field is more likely a bug than an intent.
/// </remarks>
public sealed class InputGate(RequestDelegate next, AyonOptions options)
{
    const int MaxDepth = 64;

    /// <summary>Keys whose strings are names or type names (AYON_MAX_NAME_LENGTH), besides every key ending in "name".</summary>
    static readonly HashSet<string> NameKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "productType", "productBaseType", "folderType", "taskType", "linkType", "linkTypeName", "inputType", "outputType",
        "entityType", "status", "author", "code", "sender", "senderType", "topic",
    };

    public async Task InvokeAsync(HttpContext context)
    {
        CheckUrl(context.Request);
        if (!HasJsonBody(context.Request) || context.GetEndpoint()?.Metadata.GetMetadata<RawBody>() is not null)
        {
            await next(context);
            return;
        }
        var (buffer, length) = await ReadBodyAsync(context);
        try
        {
            var body = buffer.AsSpan(0, length);
            if (body.Length > 0)
                Check(body, options);
            context.Request.Body = new MemoryStream(buffer, 0, length, writable: false);
            context.Request.ContentLength = length;
            // Binding reads the body through the request's PipeReader: over a stream it would come in
            // 4 KB segments, each a resumption of the deserialiser and a multi-segment read of every
            // token; over the checked buffer it is one segment, read in one pass.
            var pipe = context.Features.Get<IRequestBodyPipeFeature>();
            context.Features.Set<IRequestBodyPipeFeature>(new CheckedBody(new ReadOnlySequence<byte>(buffer, 0, length)));
            try
            {
                await next(context);
            }
            finally
            {
                context.Features.Set(pipe);
            }
        }
        finally
        {
            // The handler has read its body by the time the pipeline returns (binding copies what it keeps).
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Route and query values: a NUL (<c>%00</c>) or an unpaired surrogate is a 400 naming the parameter (loc <c>path</c> or <c>query</c>).</summary>
    static void CheckUrl(HttpRequest request)
    {
        foreach (var (name, value) in request.RouteValues)
            if (value is string text && BadText(text) is { } problem)
                throw Parameter("path", name, problem);
        foreach (var (name, values) in request.Query)
        {
            if (BadText(name) is { } keyProblem)
                throw Parameter("query", name, keyProblem);
            foreach (var value in values)
                if (value is not null && BadText(value) is { } problem)
                    throw Parameter("query", name, problem);
        }
    }

    static BadRequest Parameter(string where, string name, string message)
    {
        name = LogText.Sanitize(name);
        var error = new BadRequest($"{name}: {message}", "validation-error");
        error.Extra["errors"] = new[] { new ValidationIssue([where, name], message, "value_error") };
        return error;
    }

    static string? BadText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                return "contains a NUL character";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return "contains an unpaired surrogate";
        }
        return null;
    }

    static bool HasJsonBody(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            return false;
        if (request.ContentLength == 0 || string.IsNullOrEmpty(request.ContentType))
            return false;
        var mediaType = request.ContentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
               mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The whole body in a buffer of the shared pool (returned by the caller), and its length. A body
    /// of unknown length (chunked, as HttpClient sends JSON content) grows the buffer by doubling, each
    /// step a pooled array: a bulk write's megabyte is not a growing stream and its copy, every request.
    /// </summary>
    async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpContext context)
    {
        var cap = options.MaxJsonBodySize;
        if (context.Request.ContentLength > cap)
            throw TooLarge(cap);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = cap + 1;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(context.Request.ContentLength ?? 16 * 1024, cap) + 1);
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, cap + 1));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await context.Request.Body.ReadAsync(buffer.AsMemory(filled), context.RequestAborted);
                if (read == 0)
                    return (buffer, filled);
                filled += read;
                if (filled > cap)
                    throw TooLarge(cap);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    static AyonError TooLarge(long cap) => new(413, $"Request body is larger than {cap} bytes (AYON_MAX_JSON_BODY_SIZE)", "request-too-large");

    /// <summary>Walks the body once; throws the 400 for its first problem.</summary>
    public static void Check(ReadOnlySpan<byte> body, AyonOptions options)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var path = new List<Frame>();
        // Frames are reused by depth, and a key already seen in the body is not made again: one Key
        // per distinct key of the body (so a repeat in an object is the same instance), its text limit
        // worked out once.
        var frames = new List<Frame>();
        var keys = new Dictionary<string, Key>(StringComparer.Ordinal);
        var seenKeys = keys.GetAlternateLookup<ReadOnlySpan<char>>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        Advance(path);
                        if (frames.Count == path.Count)
                            frames.Add(new Frame());
                        var opened = frames[path.Count];
                        opened.Reset(reader.TokenType == JsonTokenType.StartObject);
                        path.Add(opened);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var key = KeyOf(ref reader, path, keys, seenKeys, options);
                        var frame = path[^1];
                        if (!frame.AddKey(key))
                            throw BadRequest.Field(Field(path, key.Name), "this key appears more than once in the object", "value_error.duplicate_key");
                        frame.Key = key;
                        break;
                    case JsonTokenType.String:
                        Advance(path);
                        var (limit, setting) = path.Count > 0 && path[^1].IsObject && path[^1].Key is { } of
                            ? (of.Limit, of.Setting)
                            : (options.MaxTextLength, "AYON_MAX_TEXT_LENGTH");
                        if (TextLength(ref reader, path) > limit)
                            throw BadRequest.Field(Field(path), $"ensure this value has at most {limit} characters ({setting})", "value_error.any_str.max_length");
                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw Field(path) is { Length: > 0 } field
                ? BadRequest.Field(field, "invalid JSON here", "value_error.jsondecode")
                : new BadRequest($"Request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})", "validation-error");
        }
    }

    /// <summary>A value inside an array takes the next index.</summary>
    static void Advance(List<Frame> path)
    {
        if (path.Count > 0 && !path[^1].IsObject)
            path[^1].Index++;
    }

    /// <summary>The key of the current token, as <see cref="Text"/> checks it; the same <see cref="Key"/> for the same text.</summary>
    static Key KeyOf(ref Utf8JsonReader reader, List<Frame> path, Dictionary<string, Key> keys,
        Dictionary<string, Key>.AlternateLookup<ReadOnlySpan<char>> seen, AyonOptions options)
    {
        var span = reader.ValueSpan;
        // Sibling objects mostly repeat their keys in order (a batch's operations): the key the
        // previous object at this depth had at this position, compared as bytes.
        if (!reader.ValueIsEscaped && path[^1].Expected(span) is { } repeated)
            return repeated;
        if (!reader.ValueIsEscaped && span.Length <= 128)
        {
            Span<char> chars = stackalloc char[128];
            // Almost every key is ASCII: one vectorised check and widening, no UTF-8 decoder.
            var count = Ascii.ToUtf16(span, chars, out var written) == System.Buffers.OperationStatus.Done ? written
                : Utf8.IsValid(span) ? Encoding.UTF8.GetChars(span, chars) : -1;
            if (count >= 0 && seen.TryGetValue(chars[..count], out var known))
                return known;
        }
        var text = Text(ref reader, path, isKey: true);
        if (keys.TryGetValue(text, out var same))
            return same;
        var (limit, setting) = LimitOf(text, options);
        var key = new Key(text, limit, setting, reader.ValueIsEscaped ? null : span.ToArray());
        keys.Add(text, key);
        return key;
    }

    /// <summary>
    /// The length in UTF-16 characters of the current string token, after the checks of
    /// <see cref="Text"/>. An unescaped string needs no copy: valid UTF-8 holds neither a NUL (JSON
    /// escapes control characters) nor a lone surrogate, so only escaped ones are decoded.
    /// </summary>
    static int TextLength(ref Utf8JsonReader reader, List<Frame> path)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
            return Text(ref reader, path, isKey: false).Length;
        // ASCII (nearly every value): one UTF-16 character a byte.
        if (Ascii.IsValid(reader.ValueSpan))
            return reader.ValueSpan.Length;
        if (!Utf8.IsValid(reader.ValueSpan))
            throw BadRequest.Field(Field(path), "not valid UTF-8", "value_error.unicode");
        return Encoding.UTF8.GetCharCount(reader.ValueSpan);
    }

    /// <summary>The string of the current token, refused when it is not valid UTF-8, holds a NUL or an unpaired surrogate.</summary>
    static string Text(ref Utf8JsonReader reader, List<Frame> path, bool isKey)
    {
        string FieldName(string? key = null) => isKey ? Field(path, key ?? "(key)") : Field(path);
        if (!Utf8.IsValid(reader.ValueSpan))
            throw BadRequest.Field(FieldName(), "not valid UTF-8", "value_error.unicode");
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw BadRequest.Field(FieldName(), "contains an unpaired surrogate escape (e.g. \\ud800)", "value_error.unicode");
        }
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                throw BadRequest.Field(FieldName(LogText.Sanitize(text)), "contains a NUL character", "value_error.nul");
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                throw BadRequest.Field(FieldName(LogText.Sanitize(text)), "contains an unpaired surrogate escape (e.g. \\ud800)", "value_error.unicode");
        }
        return text;
    }

    /// <summary>The text limit of a string under <paramref name="key"/>.</summary>
    static (int Limit, string Setting) LimitOf(string key, AyonOptions options)
    {
        if (key.Equals("label", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Label", StringComparison.Ordinal))
            return (options.MaxLabelLength, "AYON_MAX_LABEL_LENGTH");
        if (NameKeys.Contains(key) || key.EndsWith("name", StringComparison.OrdinalIgnoreCase))
            return (options.MaxNameLength, "AYON_MAX_NAME_LENGTH");
        return (options.MaxTextLength, "AYON_MAX_TEXT_LENGTH");
    }

    /// <summary>The dotted field of the current position (<c>operations.0.data.label</c>), plus a key being read.</summary>
    static string Field(List<Frame> path, string? key = null)
    {
        var parts = new List<string>();
        for (var i = 0; i < path.Count; i++)
        {
            var frame = path[i];
            if (frame.IsObject && i == path.Count - 1 && key is not null)
                parts.Add(key);
            else if (frame.IsObject && frame.Key is not null)
                parts.Add(frame.Key.Name);
            else if (!frame.IsObject && frame.Index >= 0)
                parts.Add(frame.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return string.Join('.', parts.Select(p => LogText.Sanitize(p, 200)));
    }

    /// <summary>The checked body as the request's PipeReader: the whole of it, one segment.</summary>
    sealed class CheckedBody(ReadOnlySequence<byte> body) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = PipeReader.Create(body);
    }

    /// <summary>A distinct key of the body, with the limit of the strings under it (and its UTF-8, when it was sent unescaped).</summary>
    sealed record Key(string Name, int Limit, string Setting, byte[]? Utf8);

    sealed class Frame
    {
        // An object's keys so far, in order, compared as instances (one Key per distinct text): the
        // list scanned, and a set once the object has many. The previous object at this depth keeps
        // its keys, in order, for Expected.
        const int ScanLimit = 16;
        List<Key> _keys = [];
        List<Key> _previous = [];
        HashSet<Key>? _many;

        public bool IsObject { get; private set; }
        public Key? Key { get; set; }
        public int Index { get; set; } = -1;

        /// <summary>False when the object has the key already.</summary>
        public bool AddKey(Key key)
        {
            if (_many is not null)
            {
                if (!_many.Add(key))
                    return false;
            }
            else
            {
                foreach (var known in _keys)
                    if (ReferenceEquals(known, key))
                        return false;
                if (_keys.Count == ScanLimit)
                    _many = new HashSet<Key>([.. _keys, key], ReferenceEqualityComparer.Instance);
            }
            _keys.Add(key);
            return true;
        }

        /// <summary>The key the previous object at this depth had at the position of the next key, when its UTF-8 is <paramref name="utf8"/>.</summary>
        public Key? Expected(ReadOnlySpan<byte> utf8) =>
            _keys.Count < _previous.Count && _previous[_keys.Count] is { Utf8: { } known } key && utf8.SequenceEqual(known) ? key : null;

        public void Reset(bool isObject)
        {
            IsObject = isObject;
            if (_keys.Count > 0)
                (_previous, _keys) = (_keys, _previous);
            _keys.Clear();
            _many = null;
            Key = null;
            Index = -1;
        }
    }
}

/// <summary>
/// Endpoint metadata: the body is bytes the handler streams itself (an addon zip, a thumbnail), whatever
/// content type the client sends with it (the official client sends zips as <c>application/json</c>).
/// </summary>
public sealed class RawBody
{
    public static readonly RawBody Instance = new();
}

public static class RawBodyExtensions
{
    /// <summary>Exempts the endpoints from <see cref="InputGate"/>: they read their body as bytes.</summary>
    public static TBuilder AcceptsRawBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RawBody.Instance);
}
