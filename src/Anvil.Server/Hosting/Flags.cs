namespace Anvil.Server.Hosting;

/// <summary>AYON's spellings of yes and no, in settings and query strings (<c>1</c>, <c>true</c>, <c>yes</c>, <c>on</c>, ...).</summary>
public static class Flags
{
    /// <summary>True or false for a recognised spelling, null otherwise.</summary>
    public static bool? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>Whether a query flag is set: a spelling of yes.</summary>
    public static bool IsSet(string? value) => Parse(value) == true;
}
