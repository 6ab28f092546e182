namespace Anvil.Server.Features.Auth;

/// <summary>What an API key is limited to: some projects (null = all the user may access), and reading only.</summary>
public sealed record TokenScope(IReadOnlyList<string>? Projects, bool ReadOnly)
{
    public bool AllowsProject(string projectName) =>
        Projects is null || Projects.Any(p => string.Equals(p, projectName, StringComparison.OrdinalIgnoreCase));
}
