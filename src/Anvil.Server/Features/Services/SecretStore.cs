using Anvil.Server.Data;
using Dapper;

namespace Anvil.Server.Features.Services;

/// <summary>A secret as the API answers it (<c>value</c> left out where the caller may not read it).</summary>
public sealed record SecretResponse(string Name, string? Value = null);

/// <summary>
/// The studio's secrets (migration 0015): names in clear, values sealed by <see cref="SecretCipher"/>.
/// Values leave this class only through <see cref="GetAsync"/> and <see cref="ListAsync"/>.
/// </summary>
public sealed class SecretStore(Db db, SecretCipher cipher)
{
    sealed record Row(string Name, string KeyId, byte[] Sealed);

    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM secrets ORDER BY name", cancellationToken: cancellationToken))];
    }

    /// <summary>Every secret with its value.</summary>
    public async Task<IReadOnlyList<SecretResponse>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT name, key_id, sealed FROM secrets ORDER BY name", cancellationToken: cancellationToken));
        return [.. rows.Select(r => new SecretResponse(r.Name, cipher.Open(r.Name, new SealedSecret(r.KeyId, r.Sealed))))];
    }

    /// <summary>The secret's value; null when there is no such secret.</summary>
    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT name, key_id, sealed FROM secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return row is null ? null : cipher.Open(row.Name, new SealedSecret(row.KeyId, row.Sealed));
    }

    /// <summary>Creates or replaces the secret.</summary>
    public async Task PutAsync(string name, string value, CancellationToken cancellationToken)
    {
        var sealedValue = cipher.Seal(name, value);
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO secrets (name, key_id, sealed) VALUES (@name, @keyId, @sealed)
            ON CONFLICT (name) DO UPDATE SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, updated_at = now()
            """, new { name, keyId = sealedValue.KeyId, @sealed = sealedValue.Sealed }, cancellationToken: cancellationToken));
    }

    /// <summary>False when there was no such secret.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// Re-seals with the current key every secret sealed with another one (they must open with a key
    /// the server has: the current one or a previous one), in one transaction. Answers how many.
    /// </summary>
    public async Task<int> RotateAsync(CancellationToken cancellationToken)
    {
        var current = cipher.CurrentKeyId ?? throw new InvalidOperationException("AYON_SECRETS_KEY is not set: there is no key to rotate to");
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT name, key_id, sealed FROM secrets WHERE key_id <> @current FOR UPDATE", new { current }, transaction, cancellationToken: cancellationToken));
        var count = 0;
        foreach (var row in rows)
        {
            var resealed = cipher.Seal(row.Name, cipher.Open(row.Name, new SealedSecret(row.KeyId, row.Sealed)));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE secrets SET key_id = @keyId, sealed = @sealed WHERE name = @name",
                new { name = row.Name, keyId = resealed.KeyId, @sealed = resealed.Sealed }, transaction, cancellationToken: cancellationToken));
            count++;
        }
        await transaction.CommitAsync(cancellationToken);
        return count;
    }
}
