using System.Security.Cryptography;
using System.Text;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// The addon host's code as this server build carries it (<c>addon-host/</c> next to the server's dll),
/// and its fingerprint: a hash of every file in it. A stored export made by other host code is
/// exported again (<see cref="AddonReexporter"/>), so an upgrade of Anvil refreshes every version.
/// </summary>
public static class AddonHostCode
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "addon-host");

    static readonly Lazy<string> LazyFingerprint = new(Compute);

    public static string Fingerprint => LazyFingerprint.Value;

    static string Compute()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (System.IO.Directory.Exists(Directory))
        {
            var files = System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories)
                .Where(f => !f.Contains("__pycache__", StringComparison.Ordinal))
                .Select(f => (Relative: Path.GetRelativePath(Directory, f).Replace('\\', '/'), Full: f))
                .OrderBy(f => f.Relative, StringComparer.Ordinal);
            foreach (var (relative, full) in files)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(relative + "\0"));
                hash.AppendData(File.ReadAllBytes(full));
                hash.AppendData("\0"u8);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
