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
/// JSON columns stay text until a field needs them as JSON (<see cref="Json"/>); the JSON-string
/// fields (<c>allAttrib</c>, <c>data</c>, <c>ownAttrib</c>) are written straight from the text.
/// </summary>
public sealed class EntityNode(string project, JsonObject row, long order, string? sort = null, Dictionary<string, string>? jsonTexts = null)
{
    public string Project { get; } = project;

    /// <summary>The row's values; JSON columns appear once read through <see cref="Json"/>.</summary>
    public JsonObject Row { get; } = row;

    public long Order { get; } = order;

    public string? Sort { get; } = sort;

    /// <summary>The entity type (<c>folder</c>), set where a field typed as <see cref="BaseNode"/> may lead to any type (a link's other end).</summary>
    public string? Type { get; set; }

    /// <summary>The values a cursor of this row holds: the sortBy key (when sorted) and the creation order.</summary>
    public object?[] CursorValues => Sort is null ? [Order] : [Sort, Order];

    public Guid Id => Guid.Parse(Row["id"]!.GetValue<string>());

    public Guid? IdOf(string field) => Row[field]?.GetValue<string>() is { } text ? Guid.Parse(text) : null;

    /// <summary>A JSON column as JSON (parsed on first use), or any other value of the row.</summary>
    public JsonNode? Json(string key)
    {
        if (jsonTexts is null)
            return Row[key];
        lock (jsonTexts)
        {
            if (jsonTexts.Remove(key, out var text))
                Row[key] = JsonNode.Parse(text);
            return Row[key];
        }
    }

    /// <summary>The text of a JSON column not parsed yet; null otherwise.</summary>
    string? JsonText(string key)
    {
        if (jsonTexts is null)
            return null;
        lock (jsonTexts)
            return jsonTexts.GetValueOrDefault(key);
    }

    /// <summary><c>allAttrib</c>: the JSON string of the values of <paramref name="key"/> whose names are in <paramref name="names"/>.</summary>
    public string InScopeJson(string key, HashSet<string> names)
    {
        if (JsonText(key) is not { } text)
            return GraphTypes.InScope(Json(key) as JsonObject, names).ToJsonString();
        if (text == "{}")
            return text;
        return JsonText(writer => WriteInScope(writer, text, names));
    }

