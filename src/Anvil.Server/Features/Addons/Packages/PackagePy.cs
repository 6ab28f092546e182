using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Addons.Packages;

/// <summary>
/// Reads an addon's <c>package.py</c> without running it. AYON executes the file; every real one is a
/// list of top-level assignments of literals — strings (f-strings over names assigned earlier),
/// numbers, booleans, <c>None</c>, dicts, lists and tuples — so that subset is all this accepts.
/// Anything else (an import, a call, a loop) is refused with the line it is on: an upload must not
/// run code in the API server.
/// </summary>
public static class PackagePy
{
    /// <summary>Every top-level name the file assigns (dunder names aside), as JSON.</summary>
    public static JsonObject Evaluate(string source)
    {
        var parser = new Parser(new Lexer(source).Tokens());
        return parser.Module();
    }

    enum Kind { Name, String, Number, Op, Indent, Newline, End }

    readonly record struct Token(Kind Kind, string Text, int Line, string Prefix = "");

    sealed class Lexer(string source)
    {
        int _at;
        int _line = 1;
        int _depth;

        public List<Token> Tokens()
        {
            var tokens = new List<Token>();
            var lineStart = true;
            while (_at < source.Length)
            {
                var c = source[_at];
                if (lineStart && _depth == 0 && (c == ' ' || c == '\t'))
                {
                    while (_at < source.Length && source[_at] is ' ' or '\t')
                        _at++;
                    if (_at < source.Length && source[_at] is not ('\n' or '\r' or '#'))
                        tokens.Add(new Token(Kind.Indent, "", _line));
                    continue;
                }
                lineStart = false;
                if (c == '#')
                {
                    while (_at < source.Length && source[_at] != '\n')
                        _at++;
                }
                else if (c == '\n')
                {
                    if (_depth == 0 && tokens.Count > 0 && tokens[^1].Kind != Kind.Newline)
                        tokens.Add(new Token(Kind.Newline, "", _line));
                    _line++;
                    _at++;
                    lineStart = true;
                }
                else if (c is ' ' or '\t' or '\r' or '\f')
                {
                    _at++;
                }
                else if (c == '\\' && Peek(1) is '\n' or '\r')
                {
                    _at++;
                    if (source[_at] == '\r')
                        _at++;
                    if (_at < source.Length && source[_at] == '\n')
                        _at++;
                    _line++;
                }
                else if (IsStringStart())
                {
                    tokens.Add(String());
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var start = _at;
                    while (_at < source.Length && (char.IsLetterOrDigit(source[_at]) || source[_at] == '_'))
                        _at++;
                    tokens.Add(new Token(Kind.Name, source[start.._at], _line));
                }
                else if (char.IsAsciiDigit(c) || c == '.' && Peek(1) is >= '0' and <= '9')
                {
                    var start = _at;
                    while (_at < source.Length && (char.IsAsciiLetterOrDigit(source[_at]) || source[_at] is '.' or '_'
                        || source[_at] is '+' or '-' && source[_at - 1] is 'e' or 'E'))
                        _at++;
                    tokens.Add(new Token(Kind.Number, source[start.._at], _line));
                }
                else if ("=:,{}[]()+-".Contains(c))
                {
                    if (c is '{' or '[' or '(')
                        _depth++;
                    else if (c is '}' or ']' or ')')
                        _depth = Math.Max(0, _depth - 1);
                    tokens.Add(new Token(Kind.Op, c.ToString(), _line));
                    _at++;
                }
                else
                {
                    throw Unsupported(_line, $"the character '{c}'");
                }
            }
            if (_depth > 0)
                throw new InvalidAddonPackage($"package.py line {_line}: a bracket is not closed");
            if (tokens.Count > 0 && tokens[^1].Kind != Kind.Newline)
                tokens.Add(new Token(Kind.Newline, "", _line));
            tokens.Add(new Token(Kind.End, "", _line));
            return tokens;
        }

        char Peek(int offset) => _at + offset < source.Length ? source[_at + offset] : '\0';

        bool IsStringStart()
        {
            var i = _at;
            while (i < source.Length && i - _at < 2 && "rRfFbBuU".Contains(source[i]))
                i++;
            return i < source.Length && source[i] is '"' or '\'';
        }

