using System.Text;
using System.Text.Json;
using JupyterRtc.Collaboration.Documents;
using JupyterRtc.Collaboration.Storage;
using JupyterRtc.Contents;
using JupyterRtc.Contents.FileIds;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Collaboration.Rooms;

/// <summary>A room that cannot be opened, with the close code the client understands (rtc-protocol §2.8).</summary>
public sealed class RoomException(int closeCode, string message) : Exception(message)
{
    public int CloseCode { get; } = closeCode;
}

/// <summary>
/// A file's room (<c>format:type:fileId</c>): the document is loaded before any client is served, its history comes
/// from the update store, and it is saved back to the file. The rules for changes made to the file by someone else
/// are in docs/collaboration.md; the short version: nothing anyone wrote is dropped without a copy on disk.
/// </summary>
public sealed partial class DocumentRoom : Room
{
    /// <summary>Transaction origins of the server's own writes: loading (never autosaved), the stored history, the state map.</summary>
    public static readonly object LoadOrigin = new(), StoreOrigin = new(), StateOrigin = new();

    private readonly ContentsManager _contents;
    private readonly FileIdStore _ids;
    private readonly IUpdateStore _store;
    private readonly CollaborationOptions _options;
    private readonly Timer _saveTimer;
    private readonly Timer _pollTimer;
    private JsonDocument? _base;             // the file's content as last loaded or saved: the base of a three-way merge
    private DateTime _knownModified;         // the file's last_modified when it was last loaded or saved
    private bool _unsaved;                   // a change was made since the last save
    private DateTime? _firstUnsavedAt;
    private bool _savingNow;
    private bool _initialized;

    public DocumentRoom(string id, string format, string type, string fileId, ContentsManager contents, FileIdStore ids,
        IUpdateStore store, CollaborationOptions options, ILogger log) : base(id, new Doc(), log)
    {
        Format = format;
        Type = type;
        FileId = fileId;
        _contents = contents;
        _ids = ids;
        _store = store;
        _options = options;
        Document = SharedDocument.Create(format, type, Doc);
        _saveTimer = new Timer(_ => _ = AutosaveAsync(), null, Timeout.Infinite, Timeout.Infinite);
        _pollTimer = new Timer(_ => _ = PollAsync(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public string Format { get; }
    public string Type { get; }
    public string FileId { get; }
    public SharedDocument Document { get; }
    public string StoreKey => $"{Type}:{FileId}";
    public string? ApiPath { get; private set; }
    /// <summary>The file was deleted while the room was open: nothing is saved any more.</summary>
    public bool Deleted { get; private set; }

    /// <summary>Something worth telling the event stream and the log: (action, message), e.g. save, overwrite, merge.</summary>
    public event Action<DocumentRoom, string, string>? Activity;

    private string ContentsType => Type == "notebook" ? "notebook" : "file";

    // ---- loading ------------------------------------------------------------------------------------------------

    /// <summary>Loads the document: stored history first, then the file, which wins for content (rtc-protocol §4.1).</summary>
    public async Task InitializeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_initialized) return;
            var path = CurrentPath() ?? throw new RoomException(CloseCodes.NotFound, $"No file has the id {FileId}");
            var (content, modified) = ReadFile(path);
            var stored = await _store.LoadAsync(StoreKey);
            var fromStore = 0;
            foreach (var update in stored)
            {
                try { Doc.ApplyUpdate(update, StoreOrigin); fromStore++; }
                catch (CrdtFormatException e) { Log.LogWarning("Room {Room}: skipping a bad stored update ({Error})", Id, e.Message); }
            }
            if (fromStore > 0 && IsWellFormed())
            {
                if (Document.Reload(content.RootElement, LoadOrigin))
                    Log.LogInformation("Room {Room}: {Path} differs from its stored history; applied the difference", Id, path);
            }
            else
            {
                if (fromStore > 0) Log.LogWarning("Room {Room}: stored history of {Path} is unusable; starting from the file", Id, path);
                Document.Load(content.RootElement, LoadOrigin);
            }
            ApiPath = path;
            // A room is opened only when nothing runs in it (the server holds the room of a cell it runs), so a cell
            // still "running" in the stored history was cut off by a crash or a closed browser: it must not show [*]
            // forever.
            if (Document is NotebookDocument notebook)
            {
                var stale = notebook.SettleExecutionStates(LoadOrigin);
                if (stale > 0) Log.LogInformation("Room {Room}: {Count} cells were left running by a previous run; now idle", Id, stale);
            }
            Doc.Transact(_ =>
            {
                Document.State.Set("path", AnyValue.String(path));
                Document.State.Set("dirty", AnyValue.False);
            }, StateOrigin);
            _base?.Dispose();
            _base = content;
            _knownModified = modified;
            _initialized = true;
            if (_options.FilePollInterval > TimeSpan.Zero) _pollTimer.Change(_options.FilePollInterval, _options.FilePollInterval);
            Activity?.Invoke(this, "initialize", $"Room {Id} loaded {path}" + (fromStore > 0 ? $" with {fromStore} stored updates" : ""));
        }
        finally { Gate.Release(); }
    }

