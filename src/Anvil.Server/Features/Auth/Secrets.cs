using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Anvil.Server.Features.Auth;

/// <summary>Hashing and comparison of credentials. Nothing here logs or returns a secret.</summary>
public static class Secrets
{
    const string Pbkdf2Prefix = "pbkdf2-sha256";

    /// <summary>64 hex characters from 32 random bytes: the shape of AYON's session tokens.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A random key of 32 alphanumerics, the shape of AYON's service API keys.</summary>
    public static string NewApiKey() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);

    /// <summary>A readable random password for generated admin accounts.</summary>
    public static string NewPassword() => RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 20);

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// AYON's API-key hash, <c>sha256("key::pepper")</c>. A fast hash is right here: keys are long
    /// random strings, and it keeps keys issued by an AYON server valid after a migration.
    /// </summary>
    public static string HashApiKey(string key, string pepper)
    {
        // Every request with a key hashes it: the text is encoded on the stack (wiped after), not into strings.
        var length = Encoding.UTF8.GetMaxByteCount(key.Length + pepper.Length + 2);
        byte[]? rented = null;
        var text = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(key, text);
            text[written++] = (byte)':';
            text[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(pepper, text[written..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(text[..written], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>"abcd***wxyz": enough to recognise a key, never enough to use it.</summary>
    public static string Preview(string key) => key.Length <= 8 ? "***" : $"{key[..4]}***{key[^4..]}";

    /// <summary>A slow, salted hash: <c>pbkdf2-sha256$iterations$salt$hash</c> (base64).</summary>
    public static string HashPassword(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"{Pbkdf2Prefix}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>
    /// Verifies a password against our PBKDF2 hashes and AYON's legacy <c>sha256(pw:salt:pepper):salt</c>
    /// hashes (carried over by a migration). <paramref name="needsRehash"/> says the stored hash should be
    /// replaced by a current one.
    /// </summary>
    public static bool VerifyPassword(string password, string stored, string pepper, int iterations, out bool needsRehash)
    {
        needsRehash = false;
        var parts = stored.Split('$');
        if (parts is [Pbkdf2Prefix, var iterationText, var saltText, var hashText]
            && int.TryParse(iterationText, System.Globalization.CultureInfo.InvariantCulture, out var storedIterations))
        {
            var expected = Convert.FromBase64String(hashText);
            var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(saltText), storedIterations, HashAlgorithmName.SHA256, expected.Length);
            var ok = CryptographicOperations.FixedTimeEquals(expected, actual);
            needsRehash = ok && storedIterations < iterations;
            return ok;
        }
        var legacy = stored.Split(':');
        if (legacy is [var legacyHash, var legacySalt])
        {
            var ok = FixedTimeEquals(legacyHash, Sha256Hex($"{password}:{legacySalt}:{pepper}"));
            needsRehash = ok;
            return ok;
        }
        return false;
    }

    /// <summary>A hash of nothing, verified when the user does not exist, so timing does not tell.</summary>
    public static string DummyPasswordHash(int iterations) => _dummy ??= HashPassword(NewPassword(), iterations);

    static string? _dummy;

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
