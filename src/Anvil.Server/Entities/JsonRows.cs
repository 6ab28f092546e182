using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// Reads rows as AYON's JSON: each column under its alias, nulls omitted, ids as 32-hex,
/// timestamps with offset and microseconds, jsonb as JSON.
/// </summary>
public static class JsonRows
{
    public static async Task<List<JsonObject>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<JsonObject>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(Read(reader));
        return rows;
    }

    public static JsonObject Read(DbDataReader reader)
    {
        var row = new JsonObject();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (reader.IsDBNull(i))
                continue;
            row[reader.GetName(i)] = ToJson(reader, i);
        }
        return row;
    }

    /// <summary>One column of the current row as AYON's JSON (see the class).</summary>
    public static JsonNode? ToJson(DbDataReader reader, int ordinal)
    {
        var typeName = reader.GetDataTypeName(ordinal);
        if (typeName is "jsonb" or "json")
            return JsonNode.Parse(reader.GetString(ordinal));
        return ToJsonValue(reader, ordinal);
    }

    /// <summary>
    /// <see cref="Value"/> for a column of <paramref name="fieldType"/> (<see cref="DbDataReader.GetFieldType"/>),
    /// read without boxing for the common types of entity rows; for reading many rows of the same columns.
    /// </summary>
    public static Func<DbDataReader, int, object?> ValueReader(Type fieldType) =>
        fieldType == typeof(string) ? static (reader, i) => reader.GetString(i)
        : fieldType == typeof(Guid) ? static (reader, i) => reader.GetGuid(i).ToString("N")
        : fieldType == typeof(bool) ? static (reader, i) => reader.GetBoolean(i) ? True : False
        : Value;

    static readonly object True = true, False = false;

    /// <summary>One column that is not JSON (the caller knows the column's type already), as <see cref="ToJson"/> reads it.</summary>
    public static JsonNode? ToJsonValue(DbDataReader reader, int ordinal) => Node(Value(reader, ordinal));

    /// <summary>
    /// One column that is not JSON as the value <see cref="ToJsonValue"/> holds, before it is a node: a string (ids as
    /// 32-hex, timestamps as text), a string array, a boolean or a number (see <see cref="Node"/>).
    /// </summary>
    public static object? Value(DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        Guid id => id.ToString("N"),
        DateTime time => TimestampConverter.Text(time),
        DateTimeOffset time => TimestampConverter.Text(time),
        string[] texts => texts,
        string text => text,
        bool flag => flag ? True : False,
        int number => number,
        long number => number,
        double number => number,
        var other => other.ToString(),
    };

    /// <summary>A <see cref="Value"/> as its JSON node.</summary>
    public static JsonNode? Node(object? value) => value switch
    {
        null => null,
        string[] texts => new JsonArray([.. texts.Select(t => (JsonNode?)t)]),
        string text => text,
        bool flag => flag,
        int number => number,
        long number => number,
        double number => number,
        _ => JsonValue.Create(value.ToString()),
    };
}
