namespace Anvil.Server.Features.Auth;

/// <summary>
/// What an API key may reach: some projects or all of them, and reading only or also writing. A
/// scope narrows what the key's user may do, never widens it. Sessions carry none.
/// </summary>
/// <param name="Projects">The projects the key may reach; null: every project its user may access.</param>
/// <param name="ReadOnly">Whether the key may only read (state-changing requests answer 403).</param>
public sealed record TokenScope(IReadOnlyList<string>? Projects, bool ReadOnly)
{
    public static TokenScope Unrestricted { get; } = new(null, false);

    public bool AllowsProject(string projectName) =>
        Projects is null || Projects.Contains(projectName, StringComparer.OrdinalIgnoreCase);
}
