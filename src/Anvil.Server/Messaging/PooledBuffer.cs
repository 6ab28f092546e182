using System.Buffers;

namespace Anvil.Server.Messaging;

/// <summary>
/// Bytes written into one contiguous array from the shared pool, grown by renting a larger one, and
/// given back on <see cref="Dispose"/>: the outbox row of a bulk write (hundreds of kilobytes) and
/// the messages the publisher sends would otherwise be a large-object array each, and every few of
/// those a full garbage collection. Nothing may read <see cref="WrittenMemory"/> once disposed.
/// </summary>
public sealed class PooledBuffer(int initialSize) : IBufferWriter<byte>, IDisposable
{
    byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialSize, 256));
    int _written;

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _array.Length)
            throw new ArgumentOutOfRangeException(nameof(count));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_written);
    }

    void Reserve(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= sizeHint)
            return;
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max((long)_array.Length * 2, (long)_written + sizeHint)));
        _array.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = larger;
    }

    public void Dispose()
    {
        var array = _array;
        _array = [];
        _written = 0;
        if (array.Length > 0)
            ArrayPool<byte>.Shared.Return(array);
    }
}
