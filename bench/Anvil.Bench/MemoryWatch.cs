namespace Anvil.Bench;

/// <summary>The resident memory of the server process, sampled through the run (Linux /proc).</summary>
public sealed class MemoryWatch : IAsyncDisposable
{
    readonly int _pid;
    readonly CancellationTokenSource _stop = new();
    readonly Task _sampling;

    public long PeakBytes { get; private set; }

    public MemoryWatch(int pid)
    {
        _pid = pid;
        _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                PeakBytes = Math.Max(PeakBytes, Read("VmRSS") ?? 0);
                await Task.Delay(100).ConfigureAwait(false);
            }
        });
    }

    /// <summary>The process's high-water mark since it started (it may predate the run: the seed, say).</summary>
    public long? HighWaterBytes => Read("VmHWM");

    long? Read(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{_pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
