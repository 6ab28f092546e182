using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Addons;

/// <summary>A TOML document could not be read; the message says where.</summary>
public sealed class TomlError(string message) : Exception(message);

/// <summary>
/// A small TOML reader for what <c>pyproject.toml</c> files hold: tables, arrays of tables, dotted keys,
/// basic, literal and multi-line strings, integers, floats, booleans, arrays and inline tables (dates
/// and times are kept as their text). The result is JSON, as AYON's catalogue shows <c>clientPyproject</c>.
/// </summary>
public sealed class TomlReader
{
    readonly string _text;
    int _pos;
    int _line = 1;

    TomlReader(string text) => _text = text.Replace("\r\n", "\n", StringComparison.Ordinal);

    public static JsonObject Parse(string text) => new TomlReader(text).Document();

    JsonObject Document()
    {
        var root = new JsonObject();
        var current = root;
        while (true)
        {
            SkipBlankAndComments();
            if (End)
                return root;
            if (Peek == '[')
            {
                var arrayOfTables = _pos + 1 < _text.Length && _text[_pos + 1] == '[';
                _pos += arrayOfTables ? 2 : 1;
                var keys = Key();
                Expect(']');
                if (arrayOfTables)
                    Expect(']');
                current = arrayOfTables ? AppendTable(root, keys) : OpenTable(root, keys);
                EndOfLine();
                continue;
            }
            var path = Key();
            Expect('=');
            var value = Value();
            var table = current;
            for (var i = 0; i < path.Count - 1; i++)
                table = Child(table, path[i]);
            if (table.ContainsKey(path[^1]))
                throw Error($"the key '{string.Join('.', path)}' is defined twice");
            table[path[^1]] = value;
            EndOfLine();
        }
    }

    static JsonObject OpenTable(JsonObject root, List<string> keys)
    {
        var table = root;
        foreach (var key in keys)
            table = Child(table, key);
        return table;
    }

    static JsonObject AppendTable(JsonObject root, List<string> keys)
    {
        var table = root;
        for (var i = 0; i < keys.Count - 1; i++)
            table = Child(table, keys[i]);
        if (table[keys[^1]] is not JsonArray array)
            table[keys[^1]] = array = [];
        var item = new JsonObject();
        array.Add(item);
        return item;
    }

    static JsonObject Child(JsonObject table, string key) => table[key] switch
    {
        JsonObject existing => existing,
        JsonArray { Count: > 0 } array when array[^1] is JsonObject last => last,
        null => (JsonObject)(table[key] = new JsonObject()),
        _ => throw new TomlError($"the key '{key}' is a value and a table"),
    };

    List<string> Key()
    {
        var keys = new List<string>();
        while (true)
        {
            SkipSpaces();
            if (End)
                throw Error("a key was expected");
            if (Peek is '"' or '\'')
                keys.Add(String());
            else
            {
                var start = _pos;
                while (!End && (char.IsAsciiLetterOrDigit(Peek) || Peek is '_' or '-'))
                    _pos++;
                if (start == _pos)
                    throw Error($"a key was expected, found '{Peek}'");
                keys.Add(_text[start.._pos]);
            }
            SkipSpaces();
            if (!End && Peek == '.')
            {
                _pos++;
                continue;
            }
            return keys;
        }
    }

