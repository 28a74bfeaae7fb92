using System.Runtime.InteropServices;

namespace JupyterRtc.Contents;

/// <summary>Receives a file's bytes a piece at a time (valid only during the call).</summary>
public delegate void ByteSink(ReadOnlySpan<byte> bytes);

/// <summary>
/// Writes a file so that readers see either the old bytes or the new ones, never a mix: the data goes to a hidden
/// temporary file in the same directory, is flushed to disk, and then replaces the target in one rename. On any
/// failure (disk full, permissions) the temporary file is removed and the old file is untouched.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlyMemory<byte> data) => Write(path, sink => sink(data.Span));

    /// <summary>
    /// As <see cref="Write(string, ReadOnlyMemory{byte})"/>, with the bytes handed over by <paramref name="produce"/> piece
    /// by piece while it makes them (a notebook while it is serialized). A large piece is written on another thread, in
    /// order, from a copy, while the next one is made (<see cref="BackgroundSink"/>). Every <see cref="WritebackBytes"/> the
    /// disk is asked to start writing what it has (Linux <c>sync_file_range</c>), so the final flush waits for the last
    /// pieces only, not for the whole file: a 20 MB notebook's flush is otherwise 20-90 ms after the serializer has
    /// finished. Whatever <paramref name="produce"/> throws, or a write fails with, leaves the target untouched.
    /// </summary>
    public static void Write(string path, Action<ByteSink> produce)
    {
        var dir = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(dir, $".~{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                long written = 0, started = 0;
                void WriteNow(ReadOnlySpan<byte> piece)
                {
                    fs.Write(piece);
                    written += piece.Length;
                    if (written - started < WritebackBytes) return;
                    StartWriteback(fs, started, written - started);
                    started = written;
                }
                // Large pieces are written on another thread while the next is made: a 20 MB notebook's ~10 ms of
                // writes overlap its ~10 ms of serializing.
                using (var pieces = new BackgroundSink(WriteNow, inlineBytes: 256 << 10))
                {
                    produce(pieces.Append);
                    pieces.Finish();
                }
                fs.Flush(flushToDisk: true);
            }
            Replace(temp, path);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>How much is written before the disk is asked to start writing it back.</summary>
    public const int WritebackBytes = 2 << 20;

    private const uint SyncFileRangeWrite = 2;      // SYNC_FILE_RANGE_WRITE: start writeback, do not wait

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    private static bool _noWriteback = !OperatingSystem.IsLinux();

    /// <summary>A hint: where it is not available nothing changes but when the bytes reach the disk.</summary>
    private static void StartWriteback(FileStream fs, long offset, long length)
    {
        if (_noWriteback) return;
        try { SyncFileRange((int)fs.SafeFileHandle.DangerousGetHandle(), offset, length, SyncFileRangeWrite); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { _noWriteback = true; }
    }

    /// <summary>Moves a finished temporary file over the target, keeping the target's permission bits.</summary>
    public static void Replace(string temp, string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
        {
            try { File.SetUnixFileMode(temp, File.GetUnixFileMode(path)); } catch (IOException) { }
        }
        File.Move(temp, path, overwrite: true);
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
