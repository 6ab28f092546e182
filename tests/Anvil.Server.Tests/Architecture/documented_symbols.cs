using System.Text.RegularExpressions;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Architecture;

/// <summary>
/// Every code symbol the docs name in backticks exists: a type or name (<c>SharedCache</c>,
/// <c>Names.Entity</c>: the type declared in our code, the member in its file) and a source path
/// (<c>Features/Auth/AuthCache.cs</c>, <c>Data/ProjectSchema.Of</c>, <c>Features/Users/UserEndpoints*.cs</c>).
/// </summary>
public sealed partial class documented_symbols
{
    /// <summary>Names in the docs that are not ours: AYON's, the clients', Python's, the runtime's, or built at run time.</summary>
    static readonly HashSet<string> NotOurs =
    [
        // Python and the AYON Python world.
        "MemoryError", "KeyError", "OPModel", "BaseSettingsModel", "SettingsField",
        // Linux /proc fields.
        "VmRSS", "VmHWM",
        // .NET and NuGet.
        "Yarp", "BacklogPolicy", "Utf8JsonWriter", "ActivitySource", "IExceptionHandler",
        // GraphQL type names built from the attribute scope ("{Scope}AttribType").
        "FolderAttribType", "TaskAttribType", "ProductAttribType", "VersionAttribType", "RepresentationAttribType",
        "WorkfileAttribType", "ProjectAttribType", "UserAttribType",
    ];

    static readonly string[] SourceFolders = ["src", "tests", "bench", "addon-host"];

    [Fact]
    public void every_code_symbol_named_in_the_docs_exists()
    {
        var root = Repository.Root;
        var sources = SourceFolders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".py", StringComparison.Ordinal))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .ToDictionary(f => f, File.ReadAllText);
        var declaredIn = new Dictionary<string, List<string>>();
        foreach (var (file, text) in sources)
            foreach (Match declaration in TypeDeclaration().Matches(text))
                (declaredIn.TryGetValue(declaration.Groups[1].Value, out var files) ? files : declaredIn[declaration.Groups[1].Value] = []).Add(file);
        var everything = string.Join("\n", sources.Values);
        var missing = new List<string>();

        foreach (var doc in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md")))
        {
            var lines = File.ReadAllLines(doc);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match code in Backticked().Matches(lines[i]))
                {
                    var symbol = code.Groups[1].Value;
                    var exists = symbol switch
                    {
                        _ when NotOurs.Contains(symbol.Split('.')[0]) => true,
                        _ when SourcePath().IsMatch(symbol) => PathExists(root, symbol, sources),
                        _ when Symbol().IsMatch(symbol) => SymbolExists(symbol.TrimEnd('(', ')'), declaredIn, sources, everything),
                        _ => true,
                    };
                    if (!exists)
                        missing.Add($"{Path.GetFileName(doc)}:{i + 1}: `{symbol}`");
                }
            }
        }

        Assert.True(missing.Count == 0, "Symbols named in the docs that the code does not have:\n" + string.Join("\n", missing));
    }

    /// <summary><c>Type</c> somewhere in the code (a name of two or more words: single words are prose); <c>Type.Member</c>: the type is ours and its file names the member.</summary>
    static bool SymbolExists(string symbol, Dictionary<string, List<string>> declaredIn, Dictionary<string, string> sources, string everything)
    {
        var parts = symbol.Split('.');
        if (parts.Length == 1)
            return Regex.IsMatch(everything, $@"\b{parts[0]}\b");
        return declaredIn.TryGetValue(parts[0], out var files) && files.Any(f => Regex.IsMatch(sources[f], $@"\b{parts[1]}\b"));
    }

    /// <summary>
    /// A path from the repository, the server project, its Data folder or the test project. Placeholders
    /// (<c>&lt;Area&gt;</c>, <c>NNNN</c>) are not checked; a trailing <c>…</c> checks the folder before it,
    /// <c>*</c> matches within a name, and <c>File.Member</c> checks the member in <c>File.cs</c>.
    /// </summary>
    static bool PathExists(string root, string path, Dictionary<string, string> sources)
    {
        if (path.Contains('<', StringComparison.Ordinal) || path.Contains("NNNN", StringComparison.Ordinal) || path.Contains('{', StringComparison.Ordinal))
            return true;
        var cut = path.IndexOfAny(['…']) is var ellipsis and >= 0 ? ellipsis : path.IndexOf("...", StringComparison.Ordinal);
        if (cut >= 0)
            path = path[..path.LastIndexOf('/', Math.Max(cut - 1, 0))];
        if (Found(root, path, null, sources))
            return true;
        return Regex.Match(path, @"^(.*/\w+)\.(\w+)$") is { Success: true } withMember
            && Found(root, withMember.Groups[1].Value + ".cs", withMember.Groups[2].Value, sources);
    }

    static bool Found(string root, string path, string? member, Dictionary<string, string> sources)
    {
        foreach (var baseFolder in new[] { "", "src/Anvil.Server", "src/Anvil.Server/Data", "tests/Anvil.Server.Tests" })
        {
            var full = Path.Combine(root, baseFolder, path.TrimEnd('/'));
            var folder = Path.GetDirectoryName(full)!;
            var name = Path.GetFileName(full);
            var matches = name.Contains('*', StringComparison.Ordinal)
                ? Directory.Exists(folder) ? Directory.GetFileSystemEntries(folder, name).ToList() : []
                : File.Exists(full) || Directory.Exists(full) ? [full] : [];
            if (matches.Count > 0)
                return member is null || matches.Any(m => sources.TryGetValue(m, out var text) && Regex.IsMatch(text, $@"\b{member}\b"));
        }
        return false;
    }

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"^(?:src|tests|bench|addon-host|docs|Hosting|Data|Entities|Messaging|GraphQL|Features|Migrations|Schema|Infrastructure)/\S*$")]
    private static partial Regex SourcePath();

    /// <summary>PascalCase of two or more words (<c>SharedCache</c>), or any <c>Type.Member</c>, optionally with <c>()</c>.</summary>
    [GeneratedRegex(@"^(?:[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)?|[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*)(?:\(\))?$")]
    private static partial Regex Symbol();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();
}
