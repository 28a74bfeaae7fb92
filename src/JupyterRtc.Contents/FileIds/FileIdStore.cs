using System.Text.Json;

namespace JupyterRtc.Contents.FileIds;

/// <summary>
/// Stable file ids (the <c>jupyter_server_fileid</c> service): a collaborative room is named after its file's id, so the
/// id must follow the file through renames and moves made with the Contents API and survive server restarts; otherwise
/// a reconnecting tab would join a different room, or two tabs on one file would hold two documents.
/// <para>
/// Ids are UUIDs mapped to absolute OS paths (so two servers with different roots sharing one data directory do not
/// mix their files). Every change is appended to a journal, one JSON object per line, flushed to disk before the
/// call returns; the journal is replayed at start and compacted when it has grown well past the live entries. A torn
/// last line (a crash mid-append) is ignored.
/// </para>
/// <para>
/// Each id also remembers its file's (device, inode), refreshed when the file is saved: when another program moves the
/// file (<c>mv</c>, git), <see cref="Locate"/> finds it by that identity and the id follows, so an open notebook keeps
/// its room and its unsaved edits instead of being taken for deleted.
/// </para>
/// </summary>
public sealed class FileIdStore : IDisposable
{
    private readonly string _journalPath;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _pathById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idByPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ulong Dev, ulong Ino)> _identityById = new(StringComparer.Ordinal);
    private FileStream? _journal;
    private int _journalLines;

    /// <param name="journalPath">Where the journal lives, e.g. <c>{data_dir}/jupyter-rtc/file_ids.jsonl</c>.</param>
    public FileIdStore(string journalPath)
    {
        _journalPath = journalPath;
        Directory.CreateDirectory(Path.GetDirectoryName(journalPath)!);
        Replay();
        if (_journalLines > 1000 && _journalLines > 4 * _pathById.Count) Compact();
        _journal = OpenJournal();
    }

    /// <summary>The id of an OS path, if it has one.</summary>
    public string? GetId(string osPath)
    {
        lock (_lock) return _idByPath.GetValueOrDefault(Normalize(osPath));
    }

    /// <summary>The OS path an id stands for, if known.</summary>
    public string? GetPath(string id)
    {
        lock (_lock) return _pathById.GetValueOrDefault(id);
    }

    /// <summary>The id of a path, created if it has none. Returns the id and whether it was created.</summary>
    public (string Id, bool Created) Index(string osPath)
    {
        var path = Normalize(osPath);
        lock (_lock)
        {
            if (_idByPath.TryGetValue(path, out var existing)) return (existing, false);
            var id = Guid.NewGuid().ToString();
            var identity = FileIdentity.Of(path);
            Append(new Entry { Op = "index", Id = id, Path = path, Dev = identity?.Dev, Ino = identity?.Ino });
            Set(id, path);
            if (identity is { } i) _identityById[id] = i;
            return (id, true);
        }
    }

    /// <summary>A file or directory moved (rename or move): ids at the old path, and under it, follow.</summary>
    public void Move(string fromOsPath, string toOsPath)
    {
        var from = Normalize(fromOsPath);
        var to = Normalize(toOsPath);
        lock (_lock)
        {
            var moved = Affected(from);
            if (moved.Count == 0 && !_idByPath.ContainsKey(to)) return;
            Append(new Entry { Op = "move", From = from, Path = to });
            ApplyMove(from, to);
        }
    }

    /// <summary>A file or directory was deleted: its id, and those under it, are forgotten.</summary>
    public void Delete(string osPath)
    {
        var path = Normalize(osPath);
        lock (_lock)
        {
            if (Affected(path).Count == 0) return;
            Append(new Entry { Op = "delete", Path = path });
            ApplyDelete(path);
        }
    }

    /// <summary>The file at this path may have a new inode (an atomic save writes a new file): remember it.</summary>
    public void Refresh(string osPath)
    {
        var path = Normalize(osPath);
        var identity = FileIdentity.Of(path);
        if (identity is not { } i) return;
        lock (_lock)
        {
            if (!_idByPath.TryGetValue(path, out var id)) return;
            if (_identityById.TryGetValue(id, out var known) && known == i) return;
            Append(new Entry { Op = "identity", Id = id, Path = path, Dev = i.Dev, Ino = i.Ino });
            _identityById[id] = i;
        }
    }

    /// <summary>
    /// The path of an id's file, following it if another program moved it: when the recorded path no longer holds
    /// the same file, the file with the recorded identity is looked for in the old directory, then anywhere under
    /// <paramref name="rootOsPath"/> (at most <paramref name="maxEntries"/> entries are looked at). Null when it is gone.
    /// </summary>
    public string? Locate(string id, string rootOsPath, int maxEntries = 100_000)
    {
        string? path;
        (ulong Dev, ulong Ino) identity;
        lock (_lock)
        {
            path = _pathById.GetValueOrDefault(id);
            if (path == null) return null;
            if (!_identityById.TryGetValue(id, out identity)) return File.Exists(path) || Directory.Exists(path) ? path : null;
        }
        // One stat tells both whether the path still exists and whether it is the same inode.
        if (FileIdentity.Of(path) is { } now)
        {
            // Still there (maybe rewritten in place with a new inode by an editor's atomic save): still this file.
            if (now != identity) Refresh(path);
            return path;
        }
        var found = Search(identity, Path.GetDirectoryName(path), rootOsPath, maxEntries);
        if (found == null) return null;
        lock (_lock)
        {
            if (_pathById.GetValueOrDefault(id) != path) return _pathById.GetValueOrDefault(id);   // moved meanwhile
            found = Normalize(found);
            Append(new Entry { Op = "move", From = path, Path = found });
            ApplyMove(path, found);
        }
        return found;
    }

    private static string? Search((ulong Dev, ulong Ino) identity, string? first, string root, int maxEntries)
    {
        var seen = 0;
        var queue = new Queue<string>();
        if (first != null && Directory.Exists(first)) queue.Enqueue(first);
        queue.Enqueue(root);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0 && seen < maxEntries)
        {
            var dir = queue.Dequeue();
            if (!visited.Add(dir)) continue;
            IEnumerable<string> entries;
            try { entries = Directory.EnumerateFileSystemEntries(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var entry in entries)
            {
                if (++seen > maxEntries) break;
                FileSystemInfo info = Directory.Exists(entry) ? new DirectoryInfo(entry) : new FileInfo(entry);
                if (info.LinkTarget != null) continue;                 // links are not followed: no way out of the root
                if (info is DirectoryInfo) { if (entry != first) queue.Enqueue(entry); continue; }
                if (FileIdentity.Of(entry) == identity) return entry;
            }
        }
        return null;
    }

    public int Count { get { lock (_lock) return _pathById.Count; } }

    public void Dispose()
    {
        lock (_lock)
        {
            _journal?.Dispose();
            _journal = null;
        }
    }

    // ---- state ------------------------------------------------------------------------------------------------------

    private static string Normalize(string osPath) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(osPath));

    private static bool IsUnder(string path, string dir) =>
        path.Length > dir.Length && path[dir.Length] == Path.DirectorySeparatorChar && path.StartsWith(dir, StringComparison.Ordinal);

    private List<string> Affected(string path) =>
        _idByPath.Keys.Where(p => p == path || IsUnder(p, path)).ToList();

    private void Set(string id, string path)
    {
        if (_idByPath.Remove(path, out var previous)) _pathById.Remove(previous);
        if (_pathById.Remove(id, out var oldPath)) _idByPath.Remove(oldPath);
        _pathById[id] = path;
        _idByPath[path] = id;
    }

    private void ApplyMove(string from, string to)
    {
        // Whatever had an id at the destination was overwritten by the move.
        ApplyDelete(to);
        foreach (var p in Affected(from))
        {
            var id = _idByPath[p];
            Set(id, to + p[from.Length..]);
        }
    }

    private void ApplyDelete(string path)
    {
        foreach (var p in Affected(path))
            if (_idByPath.Remove(p, out var id))
            {
                _pathById.Remove(id);
                _identityById.Remove(id);
            }
    }

    // ---- journal ----------------------------------------------------------------------------------------------------

    private sealed class Entry
    {
        public string Op { get; set; } = "";
        public string? Id { get; set; }
        public string? From { get; set; }
        public string? Path { get; set; }
        public ulong? Dev { get; set; }
        public ulong? Ino { get; set; }
    }

    private static readonly JsonSerializerOptions JournalJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private void Replay()
    {
        if (!File.Exists(_journalPath)) return;
        foreach (var line in File.ReadLines(_journalPath))
        {
            if (line.Length == 0) continue;
            Entry? e;
            try { e = JsonSerializer.Deserialize<Entry>(line, JournalJson); }
            catch (JsonException) { continue; }   // a torn last line
            if (e?.Path == null) continue;
            _journalLines++;
            switch (e.Op)
            {
                case "index" when e.Id != null:
                    Set(e.Id, e.Path);
                    if (e.Ino is { } ino && e.Dev is { } dev) _identityById[e.Id] = (dev, ino);
                    break;
                case "identity" when e.Id != null && e.Ino != null && e.Dev != null && _pathById.ContainsKey(e.Id):
                    _identityById[e.Id] = (e.Dev.Value, e.Ino.Value);
                    break;
                case "move" when e.From != null: ApplyMove(e.From, e.Path); break;
                case "delete": ApplyDelete(e.Path); break;
            }
        }
    }

    private FileStream OpenJournal()
    {
        var fs = new FileStream(_journalPath, FileMode.Append, FileAccess.Write, FileShare.Read, 4096);
        // A torn last line from a crash must not glue itself to the next entry.
        if (fs.Length > 0) { fs.WriteByte((byte)'\n'); fs.Flush(flushToDisk: true); }
        return fs;
    }

    private void Append(Entry e)
    {
        var journal = _journal ?? throw new ObjectDisposedException(nameof(FileIdStore));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(e, JournalJson);
        journal.Write(bytes);
        journal.WriteByte((byte)'\n');
        journal.Flush(flushToDisk: true);
        _journalLines++;
    }

    private void Compact()
    {
        using var buffer = new MemoryStream();
        foreach (var (id, path) in _pathById)
        {
            var identity = _identityById.TryGetValue(id, out var i) ? i : ((ulong, ulong)?)null;
            buffer.Write(JsonSerializer.SerializeToUtf8Bytes(new Entry { Op = "index", Id = id, Path = path, Dev = identity?.Item1, Ino = identity?.Item2 }, JournalJson));
            buffer.WriteByte((byte)'\n');
        }
        AtomicFile.Write(_journalPath, buffer.ToArray());
        _journalLines = _pathById.Count;
    }
}
