using System.Buffers;

namespace JupyterRtc.Contents;

/// <summary>
/// A whole file read into a reused buffer. Reading a large notebook into a new array on every GET made the kernel fault
/// in and zero fresh pages each time: ~8 % of the server's CPU in a 20 MB notebook's first GETs (perf;
/// docs/benchmarks.md, contents). The shared array pool does not help there: it keeps a returned array for the thread
/// that returned it, and the next request runs on another. So a large buffer (1 MB and more) is kept as one spare that
/// any thread can take, held weakly: a busy server reuses it, and the garbage collector frees it once memory is
/// reclaimed (as the idle memory trim does). Small files use the shared pool. <see cref="Release"/> gives the buffer back;
/// it must be called only once nothing reads <see cref="Bytes"/> any more. A buffer never released is simply collected.
/// </summary>
internal sealed class PooledFile
{
    private const int LargeBytes = 1 << 20;
    private static readonly WeakReference<byte[]?> Spare = new(null);
    private static readonly Lock SpareLock = new();

    private byte[]? _buffer;

    private PooledFile(byte[] buffer, int length)
    {
        _buffer = buffer;
        Bytes = buffer.AsMemory(0, length);
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Reads to the end of the file, as <see cref="File.ReadAllBytes"/> does (a file that grows while it is
    /// read is read to its new end; one over 2 GB is an <see cref="IOException"/>).</summary>
    public static PooledFile Read(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength) throw new IOException($"{path} is larger than 2 GB");
        // One byte more than the length, so that reading to the end needs no second buffer when the file did not grow.
        var buffer = Rent((int)Math.Min(length + 1, Array.MaxLength));
        var n = 0;
        try
        {
            while (true)
            {
                if (n == buffer.Length)
                {
                    if (n == Array.MaxLength) throw new IOException($"{path} is larger than 2 GB");
                    var larger = Rent((int)Math.Min(2L * n, Array.MaxLength));
                    buffer.AsSpan(0, n).CopyTo(larger);
                    Return(buffer);
                    buffer = larger;
                }
                var read = RandomAccess.Read(handle, buffer.AsSpan(n), n);
                if (read == 0) break;
                n += read;
            }
        }
        catch
        {
            Return(buffer);
            throw;
        }
        return new PooledFile(buffer, n);
    }

    public void Release()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) Return(buffer);
    }

    private static byte[] Rent(int length)
    {
        if (length < LargeBytes) return ArrayPool<byte>.Shared.Rent(length);
        lock (SpareLock)
        {
            if (Spare.TryGetTarget(out var spare) && spare != null && spare.Length >= length)
            {
                Spare.SetTarget(null);
                return spare;
            }
        }
        // Rounded up to whole megabytes, so a notebook that grows a little still fits the spare.
        var rounded = (int)Math.Min(((long)length + LargeBytes - 1) / LargeBytes * LargeBytes, Array.MaxLength);
        return GC.AllocateUninitializedArray<byte>(rounded);
    }

    private static void Return(byte[] buffer)
    {
        if (buffer.Length < LargeBytes) { ArrayPool<byte>.Shared.Return(buffer); return; }
        lock (SpareLock)
            if (!Spare.TryGetTarget(out var spare) || spare == null || spare.Length < buffer.Length) Spare.SetTarget(buffer);
    }
}
