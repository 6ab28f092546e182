using System.Buffers.Binary;

namespace Anvil.Server.Features.Addons.Packages;

/// <summary>
/// Reads how many entries a zip declares from its end records alone, so a zip of millions of tiny
/// entries is refused before <see cref="System.IO.Compression.ZipArchive"/> builds an object for each.
/// </summary>
static class ZipDirectory
{
    const uint EndSignature = 0x06054b50;
    const uint Zip64LocatorSignature = 0x07064b50;
    const uint Zip64EndSignature = 0x06064b50;
    const int EndLength = 22;
    const int MaxCommentLength = 0xFFFF;

    /// <summary>The entry count the zip's end of central directory declares; null when the stream is no zip.</summary>
    public static long? CountEntries(Stream stream)
    {
        var tailLength = (int)Math.Min(stream.Length, EndLength + MaxCommentLength + 20);
        if (tailLength < EndLength)
            return null;
        var tail = new byte[tailLength];
        stream.Seek(-tailLength, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Seek(0, SeekOrigin.Begin);
        for (var at = tailLength - EndLength; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != EndSignature)
                continue;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 10));
            if (count == 0xFFFF && at >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at - 20)) == Zip64LocatorSignature)
                count = Zip64Count(stream, (long)BinaryPrimitives.ReadUInt64LittleEndian(tail.AsSpan(at - 20 + 8))) ?? count;
            return count;
        }
        return null;
    }

    static long? Zip64Count(Stream stream, long recordOffset)
    {
        if (recordOffset < 0 || recordOffset + 56 > stream.Length)
            return null;
        var record = new byte[56];
        stream.Seek(recordOffset, SeekOrigin.Begin);
        stream.ReadExactly(record);
        stream.Seek(0, SeekOrigin.Begin);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
            return null;
        var count = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32));
        return count > long.MaxValue ? long.MaxValue : (long)count;
    }
}
