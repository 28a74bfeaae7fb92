using JupyterRtc.Collaboration.Storage;
using JupyterRtc.Contents;
using JupyterRtc.Contents.FileIds;
using JupyterRtc.Crdt;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Collaboration.Rooms;

/// <summary>A room kept open by the server itself (see <see cref="RoomManager.HoldAsync"/>); disposing releases it.</summary>
public sealed class RoomHold(DocumentRoom room, Func<Task> release) : IAsyncDisposable
{
    private int _released;
    public DocumentRoom Room { get; } = room;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) await release();
    }
}

/// <summary>
/// The rooms of the server, by room id. A file has one document whatever views are open on it: a second room on the
/// same file id with another format or type is refused. A room outlives its last client by
/// <see cref="CollaborationOptions.CleanupDelay"/>, then it is saved, its history squashed and it is freed.
/// </summary>
public sealed class RoomManager : IAsyncDisposable
{
    public const string GlobalAwarenessRoom = "JupyterLab:globalAwareness";

    private readonly ContentsManager _contents;
    private readonly FileIdStore _ids;
    private readonly IUpdateStore _store;
    private readonly CollaborationOptions _options;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _rooms = new(StringComparer.Ordinal);
    /// <summary>Rooms being freed: a new room for the same id waits for the old one's last save and squash.</summary>
    private readonly Dictionary<string, Task> _closing = new(StringComparer.Ordinal);
    private bool _disposed;

    private sealed class Entry(Room room)
    {
        public Room Room { get; } = room;
        public Task? Initialization { get; set; }
        public int Connections { get; set; }
        public CancellationTokenSource? Cleanup { get; set; }
    }

    public RoomManager(ContentsManager contents, FileIdStore ids, IUpdateStore store, CollaborationOptions options, ILoggerFactory logs)
    {
        _contents = contents;
        _ids = ids;
        _store = store;
        _options = options;
        _logs = logs;
        _log = logs.CreateLogger("Collaboration");
        contents.Changed += (_, _, _) =>
        {
            // A Contents API save, rename or delete may concern an open file; each room checks its own.
            foreach (var room in DocumentRooms) room.OnContentsChanged();
        };
    }

    public CollaborationOptions Options => _options;

    /// <summary>Raised for room activity worth an event (save, merge, overwrite, delete, rename, initialize).</summary>
    public event Action<DocumentRoom, string, string>? Activity;

    public IReadOnlyList<DocumentRoom> DocumentRooms
    {
        get { lock (_lock) return _rooms.Values.Select(e => e.Room).OfType<DocumentRoom>().ToList(); }
    }

    public DocumentRoom? FindDocument(string roomId)
    {
        lock (_lock) return _rooms.TryGetValue(roomId, out var e) ? e.Room as DocumentRoom : null;
    }

    /// <summary>Opens (or reuses) a room and adds the connection once the document is loaded. Throws <see cref="RoomException"/>.</summary>
    public async Task<Room> JoinAsync(string roomId, IRoomConnection connection)
    {
        var entry = await AcquireAsync(roomId);
        try
        {
            await entry.Room.JoinAsync(connection);
            return entry.Room;
        }
        catch (Exception e)
        {
            await ReleaseAsync(roomId, entry, failed: true);
            if (e is RoomException) throw;
            _log.LogError(e, "Room {Room} could not be opened", roomId);
            throw new RoomException(CloseCodes.ServerError, "Error initializing the room.");
        }
    }

    /// <summary>
    /// Keeps a file's room open without any client, for as long as the server works on it (running one of its cells):
    /// the room is opened and loaded if it was not, and the cleanup that follows its last client waits for the hold's
    /// release. Throws <see cref="RoomException"/>.
    /// </summary>
    public async Task<RoomHold> HoldAsync(string roomId)
    {
        var entry = await AcquireAsync(roomId);
        if (entry.Room is DocumentRoom room) return new RoomHold(room, () => ReleaseAsync(roomId, entry, failed: false));
        await ReleaseAsync(roomId, entry, failed: false);
        throw new RoomException(CloseCodes.BadRequest, $"{roomId} is not a document room.");
    }

    /// <summary>The room id of a file's document (<c>format:type:fileId</c>), giving the file an id if it had none.</summary>
    public string DocumentRoomId(string apiPath, string format, string type) =>
        $"{format}:{type}:{_ids.Index(_contents.Paths.ToOsPath(apiPath)).Id}";