    /// <summary>A history that does not produce the schema's top-level types is no history of this file.</summary>
    private bool IsWellFormed() => Document is not NotebookDocument nb || nb.Cells.Length > 0;

    private string? CurrentPath()
    {
        // Follows the file if another program moved it (the id store finds it by its inode).
        var os = _ids.Locate(FileId, _contents.Paths.Root);
        if (os == null || !_contents.Paths.IsInsideRoot(os)) return null;
        var path = _contents.Paths.ToApiPath(os);
        return _contents.FileExists(path) ? path : null;
    }

    /// <summary>The file's content as a client receives it from the Contents API, and its last_modified.</summary>
    private (JsonDocument Content, DateTime Modified) ReadFile(string path)
    {
        try
        {
            using var model = _contents.Get(path, type: ContentsType, format: Format);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(model.Size is { } s ? (int)Math.Min(s * 2 + 1024, int.MaxValue / 2) : 4096);
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 1024 })) model.WriteTo(w);
            using var whole = JsonDocument.Parse(buffer.WrittenMemory, Contents.Notebooks.NotebookFormat.DocumentOptions);
            // The content's own bytes, not GetRawText: a 20 MB notebook would make a 40 MB string to transcode back.
            var content = JsonDocument.Parse(RawCopy(whole.RootElement.GetProperty("content")), Contents.Notebooks.NotebookFormat.DocumentOptions);
            return (content, model.LastModified);
        }
        catch (ContentsException e)
        {
            throw new RoomException(e.Status == 404 ? CloseCodes.NotFound : e.Status < 500 ? CloseCodes.BadRequest : CloseCodes.ServerError, e.Message);
        }
    }

    // ---- changes and autosave -----------------------------------------------------------------------------------

    protected override void OnChanged(byte[] update, object? origin)
    {
        if (origin != StoreOrigin) _store.Append(StoreKey, update);
        if (origin == StoreOrigin || origin == StateOrigin || !_initialized) return;
        // Loading from disk is not a change to save; everything else (clients, server-side execution) is.
        if (origin == LoadOrigin) return;
        _unsaved = true;
        ScheduleAutosave();
    }

    private void ScheduleAutosave()
    {
        if (_options.SaveDelay is not { } delay || Deleted) return;
        var now = DateTime.UtcNow;
        _firstUnsavedAt ??= now;
        // A trailing debounce, but a document that never stops changing is still saved every MaxSaveInterval.
        var due = now - _firstUnsavedAt.Value >= _options.MaxSaveInterval ? TimeSpan.Zero : delay;
        _saveTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Autosave is off only when every client that says so has its autosave setting off (jupyter-collaboration).</summary>
    private bool AutosaveWanted()
    {
        var said = false;
        foreach (var state in Awareness.States.Values)
        {
            if (state.Kind != AnyKind.Object || !state.AsObject().TryGetValue("autosave", out var a) || a.Kind != AnyKind.Boolean) continue;
            said = true;
            if (a.AsBoolean()) return true;
        }
        return !said;
    }

    private async Task AutosaveAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (!_unsaved || Deleted || !AutosaveWanted()) return;
            await SaveCoreAsync("autosave");
        }
        catch (Exception e)
        {
            Log.LogError(e, "Room {Room}: autosave failed", Id);
        }
        finally { Gate.Release(); }
    }

    protected override async Task<string> OnSaveRequestAsync(IRoomConnection connection) => await SaveCoreAsync("save request");

    /// <summary>Saves now if anything is unsaved (used when the room is freed and at shutdown).</summary>
    public async Task FlushAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_unsaved && !Deleted) await SaveCoreAsync("flush");
        }
        finally { Gate.Release(); }
        await _store.FlushAsync();
    }

    /// <summary>Saves the document to its file (gate held). Returns the RAW reply status: success, skipped or failed.</summary>
    private async Task<string> SaveCoreAsync(string why)
    {
        if (!_initialized) return "skipped";
        _saveTimer.Change(Timeout.Infinite, Timeout.Infinite);
        var path = CurrentPath();
        if (path == null) { MarkDeleted(); return "failed"; }
        try
        {
            ContentsModel meta;
            using (meta = _contents.Get(path, type: ContentsType, content: false)) { }
            if (meta.LastModified != _knownModified) await MergeExternalChangeAsync(path, meta.LastModified);
            if (!meta.Writable)
            {
                Log.LogInformation("Room {Room}: {Path} is read-only; not saved", Id, path);
                _unsaved = false;
                return "success";
            }
            if (_base != null && Document.ContentEquals(_base.RootElement))
            {
                // Nothing to write (a client only touched the state map): no new last_modified, no "File Changed".
                _unsaved = false;
                _firstUnsavedAt = null;
                if (Document.Dirty) Doc.Transact(_ => Document.State.Set("dirty", AnyValue.False), StateOrigin);
                return "success";
            }
            var content = Document.ContentJson();
            var body = new byte[content.Length + 64];
            var head = Encoding.UTF8.GetBytes($"{{\"type\":\"{ContentsType}\",\"format\":\"{Format}\",\"content\":");
            head.CopyTo(body, 0);
            content.CopyTo(body, head.Length);
            body[head.Length + content.Length] = (byte)'}';
            // Read as a JsonTape, the form the contents manager writes from (a JsonDocument would be copied into one).
            using var model = Contents.Notebooks.JsonTape.Parse(body.AsMemory(0, head.Length + content.Length + 1), Contents.Notebooks.NotebookFormat.MaxDepth);
            _savingNow = true;
            try { _contents.Save(path, model.Root).Model.Dispose(); }
            finally { _savingNow = false; }
            using var after = _contents.Get(path, type: ContentsType, content: false, hash: true);
            _knownModified = after.LastModified;
            _base?.Dispose();
            _base = JsonDocument.Parse(content, Contents.Notebooks.NotebookFormat.DocumentOptions);
            _unsaved = false;
            _firstUnsavedAt = null;
            Doc.Transact(_ =>
            {
                Document.State.Set("dirty", AnyValue.False);
                if (after.Hash != null) Document.State.Set("hash", AnyValue.String(after.Hash));
            }, StateOrigin);
            Activity?.Invoke(this, "save", $"Room {Id} saved {path} ({why})");
            return "success";
        }
        catch (Exception e) when (e is ContentsException or IOException or UnauthorizedAccessException or JsonException)
        {
            Log.LogError("Room {Room}: saving {Path} failed: {Error}", Id, path, e.Message);
            return "failed";
        }
    }

    // ---- the file on disk ---------------------------------------------------------------------------------------

    /// <summary>Called by the room manager when the Contents API changed a file: this room's, or maybe its path.</summary>
    public void OnContentsChanged()
    {
        if (_savingNow) return;   // our own save
        _ = PollAsync();
    }

    /// <summary>Follows renames and deletions, and picks up changes made to the file by anyone but this room.</summary>
    private async Task PollAsync()
    {
        if (!_initialized || Deleted) return;
        await Gate.WaitAsync();
        try
        {
            if (Deleted || _savingNow) return;
            var path = CurrentPath();
            if (path == null) { MarkDeleted(); return; }
            if (path != ApiPath)
            {
                Log.LogInformation("Room {Room}: {Old} is now {New}", Id, ApiPath, path);
                ApiPath = path;
                Doc.Transact(_ => Document.State.Set("path", AnyValue.String(path)), StateOrigin);
                Activity?.Invoke(this, "rename", $"Room {Id} follows its file to {path}");
            }
            DateTime modified;
            using (var meta = _contents.Get(path, type: ContentsType, content: false)) modified = meta.LastModified;
            if (modified != _knownModified) await MergeExternalChangeAsync(path, modified);
        }
        catch (Exception e) when (e is ContentsException or IOException or RoomException)
        {
            Log.LogWarning("Room {Room}: checking its file failed: {Error}", Id, e.Message);
        }
        finally { Gate.Release(); }
    }

    private void MarkDeleted()
    {
        if (Deleted) return;
        Deleted = true;
        _pollTimer.Change(Timeout.Infinite, Timeout.Infinite);
        _saveTimer.Change(Timeout.Infinite, Timeout.Infinite);
        Log.LogWarning("Room {Room}: its file {Path} was deleted; the document is no longer saved", Id, ApiPath);
        Activity?.Invoke(this, "delete", $"The file {ApiPath} was deleted; room {Id} no longer saves");
        // The clients are told (JupyterLab shows "Document error: This file was deleted.") rather than left editing a
        // document that can no longer be saved.
        foreach (var c in Clients)
            c.Connection.Close(CloseCodes.SessionExpired, """{"reason":"initialization_error","reloadable":false,"errorReason":"This file was deleted."}""");
    }

    /// <summary>
    /// The file changed on disk (another program, a Contents API save, a git checkout). Without unsaved shared edits
    /// the document takes the file's content, granularly. With unsaved edits the two are merged against the last
    /// common version; where both changed the same cell or lines, the document keeps its edits and the file's version
    /// is kept next to it as <c>name.disk-&lt;time&gt;.ext</c>. Then the merge is saved.
    /// </summary>
    private Task MergeExternalChangeAsync(string path, DateTime modified)
    {
        var (disk, actualModified) = ReadFile(path);
        using var owned = disk;
        if (Document.ContentEquals(disk.RootElement))
        {
            _knownModified = actualModified;
            ReplaceBase(disk);
            return Task.CompletedTask;
        }
        if (!_unsaved || _base == null)
        {
            Document.Reload(disk.RootElement, LoadOrigin);
            Doc.Transact(_ => Document.State.Set("dirty", AnyValue.False), StateOrigin);
            _knownModified = actualModified;
            ReplaceBase(disk);
            Log.LogInformation("Room {Room}: {Path} changed on disk; the document now has its content", Id, path);
            Activity?.Invoke(this, "overwrite", $"{path} changed on disk; room {Id} took the new content");
            return Task.CompletedTask;
        }
        var conflicts = Document.Merge(_base.RootElement, disk.RootElement, LoadOrigin);
        string? copy = null;
        if (conflicts > 0) copy = KeepDiskCopy(path);
        _knownModified = actualModified;
        ReplaceBase(disk);
        _unsaved = true;
        ScheduleAutosave();
        Log.LogWarning("Room {Room}: {Path} changed on disk while it had unsaved edits; merged with {Conflicts} conflicts{Copy}",
            Id, path, conflicts, copy == null ? "" : $", the disk version is kept as {copy}");
        Activity?.Invoke(this, "merge", conflicts == 0
            ? $"{path} changed on disk and was merged with the unsaved edits"
            : $"{path} changed on disk; conflicting edits kept, the disk version saved as {copy}");
        return Task.CompletedTask;
    }

    private void ReplaceBase(JsonDocument content)
    {
        _base?.Dispose();
        _base = JsonDocument.Parse(RawCopy(content.RootElement), Contents.Notebooks.NotebookFormat.DocumentOptions);
    }

    private static byte[] RawCopy(JsonElement e) => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e).ToArray();

    private string? KeepDiskCopy(string path)
    {
        try
        {
            var os = _contents.Paths.ToOsPath(path);
            var dir = Path.GetDirectoryName(os)!;
            var name = Path.GetFileNameWithoutExtension(os) + ".disk-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            var target = Path.Combine(dir, name + Path.GetExtension(os));
            for (var i = 2; File.Exists(target); i++) target = Path.Combine(dir, $"{name}-{i}{Path.GetExtension(os)}");
            File.Copy(os, target);
            return _contents.Paths.ToApiPath(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ContentsException)
        {
            Log.LogError("Room {Room}: could not keep a copy of the disk version of {Path}: {Error}", Id, path, e.Message);
            return null;
        }
    }

    // ---- clients ----------------------------------------------------------------------------------------------

    /// <summary>
    /// A client's sync step 1 tells which histories it holds. If it holds items of a client this document has never
    /// seen, other than its own offline edits, it synced with a copy of the file that this server no longer has (the
    /// stored history was lost, or the file was rebuilt): merging it would duplicate the document, so the client is
    /// asked to reload instead (close 1003, the client offers "Reload"). The client's own id comes with its awareness,
    /// which y-websocket sends right after the step 1; the step 1 waits for it briefly.
    /// </summary>
    protected override void OnSyncStep1(Client client, byte[] stateVector)
    {
        var theirs = JupyterRtc.Crdt.StateVector.Decode(stateVector);
        var mine = Doc.GetStateVector();
        var unknown = theirs.Where(kv => kv.Value > 0 && !mine.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        if (client.OwnId is { } own) unknown.Remove(own);
        if (unknown.Count == 0)
        {
            client.HeldStep1 = null;
            base.OnSyncStep1(client, stateVector);
            Verify(client);
            return;
        }
        if (client.OwnId == null && unknown.Count == 1 && client.HeldStep1 == null)
        {
            client.HeldStep1 = stateVector;
            _ = Task.Delay(_options.OwnIdWait).ContinueWith(async _ =>
            {
                await Gate.WaitAsync();
                try { if (client.HeldStep1 != null && Clients.Contains(client)) Diverged(client); }
                finally { Gate.Release(); }
            }, TaskScheduler.Default);
            return;
        }
        Diverged(client);
    }

    protected override void OnClientAwareness(Client client, List<(ulong Client, int Clock, AnyValue State)> entries)
    {
        if (client.OwnId != null || entries.Count == 0 || entries[0].State.IsNull) return;
        client.OwnId = entries[0].Client;
        if (client.HeldStep1 is { } held) OnSyncStep1(client, held);
    }

    protected override bool VerifiesClients => true;

    public override Task JoinAsync(IRoomConnection connection) =>
        Deleted ? throw new RoomException(CloseCodes.NotFound, "This file was deleted.") : base.JoinAsync(connection);

    private void Diverged(Client client)
    {
        client.HeldStep1 = null;
        client.Waiting.Clear();
        Log.LogWarning("Room {Room}: {Client} holds a history this server does not have; asking it to reload", Id, client.Connection.Name);
        client.Connection.Close(CloseCodes.SessionExpired, """{"reason":"unknown_session","sessionId":"","reloadable":true}""");
    }

    public override async ValueTask DisposeAsync()
    {
        await _saveTimer.DisposeAsync();
        await _pollTimer.DisposeAsync();
        await Gate.WaitAsync();
        try
        {
            if (_unsaved && !Deleted) await SaveCoreAsync("room closed");
            // The history is squashed into one update: what matters later is the items' identities, not the steps.
            if (_initialized && !Deleted) await _store.CompactAsync(StoreKey, Doc.EncodeStateAsUpdate());
            if (Deleted) await _store.DeleteAsync(StoreKey);
            _base?.Dispose();
            _base = null;
        }
        finally { Gate.Release(); }
        await base.DisposeAsync();
    }
}
