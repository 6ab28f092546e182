using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Data;

/// <summary>
/// Relay-style paging as AYON does it, written once for every connection. A cursor is the base64 of
/// the JSON array of the row's sort-key values; <c>first/after</c> read ascending, <c>last/before</c>
/// descending (newest first). Sorting and limits run in SQL, never after loading.
/// </summary>
public sealed record Paging(int? First, string? After, int? Last, string? Before)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 5000;

    public bool Descending => Last is not null || (Before is not null && First is null);

    public int Size => Math.Clamp(Descending ? Last ?? DefaultPageSize : First ?? DefaultPageSize, 0, MaxPageSize);

    string? Cursor => Descending ? Before : After;

    public static string EncodeCursor(IEnumerable<object?> sortValues) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(sortValues, AyonJson.Options)));

    /// <summary>
    /// Appends the cursor condition, order and limit for the given sort keys (SQL expressions, most
    /// significant first) to a query whose WHERE clause is already open (ends in a condition).
    /// One row more than the page is fetched to know whether another page exists.
    /// </summary>
    public string Apply(string sql, IReadOnlyList<string> sortKeys, DynamicParameters parameters)
    {
        var builder = new StringBuilder(sql);
        if (CursorCondition(sortKeys, parameters) is { } condition)
            builder.Append($"\n  AND {condition}");
        builder.Append($"\nORDER BY {OrderBy(sortKeys)}");
        builder.Append("\nLIMIT @pageLimit");
        parameters.Add("pageLimit", Size + 1);
        return builder.ToString();
    }

    /// <summary>The condition selecting rows past the cursor (null without one), its values added as parameters.</summary>
    public string? CursorCondition(IReadOnlyList<string> sortKeys, DynamicParameters parameters)
    {
        if (Cursor is not { Length: > 0 } cursor)
            return null;
        var values = DecodeCursor(cursor, sortKeys.Count);
        var names = new List<string>();
        for (var i = 0; i < values.Count; i++)
        {
            parameters.Add($"cursor{i}", values[i]);
            names.Add($"@cursor{i}");
        }
        return $"({string.Join(", ", sortKeys)}) {(Descending ? "<" : ">")} ({string.Join(", ", names)})";
    }

    /// <summary>The ORDER BY list (without the keywords) for the sort keys in this page's direction.</summary>
    public string OrderBy(IReadOnlyList<string> sortKeys) =>
        string.Join(", ", sortKeys.Select(k => $"{k} {(Descending ? "DESC" : "ASC")}"));

    /// <summary>The page of rows, with AYON's edges and page info, from rows fetched by <see cref="Apply"/>.</summary>
    public Connection<T> ToConnection<T>(IReadOnlyList<T> rows, Func<T, IEnumerable<object?>> sortValues)
    {
        var hasMore = rows.Count > Size;
        var page = hasMore ? rows.Take(Size).ToList() : rows.ToList();
        var edges = page.Select(row => new Edge<T>(row, sortValues)).ToList();
        // Descending pages come newest first; the client continues with before = startCursor, so the
        // start cursor is the oldest edge's (AYON gives the newest's, which makes the next page overlap).
        var pageInfo = Descending
            ? new PageInfo(HasNextPage: false, HasPreviousPage: hasMore, StartCursor: edges.LastOrDefault()?.Cursor, EndCursor: edges.FirstOrDefault()?.Cursor)
            : new PageInfo(HasNextPage: hasMore, HasPreviousPage: After is not null, StartCursor: edges.FirstOrDefault()?.Cursor, EndCursor: edges.LastOrDefault()?.Cursor);
        return new Connection<T>(edges, pageInfo);
    }

    static List<object?> DecodeCursor(string cursor, int expected)
    {
        try
        {
            var json = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(cursor)))!.AsArray();
            if (json.Count != expected)
                throw new FormatException();
            return [.. json.Select(ToValue)];
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new BadRequest($"Invalid cursor '{cursor}'");
        }
    }

    static object? ToValue(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.Number => AyonJson.Number(node)!.Value is var number && number.TryGetInt64(out var whole) ? whole : number.GetDouble(),
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new FormatException(),
    };
}

/// <summary>
/// A row of a page and its cursor; a computed cursor is encoded on first use (most queries read only the page's first and
/// last), from the row's sort values (one delegate for the page: no closure per row).
/// </summary>
public sealed class Edge<T>
{
    readonly Func<T, IEnumerable<object?>>? _sortValues;
    readonly Func<string>? _cursorOf;
    string? _cursor;

    public Edge(T node, string cursor)
    {
        Node = node;
        _cursor = cursor;
    }

    public Edge(T node, Func<T, IEnumerable<object?>> sortValues)
    {
        Node = node;
        _sortValues = sortValues;
    }

    /// <summary>An edge whose cursor is another edge's (a page of rows carried as part of the node: an events page).</summary>
    public Edge(T node, Func<string> cursorOf)
    {
        Node = node;
        _cursorOf = cursorOf;
    }

    public T Node { get; }

    public string Cursor => _cursor ??= _cursorOf is { } cursorOf ? cursorOf() : Paging.EncodeCursor(_sortValues!(Node));
}

public sealed record PageInfo(bool HasNextPage, bool HasPreviousPage, string? StartCursor, string? EndCursor);

public sealed record Connection<T>(IReadOnlyList<Edge<T>> Edges, PageInfo PageInfo);
