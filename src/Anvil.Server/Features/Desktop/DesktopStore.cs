using System.Buffers;
using System.Data;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Anvil.Server.Features.Desktop;

/// <summary>A manifest as stored, with its uploaded file when there is one.</summary>
public sealed record DesktopPackageRow
{
    public string Filename { get; init; } = "";
    public string Platform { get; init; } = "";
    public JsonObject Manifest { get; init; } = [];
    public Guid? FileId { get; init; }
    public long? FileSize { get; init; }
    public string? FileSha256 { get; init; }
}

/// <summary>
/// Installers and dependency packages in PostgreSQL (migration 0013): a manifest row per file name and
/// the uploaded bytes in 4 MiB chunks, written whole in one transaction with the checksum verified, and
/// read back in slices so a download holds neither a connection nor more than one slice of memory
/// while the client receives it.
/// </summary>
public sealed class DesktopStore(Db db)
{
    /// <summary>Size of one stored chunk: every chunk but the last is exactly this long.</summary>
    public const int ChunkSize = 4 * 1024 * 1024;

    /// <summary>Size of one read while serving a file (a chunk is read in slices of this).</summary>
    public const int SliceSize = 1024 * 1024;

    const string Select = """
        SELECT p.filename, p.platform, p.manifest, p.file_id, f.size AS file_size, f.sha256 AS file_sha256
        FROM desktop_packages p LEFT JOIN desktop_files f ON f.id = p.file_id
        """;

