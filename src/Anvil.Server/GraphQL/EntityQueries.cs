using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.GraphQL;

/// <summary>
/// An entity row as GraphQL nodes see it: the REST shape of the row, its project and its sort key.
/// JSON columns stay text — PostgreSQL's UTF-8, as read — until a field needs them as JSON (<see cref="Json"/>,
/// <see cref="Element"/>); the JSON-string fields (<c>allAttrib</c>, <c>data</c>, <c>context</c>) are written straight
/// from that text (<see cref="WriteDataJson"/>, ...) when a connection is rendered.
/// </summary>
public sealed class EntityNode
{
    // _jsonTexts (by column, as _values) is never changed once the row is read, so it is read without a lock; what is
    // parsed from it goes into Row (JsonNode, under the lock) or _elements (JsonElement, see Element).
    readonly byte[]?[]? _jsonTexts;
    (string Key, JsonElement Element)[]? _elements;
    JsonObject? _row;
    readonly RowColumns? _columns;
    readonly object?[]? _values;

    public EntityNode(string project, JsonObject row, long order, string? sort = null)
    {
        (Project, _row, Order, Sort) = (project, row, order, sort);
    }

    /// <summary>
    /// A row read as its columns' values (<see cref="JsonRows.Value"/>, null where missing): its <see cref="Row"/> is
    /// made when something asks for it. A rendered connection's fields write the values themselves (<see cref="Value"/>),
    /// so a page of thousands of rows makes no node per value. JSON columns are in <paramref name="jsonTexts"/> instead, at
    /// the same positions: the column's UTF-8 text as the database gave it.
    /// </summary>
    public EntityNode(string project, RowColumns columns, object?[] values, long order, string? sort, byte[]?[]? jsonTexts)
    {
        (Project, _columns, _values, Order, Sort, _jsonTexts) = (project, columns, values, order, sort, jsonTexts);
    }

    public string Project { get; }

    /// <summary>The row's values; JSON columns appear once read through <see cref="Json"/>.</summary>
    public JsonObject Row => _row ?? MakeRow();

    JsonObject MakeRow()
    {
        var properties = new List<KeyValuePair<string, JsonNode?>>(_values!.Length);
        for (var i = 0; i < _values.Length; i++)
            if (_values[i] is { } value && _columns!.IndexOf(_columns.Names[i]) == i)
                properties.Add(new(_columns.Names[i], JsonRows.Node(value)));
        var row = new JsonObject(properties);
        return Interlocked.CompareExchange(ref _row, row, null) ?? row;
    }

    /// <summary>A value of the row: as read (<see cref="JsonRows.Value"/>), or its node once the row is a <see cref="Row"/>; null when missing.</summary>
    public object? Value(string key)
    {
        if (_row is { } row)
            return row[key];
        var i = _columns!.IndexOf(key);
        return i < 0 ? null : _values![i];
    }

    /// <summary>A text value of the row (an id); null when missing.</summary>
    public string? Text(string key) => Value(key) switch
    {
        string text => text,
        JsonNode node => node.GetValue<string>(),
        _ => null,
    };

    /// <summary>Removes a value from the row (a query's grouping key, once the rows are grouped).</summary>
    public void Remove(string key)
    {
        if (_row is { } row)
            row.Remove(key);
        else if (_columns!.IndexOf(key) is var i and >= 0)
            _values![i] = null;
    }

    public long Order { get; }

    public string? Sort { get; }

    /// <summary>The entity type (<c>folder</c>), set where a field typed as <see cref="BaseNode"/> may lead to any type (a link's other end).</summary>
    public string? Type { get; set; }

    /// <summary>The values a cursor of this row holds: the sortBy key (when sorted) and the creation order.</summary>
    public object?[] CursorValues => Sort is null ? [Order] : [Sort, Order];

    public Guid Id => Guid.Parse(Text("id")!);

    public Guid? IdOf(string field) => Text(field) is { } text ? Guid.Parse(text) : null;

    /// <summary>A JSON column as JSON (parsed on first use), or any other value of the row.</summary>
    public JsonNode? Json(string key)
    {
        if (JsonText(key) is not { } text)
            return Row[key];
        lock (_jsonTexts!)
        {
            if (!Row.TryGetPropertyValue(key, out var node))
                Row[key] = node = JsonNode.Parse(text);
            return node;
        }
    }