    /// <summary>Counts one more user of the room (creating it if needed) and waits until it is loaded.</summary>
    private async Task<Entry> AcquireAsync(string roomId)
    {
        Entry entry;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_rooms.TryGetValue(roomId, out entry!))
            {
                var created = CreateRoom(roomId);
                created.BroadcastIntervalPerClient = _options.BroadcastIntervalPerClient;
                entry = new Entry(created);
                _rooms[roomId] = entry;
                var room = entry.Room;
                Task Initialize() => room switch
                {
                    DocumentRoom d => d.InitializeAsync(),
                    PersistentRoom p => p.InitializeAsync(),
                    _ => Task.CompletedTask,
                };
                entry.Initialization = _closing.TryGetValue(roomId, out var previous)
                    ? previous.ContinueWith(_ => Initialize(), TaskScheduler.Default).Unwrap()
                    : Initialize();
            }
            entry.Cleanup?.Cancel();
            entry.Cleanup = null;
            entry.Connections++;
        }
        try
        {
            await entry.Initialization!;
            return entry;
        }
        catch (Exception e)
        {
            await ReleaseAsync(roomId, entry, failed: true);
            if (e is RoomException) throw;
            _log.LogError(e, "Room {Room} could not be opened", roomId);
            throw new RoomException(CloseCodes.ServerError, "Error initializing the room.");
        }
    }

    private Room CreateRoom(string roomId)
    {
        var parts = roomId.Split(':', 3);
        if (parts.Length < 3)
        {
            if (roomId.Length is 0 or > 512 || roomId.Any(char.IsControl)) throw new RoomException(CloseCodes.BadRequest, "Invalid room name.");
            var log = _logs.CreateLogger("Collaboration.Room");
            return roomId == GlobalAwarenessRoom ? new TransientRoom(roomId, log) : new PersistentRoom(roomId, _store, log);
        }
        var (format, type, fileId) = (parts[0], parts[1], parts[2]);
        if (format is not ("json" or "text" or "base64") || type.Length == 0 || !Guid.TryParse(fileId, out _))
            throw new RoomException(CloseCodes.BadRequest, "Invalid room id: expected <json|text|base64>:<type>:<file id>.");
        if ((format, type) is not (("json", "notebook") or ("text", "file") or ("base64", "file")))
            throw new RoomException(CloseCodes.BadRequest, $"Unsupported document {format}:{type}.");
        if (_ids.GetPath(fileId) == null) throw new RoomException(CloseCodes.NotFound, "No file has this id.");
        // One file, one document: another view of an open file must not become a second copy that overwrites it.
        var other = _rooms.Values.Select(e => e.Room).OfType<DocumentRoom>().FirstOrDefault(r => r.FileId == fileId);
        if (other != null) throw new RoomException(CloseCodes.BadRequest, $"This file is open as {other.Format}:{other.Type} already.");
        var room = new DocumentRoom(roomId, format, type, fileId, _contents, _ids, _store, _options, _logs.CreateLogger("Collaboration.Room"));
        room.Activity += (r, action, message) => Activity?.Invoke(r, action, message);
        return room;
    }

    /// <summary>Removes a connection; the last one starts the room's cleanup delay.</summary>
    public async Task LeaveAsync(Room room, IRoomConnection connection)
    {
        await room.LeaveAsync(connection);
        Entry? entry;
        lock (_lock)
        {
            if (!_rooms.TryGetValue(room.Id, out entry) || entry.Room != room) return;
        }
        await ReleaseAsync(room.Id, entry, failed: false);
    }

    private async Task ReleaseAsync(string roomId, Entry entry, bool failed)
    {
        CancellationTokenSource? cleanup = null;
        lock (_lock)
        {
            entry.Connections--;
            if (entry.Connections > 0) return;
            if (failed && entry.Initialization is { IsCompletedSuccessfully: false })
            {
                _rooms.Remove(roomId);
            }
            else
            {
                cleanup = new CancellationTokenSource();
                entry.Cleanup = cleanup;
            }
        }
        if (cleanup == null) { await entry.Room.DisposeAsync(); return; }
        _ = CleanUpLaterAsync(roomId, entry, cleanup);
    }

    private async Task CleanUpLaterAsync(string roomId, Entry entry, CancellationTokenSource cleanup)
    {
        try { await Task.Delay(_options.CleanupDelay, cleanup.Token); }
        catch (TaskCanceledException) { return; }
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (entry.Cleanup != cleanup || entry.Connections > 0) return;
            _rooms.Remove(roomId);
            _closing[roomId] = closed.Task;
        }
        _log.LogInformation("Room {Room} freed after its last client left", roomId);
        try { await entry.Room.DisposeAsync(); }
        catch (Exception e) { _log.LogError(e, "Closing room {Room} failed", roomId); }
        finally
        {
            lock (_lock) { if (_closing.GetValueOrDefault(roomId) == closed.Task) _closing.Remove(roomId); }
            closed.TrySetResult();
        }
    }

    /// <summary>Saves every open document now (shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        List<Room> rooms;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            rooms = _rooms.Values.Select(e => e.Room).ToList();
            _rooms.Clear();
        }
        foreach (var room in rooms)
        {
            try { await room.DisposeAsync(); }
            catch (Exception e) { _log.LogError(e, "Closing room {Room} failed", room.Id); }
        }
        await _store.FlushAsync();
    }
}

/// <summary>A named room of any Yjs application, kept in the update store so its document survives restarts.</summary>
public sealed class PersistentRoom : Room
{
    private readonly IUpdateStore _store;
    private bool _loading;

    public PersistentRoom(string id, IUpdateStore store, ILogger log) : base(id, new Doc(), log) => _store = store;

    private string StoreKey => "room:" + Id;

    public async Task InitializeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _loading = true;
            foreach (var update in await _store.LoadAsync(StoreKey))
            {
                try { Doc.ApplyUpdate(update); }
                catch (CrdtFormatException e) { Log.LogWarning("Room {Room}: skipping a bad stored update ({Error})", Id, e.Message); }
            }
        }
        finally { _loading = false; Gate.Release(); }
    }

    protected override void OnChanged(byte[] update, object? origin)
    {
        if (!_loading) _store.Append(StoreKey, update);
    }

    public override async ValueTask DisposeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (Doc.GetStateVector().Count > 0) await _store.CompactAsync(StoreKey, Doc.EncodeStateAsUpdate());
        }
        finally { Gate.Release(); }
        await base.DisposeAsync();
    }
}
