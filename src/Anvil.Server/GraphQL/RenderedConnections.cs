using System.Buffers;
using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;
using ExecutionContext = GraphQL.Execution.ExecutionContext;

namespace Anvil.Server.GraphQL;

/// <summary>
/// Entity connections written straight into JSON. GraphQL.NET builds an execution node, a resolver
/// context and a serializer call for every field of every row (about 180,000 for a whole hierarchy);
/// for a connection whose selection reads only the row (scalars, <c>attrib</c>, <c>allAttrib</c>,
/// files, ...) that bookkeeping is most of the time a query takes. Such a connection is rendered
/// here in one pass: the same resolvers on the same rows, their values completed and written as
/// GraphQL.NET would (field order, aliases, fragments, <c>__typename</c>, nulls), into one JSON
/// fragment the response writer copies. Anything else in the selection (a parent, a nested
/// connection, a field with arguments, <c>@skip</c>/<c>@include</c> that cannot be decided) keeps the general path.
/// </summary>
public static class RenderedConnections
{
    const string PlainKey = "anvil:plain";
    const string RenderedKey = "anvil:rendered";
    const string WriterKey = "anvil:writer";

    /// <summary>Marks a field whose resolver reads only its source, synchronously: it may be rendered.</summary>
    public static FieldType Plain(this FieldType field)
    {
        field.Metadata[PlainKey] = true;
        return field;
    }

    /// <summary>
    /// A <see cref="Plain"/> scalar field whose value the rendering writes with <paramref name="write"/> rather than
    /// through its resolver: for values the resolver would build as a string only to have it written (a JSON string
    /// made from a column's UTF-8, a file's path read from the column). <paramref name="write"/> returns false, having
    /// written nothing, where it leaves the value to the resolver. What it writes must be exactly what the resolver's
    /// value is written as; <c>GraphQL/rendered_connections.cs</c> compares both paths byte for byte.
    /// </summary>
    public static FieldType WrittenBy(this FieldType field, Func<Utf8JsonWriter, object, bool> write)
    {
        field.Metadata[WriterKey] = write;
        return field.Plain();
    }

    internal static Func<Utf8JsonWriter, object, bool>? WriterOf(FieldType field) =>
        field.GetMetadata<Func<Utf8JsonWriter, object, bool>?>(WriterKey, (Func<Utf8JsonWriter, object, bool>?)null);

    /// <summary>
    /// A <see cref="Plain"/> field whose value is a list of objects of scalars (a representation's <c>files</c>), written
    /// with <paramref name="write"/> rather than through its resolver and the objects' fields: <paramref name="write"/> is
    /// given the selected fields (key as written, field name, or the type name for <c>__typename</c>) and returns false,
    /// having written nothing, where it leaves the value to the resolver. The same contract as <see cref="WrittenBy"/>.
    /// </summary>
    public static FieldType WrittenWith(this FieldType field, Func<Utf8JsonWriter, object, IReadOnlyList<SelectedScalar>, bool> write)
    {
        field.Metadata[ObjectsWriterKey] = write;
        return field.Plain();
    }

    const string ObjectsWriterKey = "anvil:objects-writer";

    internal static Func<Utf8JsonWriter, object, IReadOnlyList<SelectedScalar>, bool>? ObjectsWriterOf(FieldType field) =>
        field.GetMetadata<Func<Utf8JsonWriter, object, IReadOnlyList<SelectedScalar>, bool>?>(ObjectsWriterKey, (Func<Utf8JsonWriter, object, IReadOnlyList<SelectedScalar>, bool>?)null);

    /// <summary>Marks every field of a type as <see cref="Plain"/> (types over a row or a JSON value).</summary>
    public static T AllPlain<T>(this T type) where T : IComplexGraphType
    {
        foreach (var field in type.Fields)
            field.Plain();
        return type;
    }

    /// <summary>Marks a connection type whose fields, when the selection allows it, are rendered in one pass.</summary>
    public static T Rendered<T>(this T connection) where T : IObjectGraphType
    {
        connection.Metadata[RenderedKey] = true;
        return connection;
    }

    static long _rendered;

    /// <summary>How many connections were rendered since the process started (tests check that the path is taken).</summary>
    public static long RenderedCount => Interlocked.Read(ref _rendered);

    internal static void CountRendered() => Interlocked.Increment(ref _rendered);

    internal static bool IsPlain(FieldType field) => field.GetMetadata(PlainKey, false);

