namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Names no other test uses, so test classes share one database without cleaning up.</summary>
public static class Unique
{
    public static string Name(string prefix) => $"{prefix}_{Guid.NewGuid().ToString("N")[..12]}";
}