        Token String()
        {
            var line = _line;
            var prefixStart = _at;
            while (source[_at] is not ('"' or '\''))
                _at++;
            var prefix = source[prefixStart.._at].ToLowerInvariant();
            if (prefix.Contains('b'))
                throw Unsupported(line, "a bytes literal");
            var quote = source[_at];
            var triple = Peek(1) == quote && Peek(2) == quote;
            var delimiter = new string(quote, triple ? 3 : 1);
            _at += delimiter.Length;
            var raw = prefix.Contains('r');
            var text = new StringBuilder();
            while (true)
            {
                if (_at >= source.Length)
                    throw new InvalidAddonPackage($"package.py line {line}: a string is not closed");
                if (string.CompareOrdinal(source, _at, delimiter, 0, delimiter.Length) == 0)
                {
                    _at += delimiter.Length;
                    break;
                }
                var c = source[_at];
                if (c == '\n')
                {
                    if (!triple)
                        throw new InvalidAddonPackage($"package.py line {line}: a string is not closed");
                    _line++;
                }
                if (c == '\\' && !raw)
                {
                    text.Append(Escape(line));
                    continue;
                }
                if (c == '\\' && raw)
                {
                    text.Append(c);
                    if (_at + 1 < source.Length)
                        text.Append(source[_at + 1]);
                    _at += 2;
                    continue;
                }
                text.Append(c);
                _at++;
            }
            return new Token(Kind.String, text.ToString(), line, prefix);
        }

        string Escape(int line)
        {
            var next = Peek(1);
            _at += 2;
            switch (next)
            {
                case '\n': _line++; return "";
                case 'n': return "\n";
                case 't': return "\t";
                case 'r': return "\r";
                case '0': return "\0";
                case '\\': return "\\";
                case '\'': return "'";
                case '"': return "\"";
                case 'x': return Hex(2, line);
                case 'u': return Hex(4, line);
                case 'U': return Hex(8, line);
                default: return "\\" + next;
            }
        }

