using System.Text.RegularExpressions;

namespace Anvil.Server.Hosting;

/// <summary>AYON's name rules, in one place (behaviour doc §0).</summary>
public static partial class Names
{
    /// <summary>Folder, task, product, link-type, preset names.</summary>
    public const string Entity = @"^[a-zA-Z0-9_]([a-zA-Z0-9_\.\-]*[a-zA-Z0-9_])?$";

    /// <summary>Project names and codes: they become part of a schema name, so no '-' or '.'.</summary>
    public const string Project = "^[a-zA-Z0-9_]+$";

    /// <summary>Attribute names: letters and digits, starting with a letter (they are identifiers).</summary>
    public const string Attribute = "^[a-zA-Z][a-zA-Z0-9]{1,63}$";

    /// <summary>Site ids.</summary>
    public const string Site = "^[a-z0-9-]+$";

    public static bool IsEntityName(string? name) => name is not null && EntityRegex().IsMatch(name);

    public static bool IsProjectName(string? name) => name is not null && ProjectRegex().IsMatch(name);

    public static bool IsAttributeName(string? name) => name is not null && AttributeRegex().IsMatch(name);

    [GeneratedRegex(Entity)]
    private static partial Regex EntityRegex();

    [GeneratedRegex(Project)]
    private static partial Regex ProjectRegex();

    [GeneratedRegex(Attribute)]
    private static partial Regex AttributeRegex();
}
