namespace Anvil.Server.Tests.Architecture;

/// <summary>
/// The folders of the server depend on each other in one direction only (docs/architecture.md,
/// "Layers"): a reference from one folder to another that is not listed here fails, and the list
/// itself has no cycle. A reference is a using of the folder's namespace or a name qualified by it.
/// </summary>
public sealed class folder_dependencies
{
    const string Root = "(root)";

    /// <summary>Folder → the folders it may use. A folder not listed may use nothing of the server but itself.</summary>
    static readonly Dictionary<string, string[]> Allowed = new()
    {
        // The platform: the error model, the wire format, options, the input gate.
        ["Observability"] = [],
        ["Hosting"] = ["Observability"],
        ["Data"] = ["Hosting", "Observability"],
        ["Messaging"] = ["Data", "Hosting", "Observability"],
        // Identity below everything that asks who is calling: users, keys, sessions, secrets.
        ["Features/Auth"] = ["Data", "Hosting", "Messaging"],
        ["Features/Attributes"] = ["Data", "Hosting", "Messaging", "Features/Auth"],
        // The engine of the six entity types, with the project session and the user's rights in it.
        ["Entities"] = ["Data", "Hosting", "Messaging", "Features/Auth", "Features/Attributes"],
        // The entity types: one definition file each (plus their own routes).
        ["Features/Folders"] = ["Data", "Entities", "Hosting", "Features/Attributes", "Features/Auth"],
        ["Features/Tasks"] = ["Entities", "Hosting"],
        ["Features/Products"] = ["Entities", "Hosting"],
        ["Features/Versions"] = ["Entities", "Hosting"],
        ["Features/Representations"] = ["Data", "Entities", "Hosting", "Features/Auth"],
        ["Features/Workfiles"] = ["Entities", "Hosting"],
        // Areas above the engine.
        ["Features/Access"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Attributes", "Features/Auth"],
        ["Features/Users"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Auth"],
        ["Features/Info"] = ["Hosting", "Features/Attributes", "Features/Auth", "Features/Sites"],
        ["Features/Anatomy"] = ["Data", "Hosting", "Features/Attributes", "Features/Auth"],
        ["Features/Projects"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Anatomy", "Features/Attributes", "Features/Auth", "Features/Folders", "Features/Sites"],
        ["Features/Links"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Attributes", "Features/Auth"],
        ["Features/Thumbnails"] = ["Data", "Entities", "Hosting", "Features/Attributes", "Features/Auth"],
        ["Features/Events"] = ["Data", "Entities", "Hosting", "Messaging", "Observability", "Features/Auth"],
        ["Features/Addons"] = ["Data", "Hosting", "Messaging", "Observability", "Features/Auth"],
        ["Features/Bundles"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Addons", "Features/Auth", "Features/Info"],
        ["Features/Settings"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Addons", "Features/Anatomy", "Features/Auth", "Features/Bundles", "Features/Projects", "Features/Services", "Features/Sites"],
        ["Features/Server"] = ["Hosting", "Messaging", "Features/Addons", "Features/Attributes", "Features/Auth"],
        ["Features/Sites"] = ["Data", "Hosting", "Messaging", "Features/Auth"],
        ["Features/Services"] = ["Data", "Hosting", "Messaging", "Features/Addons", "Features/Auth"],
        ["Features/Desktop"] = ["Data", "Hosting", "Features/Auth"],
        ["Features/Actions"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Addons", "Features/Auth", "Features/Bundles", "Features/Settings"],
        ["Features/Monitoring"] = ["Data", "Hosting", "Messaging", "Observability", "Features/Addons", "Features/Auth"],
        ["Features/Demo"] = ["Data", "Entities", "Hosting", "Features/Attributes", "Features/Auth", "Features/Links", "Features/Projects", "Features/Thumbnails", "Features/Users"],
        // The web UI: its files and frame, its saved table layouts.
        ["Features/Frontend"] = ["Data", "Hosting", "Features/Auth"],
        ["Features/Views"] = ["Data", "Entities", "Hosting", "Features/Auth"],
        // GraphQL reads what REST reads.
        ["GraphQL"] = ["Data", "Entities", "Hosting", "Messaging", "Features/Attributes", "Features/Auth", "Features/Products", "Features/Projects", "Features/Representations", "Features/Versions"],
    };

    [Fact]
    public void every_reference_between_folders_is_an_allowed_dependency()
    {
        var tree = SourceTree.Server;

        var refused = tree.Files.Keys
            .SelectMany(file => tree.References(file).Select(r => (From: SourceTree.UnitOfFile(file), r.Unit, File: file, r.Evidence)))
            .Where(r => r.From != r.Unit && r.From != Root && !Allowed.GetValueOrDefault(r.From, []).Contains(r.Unit))
            .Select(r => $"{r.From} -> {r.Unit}: {r.File} ({r.Evidence})")
            .Distinct().ToList();

        Assert.True(refused.Count == 0, "Dependencies not in the allowed list:\n" + string.Join("\n", refused));
    }

    [Fact]
    public void the_allowed_dependencies_have_no_cycle()
    {
        var state = new Dictionary<string, bool>();
        var path = new List<string>();

        void Visit(string unit)
        {
            if (state.TryGetValue(unit, out var done))
            {
                Assert.True(done, "Cycle: " + string.Join(" -> ", path.SkipWhile(u => u != unit).Append(unit)));
                return;
            }
            state[unit] = false;
            path.Add(unit);
            foreach (var next in Allowed.GetValueOrDefault(unit, []))
                Visit(next);
            path.RemoveAt(path.Count - 1);
            state[unit] = true;
        }

        foreach (var unit in Allowed.Keys)
            Visit(unit);
    }

    [Fact]
    public void every_folder_of_the_server_is_in_the_list()
    {
        var units = SourceTree.Server.Files.Keys.Select(SourceTree.UnitOfFile).Where(u => u != Root).Distinct().ToList();

        Assert.All(units, u => Assert.True(Allowed.ContainsKey(u), $"{u} is not in the list of allowed dependencies"));
    }
}
