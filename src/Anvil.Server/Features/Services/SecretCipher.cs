using System.Security.Cryptography;
using System.Text;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Services;

/// <summary>A secret sealed with a server key: which key, and nonce + ciphertext + tag.</summary>
public sealed record SealedSecret(string KeyId, byte[] Sealed);

/// <summary>
/// Seals and opens secret values with AES-256-GCM under the server key (<c>AYON_SECRETS_KEY</c>). Each
/// value gets a fresh 96-bit nonce, and is bound to its secret's name (associated data), so a sealed
/// value copied onto another name does not open. Values sealed with a previous key
/// (<c>AYON_SECRETS_PREVIOUS_KEYS</c>) still open, until a rotation re-seals them. Nothing here logs, and
/// no message quotes a key or a value.
/// </summary>
public sealed class SecretCipher
{
    const int NonceSize = 12;
    const int TagSize = 16;

    readonly byte[]? _key;
    readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public SecretCipher(AyonOptions options)
    {
        _key = AyonOptions.SecretKeyBytes(options.SecretsKey);
        if (_key is not null)
        {
            CurrentKeyId = KeyId(_key);
            _keys[CurrentKeyId] = _key;
        }
        foreach (var previous in options.PreviousSecretKeys())
        {
            var bytes = AyonOptions.SecretKeyBytes(previous)!;
            _keys.TryAdd(KeyId(bytes), bytes);
        }
    }

    /// <summary>The id of the key new values are sealed with; null when no key is configured.</summary>
    public string? CurrentKeyId { get; }

    /// <summary>The first 16 hex digits of the key's SHA-256: names a key without giving it away.</summary>
    public static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..16];

    public SealedSecret Seal(string name, string value)
    {
        if (_key is null)
            throw NoKey();
        var plain = Encoding.UTF8.GetBytes(value);
        var sealedValue = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedValue.AsSpan(NonceSize, plain.Length), sealedValue.AsSpan(NonceSize + plain.Length), Associated(name));
        CryptographicOperations.ZeroMemory(plain);
        return new SealedSecret(CurrentKeyId!, sealedValue);
    }

    public string Open(string name, SealedSecret secret)
    {
        if (!_keys.TryGetValue(secret.KeyId, out var key))
            throw new AyonError(500, _key is null
                ? NoKey().Message
                : $"Secret {name} is sealed with key {secret.KeyId}, which this server does not have: add that key to AYON_SECRETS_PREVIOUS_KEYS");
        if (secret.Sealed.Length < NonceSize + TagSize)
            throw new AyonError(500, $"Secret {name} is damaged");
        var length = secret.Sealed.Length - NonceSize - TagSize;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(secret.Sealed.AsSpan(0, NonceSize), secret.Sealed.AsSpan(NonceSize, length), secret.Sealed.AsSpan(NonceSize + length), plain, Associated(name));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new AyonError(500, $"Secret {name} does not open with key {secret.KeyId}: it was changed outside Anvil or under another name");
        }
        return Encoding.UTF8.GetString(plain);
    }

    static byte[] Associated(string name) => Encoding.UTF8.GetBytes("anvil-secret\n" + name);

    static ServiceUnavailable NoKey() =>
        new("Secrets cannot be used: the server has no secrets key (set AYON_SECRETS_KEY, see docs/services.md)");
}