    internal static bool IsRendered(IGraphType? type) =>
        (type is NonNullGraphType nonNull ? nonNull.ResolvedType : type) is IObjectGraphType { } connection && connection.GetMetadata(RenderedKey, false);

    /// <summary>The options the GraphQL response is written with: fragments are written alike (escaping, names).</summary>
    public static JsonSerializerOptions ResponseOptions { get; internal set; } = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}

/// <summary>
/// A JSON value already written, in pooled chunks: the response writer copies it as it is, and
/// the chunks go back to the pool (a page of thousands of rows is megabytes: one contiguous buffer
/// would be a large-object allocation, and a full garbage collection, per page).
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public sealed class RawJson : IBufferWriter<byte>
{
    const int ChunkSize = 64 * 1024;
    readonly List<(byte[] Chunk, int Length)> _chunks = [];
    byte[]? _current;
    int _used;

    public void Advance(int count) => _used += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_current is null || _current.Length - _used < sizeHint)
        {
            if (_current is not null)
                _chunks.Add((_current, _used));
            _current = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, sizeHint));
            _used = 0;
        }
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Writes the value into <paramref name="writer"/> and returns the chunks to the pool; once only.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        if (_current is not null)
            _chunks.Add((_current, _used));
        _current = null;
        if (_chunks.Count == 1)
            writer.WriteRawValue(_chunks[0].Chunk.AsSpan(0, _chunks[0].Length), skipInputValidation: true);
        else
        {
            Segment? first = null, last = null;
            foreach (var (chunk, length) in _chunks)
            {
                var segment = new Segment(chunk.AsMemory(0, length), last?.RunningIndex + last?.Memory.Length ?? 0);
                last?.SetNext(segment);
                first ??= segment;
                last = segment;
            }
            writer.WriteRawValue(new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length), skipInputValidation: true);
        }
        foreach (var (chunk, _) in _chunks)
            ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
    }

    /// <summary>Returns the chunks to the pool without writing them (a value abandoned half-written).</summary>
    public void Discard()
    {
        if (_current is not null)
            ArrayPool<byte>.Shared.Return(_current);
        _current = null;
        foreach (var (chunk, _) in _chunks)
            ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
    }

    sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}

public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) => value.WriteTo(writer);
}

/// <summary>
/// A connection field rendered in one pass: executed like any field (its resolver and batch loader
/// are the general path's), then its value is written by <see cref="SelectionWriter"/> instead of
/// growing child nodes.
/// </summary>
sealed class RenderedConnectionNode(ExecutionNode parent, IGraphType graphType, GraphQLField field, FieldType fieldDefinition, SelectionPlan plan)
    : ExecutionNode(parent, graphType, field, fieldDefinition, null)
{
    public SelectionPlan Plan { get; } = plan;

    public override object? ToValue() => Result;
}

/// <summary>
/// The selection of one field, collected as GraphQL.NET collects it (fragments, aliases, merging,
/// <c>@skip</c>/<c>@include</c>), each field with the resolver context it is called with.
/// </summary>
sealed class SelectionPlan(IObjectGraphType type, PlannedField[] fields)
{
    public IObjectGraphType Type { get; } = type;

    public PlannedField[] Fields { get; } = fields;

    /// <summary>The same plan with resolver contexts of its own (a context's source changes row by row: one writer at a time).</summary>
    public SelectionPlan Copy() => new(Type, [.. Fields.Select(f => f.Copy())]);
}

/// <summary>A scalar field of an object selection, as <see cref="RenderedConnections.WrittenWith"/>'s writer is given it.</summary>
public sealed record SelectedScalar(JsonEncodedText Key, string Field, string? TypeName);

sealed class PlannedField(JsonEncodedText key, FieldType definition, IGraphType type, ResolveFieldContext? context, SelectionPlan? selection, string? typeName)
{
    /// <summary>Writes the field's value straight from the source, for fields that have such a writer (<see cref="RenderedConnections.WrittenBy"/>).</summary>
    public Func<Utf8JsonWriter, object, bool>? Writer { get; } = selection is null ? RenderedConnections.WriterOf(definition) : null;

    /// <summary>Writes a list of objects of scalars straight from the source (<see cref="RenderedConnections.WrittenWith"/>), given <see cref="Scalars"/>.</summary>
    public Func<Utf8JsonWriter, object, IReadOnlyList<SelectedScalar>, bool>? ObjectsWriter { get; } =
        selection is not null && selection.Fields.All(f => f.Selection is null) ? RenderedConnections.ObjectsWriterOf(definition) : null;