    JsonNode? Value()
    {
        SkipSpaces();
        if (End)
            throw Error("a value was expected");
        switch (Peek)
        {
            case '"' or '\'':
                return JsonValue.Create(String());
            case '[':
                return Array();
            case '{':
                return InlineTable();
        }
        var start = _pos;
        while (!End && Peek is not (',' or ']' or '}' or '\n' or '#'))
            _pos++;
        var raw = _text[start.._pos].Trim();
        switch (raw)
        {
            case "true":
                return JsonValue.Create(true);
            case "false":
                return JsonValue.Create(false);
            case "inf" or "+inf" or "-inf" or "nan" or "+nan" or "-nan":
                return JsonValue.Create(raw);
        }
        var number = raw.Replace("_", "", StringComparison.Ordinal);
        if (number.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(number[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
            return JsonValue.Create(hex);
        if (number.StartsWith("0o", StringComparison.Ordinal))
            return JsonValue.Create(Convert.ToInt64(number[2..], 8));
        if (number.StartsWith("0b", StringComparison.Ordinal))
            return JsonValue.Create(Convert.ToInt64(number[2..], 2));
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
            return JsonValue.Create(real);
        if (raw.Length > 0 && char.IsAsciiDigit(raw[0]))
            return JsonValue.Create(raw); // a date or time, kept as written
        throw Error($"'{raw}' is not a TOML value");
    }

    JsonArray Array()
    {
        _pos++;
        var array = new JsonArray();
        while (true)
        {
            SkipBlankAndComments();
            if (End)
                throw Error("an array is not closed");
            if (Peek == ']')
            {
                _pos++;
                return array;
            }
            array.Add(Value());
            SkipBlankAndComments();
            if (!End && Peek == ',')
                _pos++;
            else if (!End && Peek != ']')
                throw Error($"',' or ']' expected in an array, found '{Peek}'");
        }
    }

    JsonObject InlineTable()
    {
        _pos++;
        var table = new JsonObject();
        SkipSpaces();
        if (!End && Peek == '}')
        {
            _pos++;
            return table;
        }
        while (true)
        {
            var path = Key();
            Expect('=');
            var target = table;
            for (var i = 0; i < path.Count - 1; i++)
                target = Child(target, path[i]);
            target[path[^1]] = Value();
            SkipSpaces();
            if (End)
                throw Error("an inline table is not closed");
            if (Peek == '}')
            {
                _pos++;
                return table;
            }
            Expect(',');
        }
    }

    string String()
    {
        var quote = Peek;
        var multiline = _pos + 2 < _text.Length && _text[_pos + 1] == quote && _text[_pos + 2] == quote;
        _pos += multiline ? 3 : 1;
        if (multiline && !End && Peek == '\n')
        {
            _pos++;
            _line++;
        }
        var result = new StringBuilder();
        while (true)
        {
            if (End)
                throw Error("a string is not closed");
            var c = _text[_pos];
            if (multiline && _text.AsSpan(_pos).StartsWith(new string(quote, 3)))
            {
                // A run of up to five quotes closes the string; the ones before the last three belong to it.
                var run = 0;
                while (_pos + run < _text.Length && _text[_pos + run] == quote && run < 5)
                    run++;
                result.Append(quote, run - 3);
                _pos += run;
                return result.ToString();
            }
            if (!multiline && c == quote)
            {
                _pos++;
                return result.ToString();
            }
            if (c == '\n')
            {
                if (!multiline)
                    throw Error("a string is not closed on its line");
                _line++;
            }
            if (c == '\\' && quote == '"')
            {
                _pos++;
                if (End)
                    throw Error("a string is not closed");
                var escape = _text[_pos++];
                switch (escape)
                {
                    case 'n': result.Append('\n'); break;
                    case 't': result.Append('\t'); break;
                    case 'r': result.Append('\r'); break;
                    case 'b': result.Append('\b'); break;
                    case 'f': result.Append('\f'); break;
                    case 'e': result.Append('\u001b'); break;
                    case '"': result.Append('"'); break;
                    case '\\': result.Append('\\'); break;
                    case 'u' or 'U':
                        var length = escape == 'u' ? 4 : 8;
                        if (_pos + length > _text.Length || !int.TryParse(_text.AsSpan(_pos, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                            throw Error("a bad unicode escape");
                        result.Append(char.ConvertFromUtf32(code));
                        _pos += length;
                        break;
                    case ' ' or '\t' or '\n' when multiline:
                        // A line-ending backslash trims the line break and the whitespace after it.
                        _pos--;
                        while (!End && Peek is ' ' or '\t' or '\n')
                        {
                            if (Peek == '\n')
                                _line++;
                            _pos++;
                        }
                        break;
                    default:
                        throw Error($"'\\{escape}' is not a TOML escape");
                }
                continue;
            }
            result.Append(c);
            _pos++;
        }
    }

    bool End => _pos >= _text.Length;

    char Peek => _text[_pos];

    void Expect(char c)
    {
        SkipSpaces();
        if (End || Peek != c)
            throw Error($"'{c}' expected");
        _pos++;
    }

    void SkipSpaces()
    {
        while (!End && Peek is ' ' or '\t')
            _pos++;
    }

    void SkipBlankAndComments()
    {
        while (!End)
        {
            if (Peek is ' ' or '\t' or '\r')
                _pos++;
            else if (Peek == '\n')
            {
                _pos++;
                _line++;
            }
            else if (Peek == '#')
                while (!End && Peek != '\n')
                    _pos++;
            else
                return;
        }
    }

    void EndOfLine()
    {
        SkipSpaces();
        if (!End && Peek == '#')
            while (!End && Peek != '\n')
                _pos++;
        if (!End && Peek is not ('\n' or '\r'))
            throw Error($"a line break expected, found '{Peek}'");
    }

    TomlError Error(string message) => new($"line {_line}: {message}");
}