    /// <summary>
    /// A JSON column as a <see cref="JsonElement"/> (parsed on first use; one read-only document, no node per value), or
    /// null when the row has none. For fields that read parts of a column (a representation's <c>files</c>).
    /// </summary>
    public JsonElement? Element(string key)
    {
        if (JsonText(key) is not { } text)
            return Row[key] is { } node ? JsonSerializer.SerializeToElement(node) : null;
        // Without a lock (a row's fields are read one after the other on a rendered connection, and a lock taken
        // per row showed in its profile): the parsed columns are a list replaced whole; two fields of one row
        // parsing the same column at once keep either document, the same value.
        var known = Volatile.Read(ref _elements);
        foreach (var (name, parsed) in known ?? [])
            if (name == key)
                return parsed;
        var reader = new Utf8JsonReader(text);
        var element = JsonElement.ParseValue(ref reader);
        Interlocked.CompareExchange(ref _elements, [.. known ?? [], (key, element)], known);
        return element;
    }

    /// <summary>The text of a JSON column as the database gave it; null when the row has none (or keeps it parsed).</summary>
    byte[]? JsonText(string key) => _jsonTexts is { } texts && _columns!.IndexOf(key) is var i and >= 0 ? texts[i] : null;

    /// <summary><c>allAttrib</c>: the JSON string of the values of <paramref name="key"/> whose names are in <paramref name="names"/>.</summary>
    public string InScopeJson(string key, HashSet<string> names) => Text(Compact(JsonPart.InScope, key, null, names))!;

    /// <summary>
    /// <see cref="InScopeJson"/> written as a JSON string value, from UTF-8. Consecutive rows often hold the same values (a
    /// folder's tasks inherit its attributes and come one after the other in creation order): the thread keeps its last
    /// answer with the text and scope it was made from, and writes it again for the same ones.
    /// </summary>
    public bool WriteInScopeJson(Utf8JsonWriter writer, string key, HashSet<string> names)
    {
        if (JsonText(key) is not { } text)
            return WriteString(writer, Compact(JsonPart.InScope, key, null, names));
        var last = _lastInScope ??= new LastInScope();
        if (ReferenceEquals(last.Names, names) && ReferenceEquals(last.Encoder, writer.Options.Encoder) && last.Text is { } lastText
            && lastText.AsSpan().SequenceEqual(text))
        {
            writer.WriteRawValue(last.Written.WrittenSpan, skipInputValidation: true);
            return true;
        }
        // Plain text (the usual) is filtered and escaped in one pass; other text is compacted, then escaped.
        var escaped = JsonbText.InScope(writer, text, names);
        if (escaped.IsEmpty)
        {
            var compact = Compact(JsonPart.InScope, key, null, names)!;
            if (Utf8StringValue.Escaped(writer, compact.WrittenSpan) is not { } written)
            {
                last.Text = null;
                writer.WriteStringValue(compact.WrittenSpan);
                return true;
            }
            escaped = written.WrittenSpan;
        }
        writer.WriteRawValue(escaped, skipInputValidation: true);
        last.Written.ResetWrittenCount();
        last.Written.Write(escaped);
        (last.Text, last.Names, last.Encoder) = (text, names, writer.Options.Encoder);
        return true;
    }

    /// <summary>The thread's last <c>allAttrib</c> written (<see cref="WriteInScopeJson"/>) and what it was made from.</summary>
    sealed class LastInScope
    {
        public byte[]? Text;
        public HashSet<string>? Names;
        public System.Text.Encodings.Web.JavaScriptEncoder? Encoder;
        public readonly ArrayBufferWriter<byte> Written = new(1024);
    }

    [ThreadStatic]
    static LastInScope? _lastInScope;

    /// <summary><c>data</c>: the JSON string of the column, null when it is empty or null.</summary>
    public string? DataJson(string key) => Text(Compact(JsonPart.Data, key, null, null));

    /// <summary><see cref="DataJson"/> written as a JSON string value (or null), from UTF-8.</summary>
    public bool WriteDataJson(Utf8JsonWriter writer, string key) =>
        JsonbText.TryWriteData(writer, JsonText(key)) || WriteString(writer, Compact(JsonPart.Data, key, null, null));

    /// <summary>
    /// The JSON string of the member <paramref name="member"/> of the object in column <paramref name="key"/>
    /// (<c>"{}"</c> when absent or null), read from the text without parsing the column into nodes.
    /// </summary>
    public string MemberJson(string key, string member) => Text(Compact(JsonPart.Member, key, member, null))!;