    public IReadOnlyList<SelectedScalar> Scalars { get; } =
        selection is null ? [] : [.. selection.Fields.Select(f => new SelectedScalar(f.Key, f.Definition.Name, f.TypeName))];

    public JsonEncodedText Key { get; } = key;

    public FieldType Definition { get; } = definition;

    public IGraphType Type { get; } = type;

    /// <summary>The context the resolver is called with; only its source changes from row to row.</summary>
    public ResolveFieldContext? Context { get; } = context;

    /// <summary>The selection under an object-valued field; null for scalars.</summary>
    public SelectionPlan? Selection { get; } = selection;

    /// <summary>For <c>__typename</c>: the name written.</summary>
    public string? TypeName { get; } = typeName;

    public PlannedField Copy() => new(Key, Definition, Type, Context is null ? null : new ResolveFieldContext(Context), Selection?.Copy(), TypeName);
}

/// <summary>The execution strategy of queries: GraphQL.NET's parallel one, with entity connections rendered (see <see cref="RenderedConnections"/>).</summary>
public sealed class RenderingExecutionStrategy : ParallelExecutionStrategy
{
    public static new RenderingExecutionStrategy Instance { get; } = new();

    protected override void SetSubFieldNodes(ExecutionContext context, ObjectExecutionNode parent)
    {
        base.SetSubFieldNodes(context, parent);
        if (context.UserContext is GraphQLUserContext { RenderConnections: false })
            return;
        var subFields = parent.SubFields!;
        for (var i = 0; i < subFields.Length; i++)
        {
            var node = subFields[i];
            if (node is ObjectExecutionNode && RenderedConnections.IsRendered(node.FieldDefinition.ResolvedType)
                && PlanOf(context, node) is { } plan)
                subFields[i] = new RenderedConnectionNode(parent, node.GraphType!, node.Field, node.FieldDefinition, plan);
        }
    }

    protected override async Task CompleteNodeAsync(ExecutionContext context, ExecutionNode node)
    {
        if (node is RenderedConnectionNode rendered && node.Result is { } value and not RawJson)
        {
            try
            {
                node.Result = SelectionWriter.Render(value, rendered.Plan, context);
                RenderedConnections.CountRendered();
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (ExecutionError error)
            {
                SetNodeError(context, node, error);
                return;
            }
            catch (Exception exception)
            {
                if (await ProcessNodeUnhandledExceptionAsync(context, node, exception))
                    throw;
                return;
            }
        }
        await base.CompleteNodeAsync(context, node);
    }

    /// <summary>
    /// The plan of a connection field, the same for every parent it is asked under (kept for the
    /// request, keyed by the field's syntax node); null when the selection is not plain.
    /// </summary>
    SelectionPlan? PlanOf(ExecutionContext context, ExecutionNode node)
    {
        var plans = PlanCache(context);
        lock (plans)
        {
            if (plans.TryGetValue(node.Field, out var known))
                return known;
        }
        var contextTemplate = new ResolveFieldContext(new ReadonlyResolveFieldContext(node, context));
        var plan = Plan(context, (IObjectGraphType)Unwrap(node.FieldDefinition.ResolvedType!), node.Field.SelectionSet, contextTemplate);
        lock (plans)
            plans[node.Field] = plan;
        return plan;
    }

    /// <summary>Where the request's selection plans are kept in its user context (<see cref="EdgeWriter"/> reads them too).</summary>
    internal const string PlansKey = "anvil:plans";

    static Dictionary<GraphQLField, SelectionPlan?> PlanCache(ExecutionContext context)
    {
        lock (context.UserContext)
        {
            if (context.UserContext.TryGetValue(PlansKey, out var cache))
                return (Dictionary<GraphQLField, SelectionPlan?>)cache!;
            var created = new Dictionary<GraphQLField, SelectionPlan?>();
            context.UserContext[PlansKey] = created;
            return created;
        }
    }

    SelectionPlan? Plan(ExecutionContext context, IObjectGraphType type, GraphQLSelectionSet? selectionSet, ResolveFieldContext template)
    {
        if (selectionSet is null)
            return null;
        var collected = CollectFieldsFrom(context, type, selectionSet, null);
        var fields = new PlannedField[collected.Count];
        var naming = RenderedConnections.ResponseOptions.PropertyNamingPolicy;
        var encoder = RenderedConnections.ResponseOptions.Encoder;
        var i = 0;
        foreach (var (name, (ast, definition)) in collected)
        {
            var key = JsonEncodedText.Encode(naming?.ConvertName(name) ?? name, encoder);
            if (definition.Name == "__typename")
            {
                fields[i++] = new PlannedField(key, definition, definition.ResolvedType!, null, null, type.Name);
                continue;
            }
            if (!RenderedConnections.IsPlain(definition) || definition.Resolver is null || ast.Arguments is { Count: > 0 })
                return null;
            var fieldContext = new ResolveFieldContext(template)
            {
                FieldAst = ast,
                FieldDefinition = definition,
                ParentType = type,
                Arguments = null,
                Directives = null,
                SubFields = null,
            };
            SelectionPlan? selection = null;
            if (Unwrap(definition.ResolvedType!) is IObjectGraphType objectType)
            {
                selection = Plan(context, objectType, ast.SelectionSet, template);
                if (selection is null)
                    return null;
            }
            else if (Unwrap(definition.ResolvedType!) is not ScalarGraphType)
                return null; // interfaces, unions: the general path
            fields[i++] = new PlannedField(key, definition, definition.ResolvedType!, fieldContext, selection, null);
        }
        return new SelectionPlan(type, fields);
    }

    /// <summary>The named type under non-null and list wrappers.</summary>
    static IGraphType Unwrap(IGraphType type) => type switch
    {
        NonNullGraphType nonNull => Unwrap(nonNull.ResolvedType!),
        ListGraphType list => Unwrap(list.ResolvedType!),
        _ => type,
    };
}

/// <summary>Writes a value through a <see cref="SelectionPlan"/>: resolvers called, values completed and written as GraphQL.NET's serializer does.</summary>
static class SelectionWriter
{
    public static RawJson Render(object value, SelectionPlan plan, ExecutionContext context)
    {
        var rendered = new RawJson();
        using (var writer = new Utf8JsonWriter(rendered, new JsonWriterOptions { Encoder = RenderedConnections.ResponseOptions.Encoder, SkipValidation = true }))
            WriteObject(writer, value, plan, context.CancellationToken);
        return rendered;
    }