        string Hex(int digits, int line)
        {
            if (_at + digits > source.Length || !int.TryParse(source.AsSpan(_at, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                throw new InvalidAddonPackage($"package.py line {line}: a bad escape in a string");
            _at += digits;
            return char.ConvertFromUtf32(code);
        }
    }

    sealed class Parser(List<Token> tokens)
    {
        readonly JsonObject _names = [];
        int _at;

        Token Current => tokens[_at];

        public JsonObject Module()
        {
            while (Current.Kind != Kind.End)
            {
                if (Current.Kind == Kind.Newline)
                {
                    _at++;
                    continue;
                }
                Statement();
            }
            var result = new JsonObject();
            foreach (var (name, value) in _names)
            {
                if (!name.StartsWith("__", StringComparison.Ordinal))
                    result[name] = value?.DeepClone();
            }
            return result;
        }

        void Statement()
        {
            var start = Current;
            if (start.Kind == Kind.Indent)
                throw Unsupported(start.Line, "an indented line");
            if (start.Kind == Kind.String && tokens[_at + 1].Kind == Kind.Newline)
            {
                _at += 2; // a docstring
                return;
            }
            if (start.Kind != Kind.Name || start.Text is "import" or "from" or "def" or "class" or "if" or "for" or "while" or "with" or "try")
                throw Unsupported(start.Line, start.Kind == Kind.Name ? $"'{start.Text}'" : "a statement other than an assignment");
            _at++;
            if (IsOp(":"))
            {
                _at++;
                SkipAnnotation();
            }
            Expect("=", "an assignment");
            var value = Expression();
            if (Current.Kind != Kind.Newline)
                throw Unsupported(Current.Line, "more than one value in an assignment");
            _at++;
            _names[start.Text] = value;
        }

        void SkipAnnotation()
        {
            var depth = 0;
            while (Current.Kind != Kind.End && !(depth == 0 && IsOp("=")))
            {
                if (Current.Kind == Kind.Newline)
                    throw Unsupported(Current.Line, "an annotation without a value");
                if (IsOp("[") || IsOp("("))
                    depth++;
                else if (IsOp("]") || IsOp(")"))
                    depth--;
                _at++;
            }
        }

        JsonNode? Expression()
        {
            var value = Term();
            while (IsOp("+"))
            {
                var line = Current.Line;
                _at++;
                var right = Term();
                value = (value, right) switch
                {
                    (JsonValue a, JsonValue b) when a.TryGetValue<string>(out var x) && b.TryGetValue<string>(out var y) => JsonValue.Create(x + y),
                    (JsonArray a, JsonArray b) => new JsonArray([.. a.Select(n => n?.DeepClone()), .. b.Select(n => n?.DeepClone())]),
                    _ => throw Unsupported(line, "'+' other than joining two strings or two lists"),
                };
            }
            return value;
        }

        JsonNode? Term()
        {
            var token = Current;
            switch (token.Kind)
            {
                case Kind.String:
                    var text = new StringBuilder();
                    while (Current.Kind == Kind.String)
                    {
                        text.Append(Current.Prefix.Contains('f') ? Interpolate(Current) : Current.Text);
                        _at++;
                    }
                    return JsonValue.Create(text.ToString());
                case Kind.Number:
                    _at++;
                    return Number(token.Text, token.Line, negative: false);
                case Kind.Name:
                    _at++;
                    return token.Text switch
                    {
                        "True" => JsonValue.Create(true),
                        "False" => JsonValue.Create(false),
                        "None" => null,
                        _ when IsOp("(") => throw Unsupported(token.Line, $"a call of '{token.Text}'"),
                        _ when IsOp("[") => throw Unsupported(token.Line, $"an expression on '{token.Text}'"),
                        _ => Lookup(token),
                    };
                case Kind.Op when token.Text == "-":
                    _at++;
                    if (Current.Kind != Kind.Number)
                        throw Unsupported(token.Line, "'-' before something other than a number");
                    var number = Current;
                    _at++;
                    return Number(number.Text, number.Line, negative: true);
                case Kind.Op when token.Text == "{":
                    return Dict();
                case Kind.Op when token.Text == "[":
                    _at++;
                    return new JsonArray([.. Items("]")]);
                case Kind.Op when token.Text == "(":
                    _at++;
                    var items = Items(")");
                    var isTuple = items.Count != 1 || tokens[_at - 2] is { Kind: Kind.Op, Text: "," };
                    return isTuple ? new JsonArray([.. items]) : items[0];
                default:
                    throw Unsupported(token.Line, token.Kind == Kind.Newline ? "an assignment without a value" : $"'{token.Text}'");
            }
        }

        JsonNode? Lookup(Token name)
        {
            if (!_names.TryGetPropertyValue(name.Text, out var value))
                throw new InvalidAddonPackage($"package.py line {name.Line}: '{name.Text}' is used before it is assigned");
            return value?.DeepClone();
        }

        JsonObject Dict()
        {
            var line = Current.Line;
            _at++;
            var dict = new JsonObject();
            while (!IsOp("}"))
            {
                var key = Expression();
                if (key is not JsonValue keyValue)
                    throw Unsupported(line, "a dict key that is not a string or a number");
                Expect(":", "a dict entry");
                var keyText = keyValue.TryGetValue<string>(out var s) ? s : keyValue.ToJsonString();
                dict[keyText] = Expression();
                if (!IsOp("}"))
                    Expect(",", "a dict");
            }
            _at++;
            return dict;
        }

        List<JsonNode?> Items(string close)
        {
            var items = new List<JsonNode?>();
            while (!IsOp(close))
            {
                if (Current.Kind == Kind.End)
                    throw new InvalidAddonPackage($"package.py line {Current.Line}: a bracket is not closed");
                items.Add(Expression());
                if (!IsOp(close))
                    Expect(",", close == "]" ? "a list" : "a tuple");
            }
            _at++;
            return items;
        }

        string Interpolate(Token token)
        {
            var text = token.Text;
            var result = new StringBuilder();
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '{' && i + 1 < text.Length && text[i + 1] == '{' || c == '}' && i + 1 < text.Length && text[i + 1] == '}')
                {
                    result.Append(c);
                    i++;
                    continue;
                }
                if (c == '}')
                    throw new InvalidAddonPackage($"package.py line {token.Line}: a single '}}' in an f-string");
                if (c != '{')
                {
                    result.Append(c);
                    continue;
                }
                var end = text.IndexOf('}', i);
                if (end < 0)
                    throw new InvalidAddonPackage($"package.py line {token.Line}: an f-string field is not closed");
                var name = text[(i + 1)..end].Trim();
                if (name.Length == 0 || !name.All(ch => char.IsLetterOrDigit(ch) || ch == '_') || char.IsDigit(name[0]))
                    throw Unsupported(token.Line, $"the f-string field '{{{name}}}' (only names assigned earlier)");
                result.Append(Format(Lookup(new Token(Kind.Name, name, token.Line))));
                i = end;
            }
            return result.ToString();
        }

        static string Format(JsonNode? value) => value switch
        {
            null => "None",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
            _ => value.ToJsonString(),
        };

        static JsonNode Number(string text, int line, bool negative)
        {
            var digits = text.Replace("_", "", StringComparison.Ordinal);
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var integer))
                return JsonValue.Create(negative ? -integer : integer);
            if (double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
                return JsonValue.Create(negative ? -real : real);
            throw Unsupported(line, $"the number '{text}'");
        }

        bool IsOp(string op) => Current.Kind == Kind.Op && Current.Text == op;

        void Expect(string op, string inWhat)
        {
            if (!IsOp(op))
                throw Unsupported(Current.Line, Current.Kind == Kind.Newline ? $"the end of the line in {inWhat}" : $"'{Current.Text}' in {inWhat}");
            _at++;
        }
    }

    static InvalidAddonPackage Unsupported(int line, string what) =>
        new($"package.py line {line}: {what} is not supported. Anvil reads package.py without running it: "
            + "top-level assignments of strings (f-strings over names assigned earlier), numbers, booleans, None, dicts, lists and tuples");
}
