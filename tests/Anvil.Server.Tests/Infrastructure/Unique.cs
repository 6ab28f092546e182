namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Names no other test class uses, so classes can run in parallel on one database.</summary>
public static class Unique
{
    public static string Name(string prefix) => $"{prefix}_{Guid.NewGuid().ToString("N")[..10]}";
}