    public async Task<IReadOnlyList<DesktopPackageRow>> ListAsync(DesktopKind kind, string? platform, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<DesktopPackageRow>(new CommandDefinition($"""
            {Select}
            WHERE p.kind = @kind AND (@platform::text IS NULL OR p.platform = @platform)
            ORDER BY p.created_at, p.filename
            """, new { kind = DesktopManifest.Column(kind), platform }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    public async Task<DesktopPackageRow?> GetAsync(DesktopKind kind, string filename, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DesktopPackageRow>(new CommandDefinition($"""
            {Select}
            WHERE p.kind = @kind AND p.filename = @filename
            """, new { kind = DesktopManifest.Column(kind), filename }, cancellationToken: cancellationToken));
    }

    /// <summary>Stores a new manifest; 409 when the file name is taken.</summary>
    public async Task CreateAsync(DesktopKind kind, JsonObject manifest, CancellationToken cancellationToken)
    {
        var filename = manifest["filename"]!.GetValue<string>();
        await using var connection = await db.OpenAsync(cancellationToken);
        var created = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO desktop_packages (kind, filename, platform, manifest) VALUES (@kind, @filename, @platform, @manifest)
            ON CONFLICT (kind, filename) DO NOTHING
            """, new { kind = DesktopManifest.Column(kind), filename, platform = manifest["platform"]!.GetValue<string>(), manifest },
            cancellationToken: cancellationToken));
        if (created == 0)
            throw new Conflict($"{DesktopManifest.Noun(kind)} {filename} already exists");
    }

    /// <summary>Replaces the sources; false when there is no such manifest.</summary>
    public async Task<bool> SetSourcesAsync(DesktopKind kind, string filename, JsonArray sources, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE desktop_packages SET manifest = jsonb_set(manifest, '{sources}', @sources), updated_at = now()
            WHERE kind = @kind AND filename = @filename
            """, new { kind = DesktopManifest.Column(kind), filename, sources }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Deletes the manifest and its file; false when there is no such manifest.</summary>
    public async Task<bool> DeleteAsync(DesktopKind kind, string filename, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var fileId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition("""
            DELETE FROM desktop_packages WHERE kind = @kind AND filename = @filename RETURNING COALESCE(file_id, '00000000-0000-0000-0000-000000000000')
            """, new { kind = DesktopManifest.Column(kind), filename }, cancellationToken: cancellationToken));
        if (fileId is null)
            return false;
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM desktop_files WHERE id = @fileId", new { fileId }, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Streams <paramref name="body"/> into a new file, chunk by chunk, hashing as it goes; the manifest
    /// points at it only if its size and checksum are the manifest's (else 400 and nothing is kept). The
    /// previous file of the manifest, if any, goes in the same transaction.
    /// </summary>
    public async Task UploadAsync(DesktopKind kind, DesktopPackageRow target, Stream body, CancellationToken cancellationToken)
    {
        var manifest = target.Manifest;
        var expectedSize = manifest["size"]!.GetValue<long>();
        var expectedChecksum = manifest["checksum"]!.GetValue<string>();
        var algorithm = manifest["checksumAlgorithm"]!.GetValue<string>();
        using var checksum = IncrementalHash.CreateHash(algorithm switch
        {
            "md5" => HashAlgorithmName.MD5,
            "sha1" => HashAlgorithmName.SHA1,
            _ => HashAlgorithmName.SHA256,
        });
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var fileId = Guid.NewGuid();

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO desktop_files (id, size, sha256, chunk_count) VALUES (@fileId, 0, repeat('0', 64), 0)
            """, new { fileId }, cancellationToken: cancellationToken));

        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        long total = 0;
        var chunks = 0;
        try
        {
            await using var insert = new NpgsqlCommand("INSERT INTO desktop_file_chunks (file_id, seq, data) VALUES (@fileId, @seq, @data)", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<Guid>("fileId", fileId));
            var seq = new NpgsqlParameter<int>("seq", 0);
            insert.Parameters.Add(seq);
            var data = insert.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Bytea));
            while (true)
            {
                var read = await body.ReadAtLeastAsync(buffer.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken);
                if (read == 0)
                    break;
                total += read;
                if (total > expectedSize)
                    throw BadRequest.Field("size", $"the upload is larger than the manifest's size of {expectedSize} bytes");
                checksum.AppendData(buffer, 0, read);
                sha256.AppendData(buffer, 0, read);
                seq.TypedValue = chunks++;
                data.Value = new ReadOnlyMemory<byte>(buffer, 0, read);
                data.Size = read;
                await insert.ExecuteNonQueryAsync(cancellationToken);
                if (read < ChunkSize)
                    break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (total != expectedSize)
            throw BadRequest.Field("size", $"the upload has {total} bytes, the manifest says {expectedSize}");
        var actual = Convert.ToHexStringLower(checksum.GetHashAndReset());
        if (actual != expectedChecksum)
            throw BadRequest.Field("checksum", $"the uploaded file's {algorithm} is {actual}, the manifest says {expectedChecksum}");

        // The manifest may have been deleted or replaced while the bytes travelled: re-read it under a lock.
        var current = await connection.QuerySingleOrDefaultAsync<(JsonObject Manifest, Guid? FileId)?>(new CommandDefinition("""
            SELECT manifest, file_id FROM desktop_packages WHERE kind = @kind AND filename = @filename FOR UPDATE
            """, new { kind = DesktopManifest.Column(kind), filename = target.Filename }, transaction, cancellationToken: cancellationToken));
        if (current is not { } row)
            throw new NotFound($"{DesktopManifest.Noun(kind)} {target.Filename} was deleted during the upload");
        if (row.Manifest["checksum"]?.GetValue<string>() != expectedChecksum || row.Manifest["size"]?.GetValue<long>() != expectedSize)
            throw new Conflict($"{DesktopManifest.Noun(kind)} {target.Filename} was replaced during the upload");
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE desktop_files SET size = @total, sha256 = @sha, chunk_count = @chunks WHERE id = @fileId
            """, new { fileId, total, sha = Convert.ToHexStringLower(sha256.GetHashAndReset()), chunks }, transaction, cancellationToken: cancellationToken));
        var sources = DesktopManifest.WithServerSource(row.Manifest["sources"] as JsonArray ?? []);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE desktop_packages SET file_id = @fileId, manifest = jsonb_set(manifest, '{sources}', @sources), updated_at = now()
            WHERE kind = @kind AND filename = @filename
            """, new { fileId, sources, kind = DesktopManifest.Column(kind), filename = target.Filename }, transaction,
            cancellationToken: cancellationToken));
        if (row.FileId is { } previous)
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM desktop_files WHERE id = @previous", new { previous }, transaction,
                cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Copies bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/> of a file to <paramref name="output"/>, one slice per query.</summary>
    public async Task CopyRangeAsync(Guid fileId, long offset, long length, Stream output, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SliceSize);
        try
        {
            var end = offset + length;
            var position = offset;
            while (position < end)
            {
                var seq = (int)(position / ChunkSize);
                var inChunk = (int)(position % ChunkSize);
                var count = (int)Math.Min(Math.Min(SliceSize, ChunkSize - inChunk), end - position);
                var read = await ReadSliceAsync(fileId, seq, inChunk, count, buffer, cancellationToken);
                if (read != count)
                    throw new InvalidOperationException($"Desktop file {fileId:N} is shorter than its recorded size (chunk {seq})");
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    async Task<int> ReadSliceAsync(Guid fileId, int seq, int from, int count, byte[] buffer, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // The chunks are stored uncompressed (STORAGE EXTERNAL), so substring reads only the slice's TOAST pages.
        await using var command = new NpgsqlCommand(
            "SELECT substring(data FROM @from + 1 FOR @count) FROM desktop_file_chunks WHERE file_id = @fileId AND seq = @seq", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid>("fileId", fileId));
        command.Parameters.Add(new NpgsqlParameter<int>("seq", seq));
        command.Parameters.Add(new NpgsqlParameter<int>("from", from));
        command.Parameters.Add(new NpgsqlParameter<int>("count", count));
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return 0;
        await using var stream = await reader.GetStreamAsync(0, cancellationToken);
        return await stream.ReadAtLeastAsync(buffer.AsMemory(0, count), count, throwOnEndOfStream: false, cancellationToken);
    }
}
