using System.Diagnostics;
using JupyterRtc.Collaboration.Protocol;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Sync;
using JupyterRtc.Crdt.Updates;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Collaboration.Rooms;

/// <summary>
/// A room: one shared document, its awareness and its clients, speaking y-websocket's protocol (rtc-protocol §2).
/// Everything that touches the document or the client list runs under one gate, so a room is a sequential machine;
/// sending is a queue per connection, so a slow client never holds the gate. Every change to the document, whoever
/// made it, goes to every other client as one frame built once.
/// </summary>
public abstract class Room : IAsyncDisposable
{
    /// <summary>Awareness keep-alive: clients drop a socket silent for 30 s, so the server speaks every 15 s.</summary>
    public static readonly TimeSpan AwarenessRenewal = TimeSpan.FromSeconds(15);

    protected readonly SemaphoreSlim Gate = new(1, 1);
    protected readonly List<Client> Clients = [];
    protected readonly ILogger Log;
    private readonly Timer _awarenessTimer;
    private bool _disposed;

    protected Room(string id, Doc doc, ILogger log)
    {
        Id = id;
        Doc = doc;
        Log = log;
        Awareness = new Awareness(doc.ClientId);
        Doc.Update += OnDocUpdate;
        _awarenessTimer = new Timer(_ => _ = RenewAwarenessAsync(), null, AwarenessRenewal, AwarenessRenewal);
    }

    public string Id { get; }
    public Doc Doc { get; }
    public Awareness Awareness { get; }

    public int ClientCount { get { Gate.Wait(); try { return Clients.Count; } finally { Gate.Release(); } } }

    protected sealed class Client(IRoomConnection connection)
    {
        public IRoomConnection Connection { get; } = connection;
        /// <summary>Awareness client ids this connection has announced (removed when it leaves).</summary>
        public HashSet<ulong> AwarenessIds { get; } = [];
        /// <summary>A sync step 1 held back until the client's own id is known (see <see cref="DocumentRoom"/>).</summary>
        public byte[]? HeldStep1 { get; set; }
        /// <summary>The client's own Yjs client id, learnt from its first awareness state.</summary>
        public ulong? OwnId { get; set; }
        /// <summary>
        /// Whether the client's history was found compatible (its sync step 1 was answered). Until then its updates
        /// wait in <see cref="Waiting"/>: a client that must reload must not merge anything first.
        /// </summary>
        public bool Verified { get; set; } = true;
        public List<byte[]> Waiting { get; } = [];
        public long WaitingBytes { get; set; }
    }