    /// <summary><see cref="MemberJson"/> written as a JSON string value, from UTF-8.</summary>
    public bool WriteMemberJson(Utf8JsonWriter writer, string key, string member) =>
        JsonbText.TryWriteMember(writer, JsonText(key), member) || WriteString(writer, Compact(JsonPart.Member, key, member, null));

    /// <summary>
    /// Writes null for a JSON column the row, read as its columns' values, holds no value in (SQL NULL: what the
    /// resolver answers for it); false, having written nothing, otherwise.
    /// </summary>
    public bool WriteNullIfMissing(Utf8JsonWriter writer, string key)
    {
        if (_row is not null || _columns is null)
            return false;
        var i = _columns.IndexOf(key);
        if (i < 0 || _jsonTexts?[i] is not null)
            return false;
        writer.WriteNullValue();
        return true;
    }

    /// <summary>
    /// A JSON column holding an array of objects written as the list of <paramref name="fields"/> of each, from the column's
    /// text (<see cref="JsonbText.TryWriteObjects"/>); false, having written nothing, where the resolver answers.
    /// </summary>
    public bool WriteObjects(Utf8JsonWriter writer, string key, IReadOnlyList<SelectedScalar> fields, string required) =>
        JsonbText.TryWriteObjects(writer, JsonText(key), fields, required);

    enum JsonPart { InScope, Data, Member }

    static string? Text(ArrayBufferWriter<byte>? compact) => compact is null ? null : Encoding.UTF8.GetString(compact.WrittenSpan);

    static bool WriteString(Utf8JsonWriter writer, ArrayBufferWriter<byte>? compact)
    {
        if (compact is null)
            writer.WriteNullValue();
        else
            Utf8StringValue.Write(writer, compact.WrittenSpan);
        return true;
    }