    static void WriteObject(Utf8JsonWriter writer, object source, SelectionPlan plan, CancellationToken cancellationToken)
    {
        writer.WriteStartObject();
        foreach (var field in plan.Fields)
        {
            writer.WritePropertyName(field.Key);
            if (field.TypeName is { } typeName)
            {
                writer.WriteStringValue(typeName);
                continue;
            }
            if (field.Writer is { } write && write(writer, source))
                continue;
            if (field.ObjectsWriter is { } writeObjects && writeObjects(writer, source, field.Scalars))
                continue;
            var context = field.Context!;
            context.Source = source;
            var pending = field.Definition.Resolver!.ResolveAsync(context);
            // Plain resolvers complete synchronously; waiting keeps the contract should one not.
            var value = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            WriteValue(writer, value, field.Type, field, cancellationToken);
        }
        writer.WriteEndObject();
    }

    internal static void WriteValue(Utf8JsonWriter writer, object? value, IGraphType type, PlannedField field, CancellationToken cancellationToken)
    {
        var nonNull = false;
        if (type is NonNullGraphType wrapper)
        {
            nonNull = true;
            type = wrapper.ResolvedType!;
        }
        if (type is ScalarGraphType scalar && value is not null)
            value = scalar.Serialize(value);
        if (value is null)
        {
            if (nonNull)
                throw new ExecutionError($"Cannot return null for a non-null type. Field: {field.Definition.Name}, Type: {field.Type}.");
            writer.WriteNullValue();
            return;
        }
        switch (type)
        {
            case ScalarGraphType:
                WriteScalar(writer, value);
                break;
            case ListGraphType when value is WrittenEdges written && written.Field == field:
                written.WriteTo(writer);
                break;
            case ListGraphType list:
                if (value is not IEnumerable items || value is string)
                    throw new ExecutionError($"Expected an IEnumerable list though did not find one. Found: {value.GetType().Name}");
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    WriteValue(writer, item, list.ResolvedType!, field, cancellationToken);
                }
                writer.WriteEndArray();
                break;
            default:
                WriteObject(writer, value, field.Selection!, cancellationToken);
                break;
        }
    }

    /// <summary>A serialized scalar, as <c>JsonSerializer.Serialize(writer, value, options)</c> writes it.</summary>
    static void WriteScalar(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case string text: writer.WriteStringValue(text); break;
            case bool flag: writer.WriteBooleanValue(flag); break;
            case int number: writer.WriteNumberValue(number); break;
            case long number: writer.WriteNumberValue(number); break;
            default: JsonSerializer.Serialize(writer, value, value.GetType(), RenderedConnections.ResponseOptions); break;
        }
    }
}