    /// <summary>Adds a client and greets it: the server's sync step 1 and the awareness of everyone present.</summary>
    public virtual async Task JoinAsync(IRoomConnection connection)
    {
        await Gate.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Clients.Add(new Client(connection) { Verified = !VerifiesClients });
            connection.Send(RoomMessages.SyncStep1(Doc));
            var present = Awareness.States.Keys.ToList();
            if (present.Count > 0) connection.Send(RoomMessages.Awareness(Awareness.EncodeUpdate(present)));
        }
        finally { Gate.Release(); }
        Log.LogDebug("{Client} joined room {Room}", connection.Name, Id);
    }

    /// <summary>
    /// Runs a change the server makes itself (outputs of a cell it runs, say) under the room's gate, where every change
    /// to the document happens; it reaches the clients like theirs. False when the room is closed already.
    /// </summary>
    public async Task<bool> EditAsync(Action edit)
    {
        await Gate.WaitAsync();
        try
        {
            if (_disposed) return false;
            edit();
            return true;
        }
        finally { Gate.Release(); }
    }

    /// <summary>Handles one frame from a client. Malformed frames close that client only; the room carries on.</summary>
    public async Task ReceiveAsync(IRoomConnection connection, byte[] frame)
    {
        await Gate.WaitAsync();
        try
        {
            var client = Clients.Find(c => c.Connection == connection);
            if (client == null) return;
            try
            {
                await HandleAsync(client, frame);
            }
            catch (CrdtFormatException e)
            {
                Log.LogWarning("Closing {Client} in room {Room}: malformed message ({Error})", connection.Name, Id, e.Message);
                connection.Close(1007, "malformed message");
            }
        }
        finally { Gate.Release(); }
    }

    private async Task HandleAsync(Client client, byte[] frame)
    {
        var reader = new Lib0Reader(frame);
        var type = reader.ReadVarUint();
        switch ((RoomMessageType)type)
        {
            case RoomMessageType.Sync:
            {
                var message = SyncProtocol.Read(reader);
                if (message.Type == SyncMessageType.SyncStep1) { OnSyncStep1(client, message.Payload); return; }
                if (client.Connection.ReadOnly) return;     // read-only clients still get answers, never write
                if (message.Payload.Length == 2 && message.Payload[0] == 0 && message.Payload[1] == 0) return;   // the empty update
                if (!client.Verified)
                {
                    // Held until the client's history is checked, but decoded now: a malformed update is refused at
                    // once, and a client cannot park unbounded data here.
                    UpdateTools.EncodeStateVectorFromUpdate(message.Payload);
                    client.WaitingBytes += message.Payload.Length;
                    if (client.WaitingBytes > MaxWaitingBytes)
                    {
                        client.Connection.Close(1008, "updates before sync step 1");
                        return;
                    }
                    client.Waiting.Add(message.Payload);
                    return;
                }
                Doc.ApplyUpdate(message.Payload, client.Connection);
                return;
            }
            case RoomMessageType.Awareness:
                OnAwareness(client, reader.ReadVarUint8Array(), frame);
                return;
            case RoomMessageType.Raw:
            {
                var text = reader.ReadVarString();
                if (text == "save" && reader.HasContent)
                {
                    var id = reader.ReadVarUint();
                    var status = await OnSaveRequestAsync(client.Connection);
                    client.Connection.Send(RoomMessages.RawJson($$"""{"type":"save","responseTo":{{id}},"status":"{{status}}"}"""));
                }
                return;
            }
            case RoomMessageType.QueryAwareness:
            {
                var all = Awareness.States.Keys.ToList();
                if (all.Count > 0) client.Connection.Send(RoomMessages.Awareness(Awareness.EncodeUpdate(all)));
                return;
            }
            default:
                // Legacy JupyterLab 3 lock messages (124-127) and the removed chat (125) are ignored.
                Log.LogDebug("Ignoring message type {Type} from {Client} in room {Room}", type, client.Connection.Name, Id);
                return;
        }
    }

    /// <summary>How much a client may send before its sync step 1 was answered (y-websocket sends nothing before it).</summary>
    protected virtual long MaxWaitingBytes => 64L * 1024 * 1024;

    /// <summary>Rooms that check a client's history before accepting its updates (file-backed rooms).</summary>
    protected virtual bool VerifiesClients => false;

    /// <summary>Accepts a client's history: its waiting updates are applied.</summary>
    protected void Verify(Client client)
    {
        if (client.Verified) return;
        client.Verified = true;
        foreach (var update in client.Waiting) Doc.ApplyUpdate(update, client.Connection);
        client.Waiting.Clear();
    }

    /// <summary>Answers a client's sync step 1 with what it lacks (always, even nothing: that reply makes it "synced").</summary>
    protected virtual void OnSyncStep1(Client client, byte[] stateVector) =>
        client.Connection.Send(RoomMessages.SyncStep2(Doc, stateVector));

    /// <summary>The save request of jupyter-collaboration's RAW message; rooms without a file have nothing to save.</summary>
    protected virtual Task<string> OnSaveRequestAsync(IRoomConnection connection) => Task.FromResult("skipped");

    private void OnAwareness(Client client, byte[] update, byte[] frame)
    {
        var entries = Awareness.DecodeUpdate(update);
        Awareness.ApplyUpdate(update, client.Connection);
        foreach (var (id, _, state) in entries)
        {
            if (state.IsNull) client.AwarenessIds.Remove(id); else client.AwarenessIds.Add(id);
        }
        OnClientAwareness(client, entries);
        // Relayed as received to everyone, the sender included (that echo is what keeps an idle socket alive), except
        // a client's own goodbye (a single null state), which it does not need back.
        var goodbye = entries.Count == 1 && entries[0].State.IsNull;
        foreach (var c in Clients)
            if (!(goodbye && c == client)) c.Connection.Send(frame);
    }

    /// <summary>Hook for rooms that read awareness fields (autosave) or learn a client's id from it.</summary>
    protected virtual void OnClientAwareness(Client client, List<(ulong Client, int Clock, AnyValue State)> entries) { }

    /// <summary>Removes a client; its awareness states are removed for everyone else.</summary>
    public virtual async Task LeaveAsync(IRoomConnection connection)
    {
        await Gate.WaitAsync();
        try
        {
            var client = Clients.Find(c => c.Connection == connection);
            if (client == null) return;
            Clients.Remove(client);
            var gone = client.AwarenessIds.Where(id => Awareness.States.ContainsKey(id)).ToList();
            if (gone.Count > 0)
            {
                Awareness.RemoveStates(gone, connection);
                var frame = RoomMessages.Awareness(Awareness.EncodeUpdate(gone));
                foreach (var c in Clients) c.Connection.Send(frame);
            }
        }
        finally { Gate.Release(); }
        Log.LogDebug("{Client} left room {Room}", connection.Name, Id);
    }

    /// <summary>
    /// Changes are not sent one by one: a change is sent on the next turn of the thread pool, together with every change
    /// that arrived meanwhile, merged into one update (Hocuspocus batches the same way with Node's setImmediate). A room
    /// also waits at least this long per client between two broadcasts (a setting,
    /// <c>YDocExtension.broadcast_interval</c>, 20 µs: 4 ms for 200 clients, 0.1 ms for 5), because each broadcast
    /// costs one write per client: a small room sends every change at once, a crowded one merges more.
    /// Measured A/B (bench rooms, 20 s): with no interval, 50 clients got p50 1.0 ms (a 2 ms window: 3.8-4.1 ms), but 200
    /// clients got ~400 frames/s each and the server 13.5 s of CPU (the 2 ms window: ~145 frames/s, 9.2 s).
    /// </summary>
    public TimeSpan BroadcastIntervalPerClient { get; set; } = CollaborationOptions.DefaultBroadcastIntervalPerClient;

    private readonly List<byte[]> _held = [];
    private object? _heldOrigin;            // who made the batch, when it is a single change (it is not sent back)
    private bool _flushScheduled;
    private long _lastBroadcast;            // Stopwatch timestamp of the last broadcast

    private void OnDocUpdate(byte[] update, object? origin, Transaction transaction)
    {
        if (Clients.Count > 0)
        {
            _held.Add(update);
            _heldOrigin = _held.Count == 1 ? origin : null;
            if (!_flushScheduled)
            {
                _flushScheduled = true;
                var wait = BroadcastIntervalPerClient * Clients.Count - Stopwatch.GetElapsedTime(_lastBroadcast);
                if (wait < TimeSpan.FromMilliseconds(0.5))
                    ThreadPool.UnsafeQueueUserWorkItem(static room => _ = room.FlushHeldAsync(), this, preferLocal: false);
                else
                    _ = FlushHeldAfterAsync(wait);
            }
        }
        OnChanged(update, origin);
    }

    private async Task FlushHeldAfterAsync(TimeSpan wait)
    {
        await Task.Delay(wait);
        await FlushHeldAsync();
    }

    private async Task FlushHeldAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _flushScheduled = false;
            if (_held.Count == 0 || _disposed) { _held.Clear(); return; }
            // One merged update for everyone (the senders of its parts get their own edits back, which Yjs ignores).
            var merged = _held.Count == 1 ? _held[0] : UpdateTools.MergeUpdates(_held);
            var origin = _heldOrigin;
            _held.Clear();
            _heldOrigin = null;
            var frame = RoomMessages.Update(merged);
            _lastBroadcast = Stopwatch.GetTimestamp();
            foreach (var c in Clients)
                if (!ReferenceEquals(c.Connection, origin)) c.Connection.Send(frame);
        }
        catch (Exception e)
        {
            // Nobody awaits a flush: a failure is logged here (a merge of updates the room itself applied should not fail).
            Log.LogError(e, "Room {Room}: broadcasting changes failed", Id);
        }
        finally { Gate.Release(); }
    }

    /// <summary>Called (under the gate) for every change of the document, once it is in the batch for the clients.</summary>
    protected virtual void OnChanged(byte[] update, object? origin) { }

    private async Task RenewAwarenessAsync()
    {
        if (_disposed) return;
        await Gate.WaitAsync();
        try
        {
            if (_disposed) return;
            // Remote states silent for 30 s are dropped; the server's own {} state is renewed, which also gives idle
            // clients traffic.
            var before = Awareness.States.Keys.ToHashSet();
            Awareness.CheckTimeouts();
            var dropped = before.Where(id => !Awareness.States.ContainsKey(id)).ToList();
            Awareness.SetLocalState(Awareness.LocalState ?? AnyValue.Object(new JsObject()));
            var ids = new List<ulong>(dropped) { Awareness.ClientId };
            var frame = RoomMessages.Awareness(Awareness.EncodeUpdate(ids));
            foreach (var c in Clients) c.Connection.Send(frame);
        }
        catch (Exception e)
        {
            Log.LogWarning(e, "Awareness renewal failed in room {Room}", Id);
        }
        finally { Gate.Release(); }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_disposed) return;
            _disposed = true;
            await _awarenessTimer.DisposeAsync();
            Doc.Update -= OnDocUpdate;
        }
        finally { Gate.Release(); }
        GC.SuppressFinalize(this);
    }
}

/// <summary>An awareness-only room such as <c>JupyterLab:globalAwareness</c>, or a named room of any Yjs application.</summary>
public sealed class TransientRoom(string id, ILogger log) : Room(id, new Doc(), log);