    /// <summary>
    /// The compact JSON (as <see cref="JsonNode.ToJsonString"/> writes it) of one part of a JSON column, in UTF-8, in a
    /// buffer of the thread valid until the next call; null for no value (<c>data</c> empty or null).
    /// </summary>
    ArrayBufferWriter<byte>? Compact(JsonPart part, string key, string? member, HashSet<string>? names)
    {
        if (JsonText(key) is not { } text)
            return Parsed(part, key, member, names);
        if (text.AsSpan().SequenceEqual("{}"u8))
            return part switch { JsonPart.Data => null, _ => Utf8Of("{}") };
        var reader = new Utf8JsonReader(text);
        reader.Read();
        var writer = CompactWriter(out var buffer);
        switch (part)
        {
            case JsonPart.InScope:
                WriteInScope(ref reader, writer, names!);
                break;
            case JsonPart.Data:
                if (reader.TokenType == JsonTokenType.Null)
                    return null;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var rest = reader;
                    if (rest.Read() && rest.TokenType == JsonTokenType.EndObject)
                        return null;
                }
                CopyValue(ref reader, writer);
                break;
            default:
                if (reader.TokenType != JsonTokenType.StartObject)
                    return Parsed(part, key, member, names); // not an object: as the parsed path answers
                if (!FindMember(ref reader, member!))
                    return Utf8Of("{}");
                CopyValue(ref reader, writer);
                break;
        }
        writer.Flush();
        return buffer;
    }

    /// <summary><see cref="Compact"/> of a column kept parsed (a user whose access filters attributes).</summary>
    ArrayBufferWriter<byte>? Parsed(JsonPart part, string key, string? member, HashSet<string>? names) => part switch
    {
        JsonPart.InScope => Utf8Of(GraphTypes.InScope(Json(key) as JsonObject, names!).ToJsonString()),
        JsonPart.Data => GraphTypes.DataString(Json(key)) is { } data ? Utf8Of(data) : null,
        _ => Utf8Of((Json(key)?[member!] ?? new JsonObject()).ToJsonString()),
    };

    /// <summary>Moves the reader, on an object's start, to the value of its member <paramref name="member"/>; false when absent or null.</summary>
    static bool FindMember(ref Utf8JsonReader reader, string member)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var found = reader.ValueTextEquals(member);
            reader.Read();
            if (found && reader.TokenType != JsonTokenType.Null)
                return true;
            reader.Skip();
        }
        return false;
    }

    static ArrayBufferWriter<byte> Utf8Of(string json)
    {
        CompactWriter(out var buffer);
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(json.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(json, span));
        return buffer;
    }

    /// <summary>The thread's writer, reset over its emptied buffer (default options: the bytes <see cref="JsonNode.ToJsonString"/> writes).</summary>
    static Utf8JsonWriter CompactWriter(out ArrayBufferWriter<byte> buffer)
    {
        buffer = _compactBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = _compactWriter ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return writer;
    }

    [ThreadStatic]
    static ArrayBufferWriter<byte>? _compactBuffer;

    [ThreadStatic]
    static Utf8JsonWriter? _compactWriter;

    /// <summary>
    /// Writes the members of the JSON object under the reader named in <paramref name="names"/>, as
    /// <see cref="JsonElement.WriteTo"/> writes them, reading names without allocating (this runs for every row of a page).
    /// </summary>
    static void WriteInScope(ref Utf8JsonReader reader, Utf8JsonWriter writer, HashSet<string> names)
    {
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        writer.WriteStartObject();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            Span<char> nameBuffer = stackalloc char[128];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = PropertyName(in reader, nameBuffer);
                reader.Read();
                if (!lookup.Contains(name))
                {
                    reader.Skip();
                    continue;
                }
                writer.WritePropertyName(name);
                CopyValue(ref reader, writer);
            }
        }
        writer.WriteEndObject();
    }

    /// <summary>The reader's property name, decoded into <paramref name="buffer"/> when it fits and needs no unescaping (no allocation).</summary>
    static ReadOnlySpan<char> PropertyName(in Utf8JsonReader reader, Span<char> buffer) =>
        !reader.ValueIsEscaped && reader.ValueSpan.Length <= buffer.Length
            ? buffer[..Encoding.UTF8.GetChars(reader.ValueSpan, buffer)]
            : reader.GetString();

    /// <summary>
    /// Copies the reader's current value (and everything inside it) to the writer, token by token, as
    /// <see cref="JsonElement.WriteTo"/> writes it: names and strings unescaped then escaped by the writer, numbers as they are.
    /// </summary>
    static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        var depth = reader.CurrentDepth;
        var container = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray;
        while (true)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                case JsonTokenType.PropertyName when !reader.ValueIsEscaped: writer.WritePropertyName(reader.ValueSpan); break;
                case JsonTokenType.PropertyName: writer.WritePropertyName(reader.GetString()!); break;
                case JsonTokenType.String when !reader.ValueIsEscaped: writer.WriteStringValue(reader.ValueSpan); break;
                case JsonTokenType.String: writer.WriteStringValue(reader.GetString()); break;
                case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                default: writer.WriteNullValue(); break;
            }
            if (!container || (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == depth))
                return;
            reader.Read();
        }
    }

    /// <summary>
    /// <see cref="NamesIn"/> written as a list of strings, read from the column's UTF-8 without a document; false, having
    /// written nothing, for a column kept parsed or not an object (the resolver answers).
    /// </summary>
    public bool WriteNamesIn(Utf8JsonWriter writer, string key, HashSet<string> names)
    {
        if (JsonText(key) is not { } text)
            return false;
        if (text.AsSpan().SequenceEqual("{}"u8))
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
            return true;
        }
        var reader = new Utf8JsonReader(text);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return false;
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> nameBuffer = stackalloc char[128];
        writer.WriteStartArray();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(in reader, nameBuffer);
            reader.Read();
            reader.Skip();
            if (lookup.Contains(name))
                writer.WriteStringValue(name);
        }
        writer.WriteEndArray();
        return true;
    }

    /// <summary><c>ownAttrib</c>: the names of the object's values that are in <paramref name="names"/>.</summary>
    public List<string> NamesIn(string key, HashSet<string> names)
    {
        if (JsonText(key) is not { } text)
            return (Json(key) as JsonObject)?.Select(p => p.Key).Where(names.Contains).ToList() ?? [];
        if (text.AsSpan().SequenceEqual("{}"u8))
            return [];
        using var document = JsonDocument.Parse(text);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? [.. document.RootElement.EnumerateObject().Select(p => p.Name).Where(names.Contains)]
            : [];
    }
}

/// <summary>The columns of one query's rows: their names in order, and where each one is (the last of a name).</summary>
public sealed class RowColumns
{
    readonly Dictionary<string, int> _index = [];

    public RowColumns(string[] names)
    {
        Names = names;
        for (var i = 0; i < names.Length; i++)
            _index[names[i]] = i;
    }

    public string[] Names { get; }

    public int IndexOf(string name) => _index.GetValueOrDefault(name, -1);
}

