using System.Text.RegularExpressions;

namespace Anvil.Server.Tests.Architecture;

/// <summary>
/// The server's source as text: its files, the folder ("unit") each belongs to, the types each
/// namespace declares and the units each file refers to (usings, qualified names).
/// </summary>
public sealed partial class SourceTree
{
    public static SourceTree Server { get; } = new(Path.Combine(Infrastructure.Repository.Root, "src", "Anvil.Server"));

    public string Root { get; }

    /// <summary>Every .cs file, relative to <see cref="Root"/> with forward slashes, and its text.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>Namespace → the types declared in it.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Types { get; }

    SourceTree(string root)
    {
        Root = root;
        Files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(root, f)));
        var types = new Dictionary<string, HashSet<string>>();
        foreach (var text in Files.Values)
        {
            var ns = NamespaceDeclaration().Match(text) is { Success: true } m ? m.Groups[1].Value : "Anvil.Server";
            var set = types.TryGetValue(ns, out var existing) ? existing : types[ns] = [];
            foreach (Match declaration in TypeDeclaration().Matches(text))
                set.Add(declaration.Groups[1].Value);
        }
        Types = types;
    }

    /// <summary>The unit of a file: <c>Features/Folders</c>, <c>Entities</c> (with its subfolders), or <c>(root)</c>.</summary>
    public static string UnitOfFile(string file)
    {
        var parts = file.Split('/');
        if (parts.Length == 1)
            return "(root)";
        return parts[0] == "Features" && parts.Length > 2 ? $"Features/{parts[1]}" : parts[0];
    }

    /// <summary>The unit of a namespace of the server.</summary>
    public static string UnitOfNamespace(string ns)
    {
        var parts = ns.Split('.');
        if (parts.Length <= 2)
            return "(root)";
        return parts[2] == "Features" && parts.Length > 3 ? $"Features/{parts[3]}" : parts[2];
    }

    /// <summary>The units <paramref name="file"/> refers to (its own included), each with the text that refers to it.</summary>
    public IEnumerable<(string Unit, string Evidence)> References(string file)
    {
        var text = Files[file];
        foreach (Match using_ in UsingDirective().Matches(text))
            yield return (UnitOfNamespace(using_.Groups[1].Value), using_.Value.Trim());
        var code = UsingDirective().Replace(NamespaceDeclaration().Replace(text, ""), "");
        foreach (Match qualified in QualifiedName().Matches(code))
        {
            var name = qualified.Groups[1].Value;
            var full = name.StartsWith("Anvil.Server.", StringComparison.Ordinal) ? name : "Anvil.Server." + name;
            if (Resolve(full) is { } ns)
                yield return (UnitOfNamespace(ns), name);
        }
    }

    /// <summary>The namespace a dotted name's type lives in, when the name is a server namespace followed by one of its types.</summary>
    string? Resolve(string dotted)
    {
        var parts = dotted.Split('.');
        for (var length = parts.Length - 1; length >= 2; length--)
        {
            var ns = string.Join('.', parts[..length]);
            if (Types.TryGetValue(ns, out var declared) && declared.Contains(parts[length]))
                return ns;
        }
        return null;
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(Anvil\.Server(?:\.[\w.]+)?)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    /// <summary>A name qualified by a server namespace: <c>Anvil.Server.Hosting.Names</c>, or relative to it, <c>Hosting.Names</c>.</summary>
    [GeneratedRegex(@"(?<![\w.])((?:Anvil\.Server\.)?(?:Hosting|Data|Entities|Messaging|GraphQL|Observability|Features)(?:\.[A-Z]\w*)+)")]
    private static partial Regex QualifiedName();
}
