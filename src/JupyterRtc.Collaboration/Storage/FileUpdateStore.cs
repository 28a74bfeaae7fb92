using System.Threading.Channels;
using JupyterRtc.Crdt.Encoding;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Collaboration.Storage;

/// <summary>
/// The history of shared documents (every update a room applied), so that a room rebuilt after it was freed or after
/// a restart has the same Yjs items as the tabs that are still open: they then merge as a no-op instead of
/// duplicating every cell (rtc-protocol §6 #1). Hocuspocus calls this the database extension; jupyter-collaboration
/// the YStore.
/// </summary>
public interface IUpdateStore : IAsyncDisposable
{
    /// <summary>The stored updates of a document, oldest first; empty if it has none.</summary>
    Task<IReadOnlyList<byte[]>> LoadAsync(string key);

    /// <summary>Queues an update. Never waits for the disk: storage latency must not slow the room down.</summary>
    void Append(string key, byte[] update);

    /// <summary>Completes when every update queued so far is on disk.</summary>
    Task FlushAsync();

    /// <summary>Replaces a document's history with one update holding its whole state.</summary>
    Task CompactAsync(string key, byte[] state);

    /// <summary>Forgets a document (its file was deleted).</summary>
    Task DeleteAsync(string key);
}

/// <summary>
/// The embedded store: one append-only file per document under <c>{data_dir}/jupyter-rtc/ystore/</c>, records of
/// <c>varUint(length) bytes</c>. One background task writes and fsyncs batches; a record torn by a crash is dropped
/// when the file is read.
/// </summary>
public sealed class FileUpdateStore : IUpdateStore
{
    private readonly string _dir;
    private readonly ILogger _log;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, FileStream> _open = new(StringComparer.Ordinal);
    private readonly Task _writer;
    /// <summary>Longest time an update stays written but not fsynced.</summary>
    private const long FsyncIntervalMs = 100;

    private abstract record Work;
    private sealed record AppendWork(string Key, byte[] Update) : Work;
    private sealed record FlushWork(TaskCompletionSource Done) : Work;
    private sealed record ReplaceWork(string Key, byte[]? State, TaskCompletionSource Done) : Work;

    public FileUpdateStore(string directory, ILogger log)
    {
        _dir = directory;
        _log = log;
        Directory.CreateDirectory(_dir);
        _writer = Task.Run(WriteLoopAsync);
    }

    private string FileOf(string key) => Path.Combine(_dir, Uri.EscapeDataString(key).Replace("%3A", "_", StringComparison.Ordinal) + ".yupdates");

    public async Task<IReadOnlyList<byte[]>> LoadAsync(string key)
    {
        await FlushAsync();   // whatever was queued for this key is part of its history
        var path = FileOf(key);
        if (!File.Exists(path)) return [];
        var bytes = await File.ReadAllBytesAsync(path);
        var updates = new List<byte[]>();
        var reader = new Lib0Reader(bytes);
        while (reader.HasContent)
        {
            var start = reader.Position;
            try
            {
                updates.Add(reader.ReadVarUint8Array());
            }
            catch (JupyterRtc.Crdt.CrdtFormatException)
            {
                _log.LogWarning("Update store {File}: dropping a torn record at byte {Offset}", path, start);
                break;
            }
        }
        return updates;
    }

    public void Append(string key, byte[] update) => _queue.Writer.TryWrite(new AppendWork(key, update));

    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new FlushWork(done))) done.TrySetResult();
        return done.Task;
    }

    public Task CompactAsync(string key, byte[] state)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new ReplaceWork(key, state, done))) done.TrySetResult();
        return done.Task;
    }

    public Task DeleteAsync(string key)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new ReplaceWork(key, null, done))) done.TrySetResult();
        return done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var dirty = new HashSet<FileStream>();
        var unsynced = new HashSet<FileStream>();
        var lastFsync = 0L;
        var fsyncScheduled = false;
        var waiting = new List<TaskCompletionSource>();
        var header = new Lib0Writer(16);
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Drain everything queued, then make it durable with one fsync per file.
            while (_queue.Reader.TryRead(out var work))
            {
                try
                {
                    switch (work)
                    {
                        case AppendWork a:
                        {
                            var fs = Open(a.Key);
                            // One write of length and update (the file is unbuffered: see Open); a large update
                            // is written on its own rather than copied into a buffer that would stay that large.
                            header.Clear();
                            header.WriteVarUint((ulong)a.Update.Length);
                            if (a.Update.Length <= 64 * 1024)
                            {
                                header.WriteBytes(a.Update);
                                fs.Write(header.WrittenSpan);
                            }
                            else
                            {
                                fs.Write(header.WrittenSpan);
                                fs.Write(a.Update);
                            }
                            dirty.Add(fs);
                            break;
                        }
                        case FlushWork f: waiting.Add(f.Done); break;
                        case ReplaceWork r:
                            Replace(r.Key, r.State, dirty);
                            r.Done.TrySetResult();
                            break;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _log.LogError("Update store: could not write ({Error}); the document files are unaffected", e.Message);
                }
            }
            // Every batch reaches the operating system at once (a crash of this process loses nothing); the fsync that
            // makes it survive a power loss runs at most every FsyncInterval, or when someone waits for it.
            var fsyncNow = waiting.Count > 0 || Environment.TickCount64 - lastFsync >= FsyncIntervalMs;
            foreach (var fs in dirty)
            {
                try
                {
                    fs.Flush(flushToDisk: false);
                    if (fsyncNow) fs.Flush(flushToDisk: true); else unsynced.Add(fs);
                }
                catch (IOException e) { _log.LogError("Update store: could not flush {File} ({Error})", fs.Name, e.Message); }
            }
            dirty.Clear();
            if (fsyncNow)
            {
                foreach (var fs in unsynced)
                {
                    try { if (fs.CanWrite) fs.Flush(flushToDisk: true); }
                    catch (Exception e) when (e is IOException or ObjectDisposedException) { }
                }
                unsynced.Clear();
                lastFsync = Environment.TickCount64;
                fsyncScheduled = false;
            }
            else if (unsynced.Count > 0 && !fsyncScheduled)
            {
                fsyncScheduled = true;
                _ = Task.Delay((int)FsyncIntervalMs).ContinueWith(_ => FlushAsync(), TaskScheduler.Default);
            }
            foreach (var w in waiting) w.TrySetResult();
            waiting.Clear();
        }
        foreach (var fs in _open.Values) await fs.DisposeAsync();
        _open.Clear();
    }

    private FileStream Open(string key)
    {
        if (_open.TryGetValue(key, out var fs)) return fs;
        // Unbuffered: every open document keeps its file open, and a 4 KB buffer each was most of an idle room's memory;
        // appends are written whole in one call anyway.
        fs = new FileStream(FileOf(key), FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _open[key] = fs;
        return fs;
    }

    private void Replace(string key, byte[]? state, HashSet<FileStream> dirty)
    {
        if (_open.Remove(key, out var fs))
        {
            dirty.Remove(fs);
            fs.Flush(flushToDisk: true);
            fs.Dispose();
        }
        var path = FileOf(key);
        if (state == null) { JupyterRtc.Contents.AtomicFile.TryDelete(path); return; }
        var w = new Lib0Writer(state.Length + 8);
        w.WriteVarUint8Array(state);
        JupyterRtc.Contents.AtomicFile.Write(path, w.WrittenMemory);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }
}