/// <summary>
/// The SQL of every entity connection and lookup, generic over the entity definitions: the
/// definition's columns a query's fields read (aliases = API names) plus the creation order and an
/// optional grouping key; filters and paging run in SQL.
/// </summary>
public static class EntityQueries
{
    /// <summary>Creation order, after the sortBy key when there is one (a total order, so cursors are exact).</summary>
    static string[] SortKeys(string? sort) => sort is null ? ["e.creation_order"] : [sort, "e.creation_order"];

    /// <summary>One page of a root connection; <paramref name="sort"/> is the sortBy expression (text), or null.</summary>
    /// <remarks>
    /// <paramref name="edges"/> (a rendered connection's, see <see cref="EdgeWriter"/>) is given each row as it is read, so the page is
    /// written while PostgreSQL still sends it.
    /// </remarks>
    public static async Task<Connection<EntityNode>> PageAsync(ProjectSession session, EntityDefinition graph, IReadOnlyList<string> conditions,
        DynamicParameters parameters, Paging paging, string? sort, IReadOnlySet<string>? columns, CancellationToken cancellationToken,
        Func<int, Func<EntityNode, IEnumerable<object?>>, EdgeWriter?>? edges = null)
    {
        string sql;
        if (sort is null)
            sql = paging.Apply($"{SelectOf(graph, null, sort, columns)}\nWHERE {Where(Readable(session, graph, conditions))}", SortKeys(sort), parameters);
        else
        {
            // A sortBy orders every matching row: rank only the ids (narrow rows) and read the columns of the page's rows alone,
            // so subqueries and wide columns are not carried through a sort of the whole table.
            var keys = paging.Apply($"SELECT e.id AS \"_key\"\n{graph.From}\nWHERE {Where(Readable(session, graph, conditions))}", SortKeys(sort), parameters);
            sql = $"{SelectOf(graph, null, sort, columns)}\nJOIN ({keys}) k ON k.\"_key\" = e.id\nORDER BY {paging.OrderBy(SortKeys(sort))}";
        }
        var writer = edges?.Invoke(paging.Size, CursorValues);
        var rows = await ReadAsync(session, graph, sql, parameters, cancellationToken, writer is null ? null : writer.Add);
        var connection = paging.ToConnection(rows, CursorValues);
        return writer?.Finish(connection) ?? connection;
    }

    static readonly Func<EntityNode, IEnumerable<object?>> CursorValues = r => r.CursorValues;

    /// <summary>One page per parent, for every parent at once: the rows are ranked per parent in SQL.</summary>
    public static async Task<IReadOnlyDictionary<Guid, Connection<EntityNode>>> PagesByParentAsync(ProjectSession session, EntityDefinition graph,
        string parentColumn, IReadOnlyList<Guid> parentIds, IReadOnlyList<string> conditions, DynamicParameters parameters, Paging paging,
        string? sort, IReadOnlySet<string>? columns, CancellationToken cancellationToken)
    {
        var all = Readable(session, graph, conditions).Append($"{parentColumn} = ANY(@parentIds)").ToList();
        if (paging.CursorCondition(SortKeys(sort), parameters) is { } cursor)
            all.Add(cursor);
        parameters.Add("parentIds", parentIds.ToArray());
        parameters.Add("pageLimit", paging.Size + 1);
        var direction = paging.Descending ? "DESC" : "ASC";
        var order = sort is null ? $"q.\"_order\" {direction}" : $"q.\"_sort\" {direction}, q.\"_order\" {direction}";
        var sql = $"""
            SELECT * FROM (
                SELECT q.*, row_number() OVER (PARTITION BY q."_parent" ORDER BY {order}) AS "_rank"
                FROM (
                    {SelectOf(graph, parentColumn, sort, columns)}
                    WHERE {Where(all)}
                ) q
            ) r
            WHERE r."_rank" <= @pageLimit
            ORDER BY {order.Replace("q.", "r.", StringComparison.Ordinal)}
            """;
        var rows = await ReadAsync(session, graph, sql, parameters, cancellationToken);
        return rows.GroupBy(r => Guid.Parse(r.Text("_parent")!))
            .ToDictionary(g => g.Key, g => paging.ToConnection(g.Select(Strip).ToList(), r => r.CursorValues));
    }