    /// <summary>
    /// Writes the members of the JSON object <paramref name="text"/> named in <paramref name="names"/>, as
    /// <see cref="JsonElement.WriteTo"/> writes them, reading names without allocating (this runs for every row of a page).
    /// </summary>
    static void WriteInScope(Utf8JsonWriter writer, string text, HashSet<string> names)
    {
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            var reader = new Utf8JsonReader(rented.AsSpan(0, length));
            reader.Read();
            writer.WriteStartObject();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                Span<char> nameBuffer = stackalloc char[128];
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    scoped ReadOnlySpan<char> name;
                    if (!reader.ValueIsEscaped && reader.ValueSpan.Length <= nameBuffer.Length)
                        name = nameBuffer[..Encoding.UTF8.GetChars(reader.ValueSpan, nameBuffer)];
                    else
                        name = reader.GetString()!;
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
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary><c>data</c>: the JSON string of the column, null when it is empty or null.</summary>
    public string? DataJson(string key)
    {
        if (JsonText(key) is not { } text)
            return GraphTypes.DataString(Json(key));
        if (text == "{}")
            return null;
        return WithReader(text, static (ref Utf8JsonReader reader) =>
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
                return null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var rest = reader;
                if (rest.Read() && rest.TokenType == JsonTokenType.EndObject)
                    return null;
            }
            return WriteText(ref reader);
        });
    }

    /// <summary>
    /// The JSON string of the member <paramref name="member"/> of the object in column <paramref name="key"/>
    /// (<c>"{}"</c> when absent or null), read from the text without parsing the column into nodes.
    /// </summary>
    public string MemberJson(string key, string member)
    {
        if (JsonText(key) is not { } text)
            return (Json(key)?[member] ?? new JsonObject()).ToJsonString();
        return WithReader(text, (ref Utf8JsonReader reader) =>
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
                return (Json(key)?[member] ?? new JsonObject()).ToJsonString(); // not an object: as the parsed path answers
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var found = reader.ValueTextEquals(member);
                reader.Read();
                if (found && reader.TokenType != JsonTokenType.Null)
                    return WriteText(ref reader);
                reader.Skip();
            }
            return "{}";
        })!;
    }

    delegate string? ReaderWork(ref Utf8JsonReader reader);

    /// <summary>Runs <paramref name="work"/> on a reader over the UTF-8 of <paramref name="text"/> (a pooled buffer).</summary>
    static string? WithReader(string text, ReaderWork work)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            var reader = new Utf8JsonReader(rented.AsSpan(0, length));
            return work(ref reader);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The reader's current value written as <see cref="JsonNode.ToJsonString"/> would write it.</summary>
    static string WriteText(ref Utf8JsonReader reader)
    {
        var buffer = _textBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
            CopyValue(ref reader, writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

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

    /// <summary><c>ownAttrib</c>: the names of the object's values that are in <paramref name="names"/>.</summary>
    public List<string> NamesIn(string key, HashSet<string> names)
    {
        if (JsonText(key) is not { } text)
            return (Json(key) as JsonObject)?.Select(p => p.Key).Where(names.Contains).ToList() ?? [];
        if (text == "{}")
            return [];
        using var document = JsonDocument.Parse(text);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? [.. document.RootElement.EnumerateObject().Select(p => p.Name).Where(names.Contains)]
            : [];
    }

    /// <summary>Writes JSON as <see cref="JsonNode.ToJsonString"/> does (default writer options) and returns it.</summary>
    static string JsonText(Action<Utf8JsonWriter> write)
    {
        var buffer = _textBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
            write(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [ThreadStatic]
    static ArrayBufferWriter<byte>? _textBuffer;
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
    public static async Task<Connection<EntityNode>> PageAsync(ProjectSession session, EntityDefinition graph, IReadOnlyList<string> conditions,
        DynamicParameters parameters, Paging paging, string? sort, IReadOnlySet<string>? columns, CancellationToken cancellationToken)
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
        var rows = await ReadAsync(session, sql, parameters, cancellationToken);
        return paging.ToConnection(rows, r => r.CursorValues);
    }

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
        var rows = await ReadAsync(session, sql, parameters, cancellationToken);
        return rows.GroupBy(r => Guid.Parse(r.Row["_parent"]!.GetValue<string>()))
            .ToDictionary(g => g.Key, g => paging.ToConnection(g.Select(Strip).ToList(), r => r.CursorValues));
    }

    /// <summary>Rows whose <paramref name="keyColumn"/> is one of the keys (ids, parents), grouped by key.</summary>
    public static async Task<IReadOnlyDictionary<Guid, List<EntityNode>>> ByKeyAsync(ProjectSession session, EntityDefinition graph,
        string keyColumn, IReadOnlyList<Guid> keys, string? condition, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("keys", keys.ToArray());
        var where = Readable(session, graph, condition is null ? [$"{keyColumn} = ANY(@keys)"] : [$"{keyColumn} = ANY(@keys)", condition]);
        var rows = await ReadAsync(session, $"{SelectOf(graph, keyColumn)}\nWHERE {Where(where)}\nORDER BY e.creation_order", parameters, cancellationToken);
        return rows.GroupBy(r => Guid.Parse(r.Row["_parent"]!.GetValue<string>()))
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

    static async Task<List<EntityNode>> ReadAsync(ProjectSession session, string sql, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        parameters.Add("inheritedByRoots", session.Project.InheritedByRoots.ToJsonString());
        foreach (var (name, value) in session.Access.Parameters)
            parameters.Add(name, value);
        await using var reader = await session.Connection.ExecuteReaderAsync(session.Command(sql, parameters, cancellationToken));
        var columns = Enumerable.Range(0, reader.FieldCount)
            .Select(i => (Name: reader.GetName(i), Json: reader.GetDataTypeName(i) is "jsonb" or "json")).ToArray();
        // Attribute values the user may not read are removed from the parsed row; without such limits JSON stays text until used.
        var keepText = !session.Access.FiltersAttributes;
        var rows = new List<EntityNode>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new JsonObject();
            Dictionary<string, string>? texts = null;
            long order = 0;
            string? sort = null;
            for (var i = 0; i < columns.Length; i++)
            {
                if (reader.IsDBNull(i))
                    continue;
                var (name, json) = columns[i];
                switch (name)
                {
                    case "_order": order = reader.GetInt64(i); break;
                    case "_sort": sort = reader.GetString(i); break;
                    case "_rank": break;
                    case var _ when json && keepText: (texts ??= [])[name] = reader.GetString(i); break;
                    case var _ when json: row[name] = JsonNode.Parse(reader.GetString(i)); break;
                    default: row[name] = JsonRows.ToJsonValue(reader, i); break;
                }
            }
            session.Access.FilterAttributes(row);
            rows.Add(new EntityNode(session.Project.Name, row, order, sort, texts));
        }
        return rows;
    }

    static EntityNode Strip(EntityNode node)
    {
        node.Row.Remove("_parent");
        return node;
    }
}
