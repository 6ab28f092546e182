namespace Anvil.Server.Tests.Infrastructure;

/// <summary>The checkout the tests run from, for files that live beside the code (test addons, the README).</summary>
public static class Repository
{
    /// <summary>The folder holding Anvil.slnx.</summary>
    public static string Root { get; } = Find();

    static string Find()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Anvil.slnx")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("Anvil.slnx not found above " + AppContext.BaseDirectory);
    }
}