    /// <summary>Rows whose <paramref name="keyColumn"/> is one of the keys (ids, parents), grouped by key.</summary>
    public static async Task<IReadOnlyDictionary<Guid, List<EntityNode>>> ByKeyAsync(ProjectSession session, EntityDefinition graph,
        string keyColumn, IReadOnlyList<Guid> keys, string? condition, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("keys", keys.ToArray());
        var where = Readable(session, graph, condition is null ? [$"{keyColumn} = ANY(@keys)"] : [$"{keyColumn} = ANY(@keys)", condition]);
        var rows = await ReadAsync(session, graph, $"{SelectOf(graph, keyColumn)}\nWHERE {Where(where)}\nORDER BY e.creation_order", parameters, cancellationToken);
        return rows.GroupBy(r => Guid.Parse(r.Text("_parent")!))
            .ToDictionary(g => g.Key, g => g.Select(Strip).ToList());
    }

    /// <summary>The conditions, plus the one keeping only what the user may read: restrictions are applied in SQL, before paging.</summary>
    static IReadOnlyList<string> Readable(ProjectSession session, EntityDefinition graph, IReadOnlyList<string> conditions) =>
        session.Access.ReadCondition(graph) is { } readable ? [.. conditions, readable] : conditions;

    static string Where(IReadOnlyList<string> conditions) => conditions.Count == 0 ? "true" : string.Join("\n  AND ", conditions);

    /// <summary>
    /// The type's SELECT with the columns named in <paramref name="columns"/> (every column for null):
    /// a query reads only what its fields show, so the costly ones (counts, <c>hasVersions</c>) run only when asked.
    /// </summary>
    static string SelectOf(EntityDefinition graph, string? groupColumn, string? sort = null, IReadOnlySet<string>? columns = null)
    {
        var group = groupColumn is null ? "" : $"{groupColumn} AS \"_parent\", ";
        var sortColumn = sort is null ? "" : $"{sort} AS \"_sort\", ";
        return $"SELECT e.creation_order AS \"_order\", {sortColumn}{group}{graph.SelectList(columns)}\n{graph.From}";
    }

    static async Task<List<EntityNode>> ReadAsync(ProjectSession session, EntityDefinition graph, string sql, DynamicParameters parameters,
        CancellationToken cancellationToken, Action<EntityNode>? onRow = null)
    {
        sql = graph.WithoutUnreadJoins(sql);
        parameters.Add("inheritedByRoots", session.Project.InheritedByRoots.ToJsonString());
        foreach (var (name, value) in session.Access.Parameters)
            parameters.Add(name, value);
        await using var reader = await session.Connection.ExecuteReaderAsync(session.Command(sql, parameters, cancellationToken));
        var columns = Enumerable.Range(0, reader.FieldCount)
            .Select(i => (Name: reader.GetName(i), Json: reader.GetDataTypeName(i) is "jsonb" or "json", Read: JsonRows.ValueReader(reader.GetFieldType(i)))).ToArray();
        // Attribute values the user may not read are removed from the parsed row; without such limits JSON stays text until used.
        var keepText = !session.Access.FiltersAttributes;
        var rows = new List<EntityNode>();
        var names = new RowColumns([.. columns.Select(c => c.Name)]);
        while (await reader.ReadAsync(cancellationToken))
        {
            // Without attribute limits a row stays its columns' values (its JsonObject made only if asked for); with them
            // it is parsed, and what the user may not read removed.
            var values = new object?[columns.Length];
            byte[]?[]? texts = null;
            JsonObject? parsed = keepText ? null : [];
            long order = 0;
            string? sort = null;
            for (var i = 0; i < columns.Length; i++)
            {
                if (reader.IsDBNull(i))
                    continue;
                var (name, json, read) = columns[i];
                switch (name)
                {
                    case "_order": order = reader.GetInt64(i); break;
                    case "_sort": sort = reader.GetString(i); break;
                    case "_rank": break;
                    case var _ when json && keepText: (texts ??= new byte[]?[columns.Length])[i] = reader.GetFieldValue<byte[]>(i); break;
                    case var _ when json: parsed![name] = JsonNode.Parse(reader.GetString(i)); break;
                    case var _ when parsed is not null: parsed[name] = JsonRows.Node(read(reader, i)); break;
                    default: values[i] = read(reader, i); break;
                }
            }
            EntityNode node;
            if (parsed is not null)
            {
                session.Access.FilterAttributes(parsed);
                node = new EntityNode(session.Project.Name, parsed, order, sort);
            }
            else
                node = new EntityNode(session.Project.Name, names, values, order, sort, texts);
            rows.Add(node);
            onRow?.Invoke(node);
        }
        return rows;
    }

    static EntityNode Strip(EntityNode node)
    {
        node.Remove("_parent");
        return node;
    }
}