/// <summary>
/// Writes UTF-8 text as a JSON string value, escaped exactly as <see cref="Utf8JsonWriter.WriteStringValue(ReadOnlySpan{byte})"/>
/// escapes it with the writer's encoder. For ASCII text (a compact JSON document: its writer escaped everything
/// else) each byte's escape is looked up in a table made by that same writer, one byte at a time, which is several
/// times faster than the writer's own escaping for text full of quotes (a JSON string holding JSON).
/// </summary>
public static class Utf8StringValue
{
    /// <summary>For each ASCII byte, what a writer writes for it (null: the byte itself), and the bytes it changes.</summary>
    sealed record Escapes(byte[]?[] Table, SearchValues<byte> Changed);

    static readonly System.Collections.Concurrent.ConcurrentDictionary<System.Text.Encodings.Web.JavaScriptEncoder, Escapes> Tables = new();
    static Escapes? _defaultTable;

    [ThreadStatic]
    static ArrayBufferWriter<byte>? _escaped;

    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> text)
    {
        if (Escaped(writer, text) is { } escaped)
            writer.WriteRawValue(escaped.WrittenSpan, skipInputValidation: true);
        else
            writer.WriteStringValue(text);
    }

    /// <summary>
    /// The JSON string value (quotes included) <see cref="Write"/> writes for ASCII <paramref name="text"/>, in a buffer
    /// of the thread valid until the next call; null for other text (the writer escapes it).
    /// </summary>
    public static ArrayBufferWriter<byte>? Escaped(Utf8JsonWriter writer, ReadOnlySpan<byte> text)
    {
        if (!System.Text.Ascii.IsValid(text))
            return null;
        var (table, changed) = EscapesOf(writer.Options.Encoder);
        var escaped = _escaped ??= new ArrayBufferWriter<byte>(4096);
        escaped.ResetWrittenCount();
        var output = escaped.GetSpan(text.Length * 6 + 2);
        var length = 0;
        output[length++] = (byte)'"';
        // Runs the writer leaves as they are are copied whole.
        while (CopyUntil(ref text, changed, output, ref length))
        {
            var sequence = table[text[0]]!;
            sequence.CopyTo(output[length..]);
            length += sequence.Length;
            text = text[1..];
        }
        output[length++] = (byte)'"';
        escaped.Advance(length);
        return escaped;
    }

    /// <summary>
    /// Copies the bytes of <paramref name="text"/> before the first of <paramref name="stops"/> to <paramref name="output"/> at
    /// <paramref name="length"/> and moves both past them; false when the text is all copied.
    /// </summary>
    internal static bool CopyUntil(ref ReadOnlySpan<byte> text, SearchValues<byte> stops, Span<byte> output, ref int length)
    {
        var run = text.IndexOfAny(stops);
        if (run < 0)
            run = text.Length;
        text[..run].CopyTo(output[length..]);
        length += run;
        text = text[run..];
        return !text.IsEmpty;
    }

    /// <summary>For each ASCII byte, what a writer with <paramref name="encoder"/> writes for it inside a string (null: the byte itself); made once per encoder.</summary>
    internal static byte[]?[] TableFor(System.Text.Encodings.Web.JavaScriptEncoder? encoder) => EscapesOf(encoder).Table;

    static Escapes EscapesOf(System.Text.Encodings.Web.JavaScriptEncoder? encoder) =>
        encoder is null ? _defaultTable ??= TableOf(null) : Tables.GetOrAdd(encoder, TableOf);

    /// <summary>For each ASCII byte, what the writer with <paramref name="encoder"/> writes for it inside a string; null where it is written as it is.</summary>
    static Escapes TableOf(System.Text.Encodings.Web.JavaScriptEncoder? encoder)
    {
        var table = new byte[]?[128];
        var buffer = new ArrayBufferWriter<byte>(16);
        for (var b = 0; b < 128; b++)
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder }))
                writer.WriteStringValue([(byte)b]);
            var written = buffer.WrittenSpan[1..^1];
            if (written.Length != 1 || written[0] != b)
                table[b] = written.ToArray();
        }
        return new Escapes(table, SearchValues.Create([.. Enumerable.Range(0, 128).Where(b => table[b] is not null).Select(b => (byte)b)]));
    }
}
