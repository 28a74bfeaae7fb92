using System.Net.WebSockets;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Collaboration;

/// <summary>
/// A room client over a websocket. A frame is written by the caller when nothing else is being written to this client
/// and the write completes at once (the usual case: Kestrel buffers up to its response limit); otherwise it is queued
/// and a writer task sends the queue in order, so the room never waits for a slow network. A client whose queue
/// would exceed its limit is disconnected (it reconnects and resyncs).
/// </summary>
/// <remarks>
/// Writing inline matters under load: a room of 200 clients sends every change 199 times, and a queue with its own
/// sender task per client cost a thread-pool hand-off (and the wake-ups and spinning that go with it) per frame.
/// An idle client now holds no task and no queue.
/// </remarks>
public sealed class WebSocketRoomConnection : IRoomConnection
{
    private readonly WebSocket _socket;
    private readonly long _maxQueued;
    private readonly ILogger _log;
    private readonly object _sync = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // All guarded by _sync.
    private Queue<byte[]>? _pending;    // frames waiting while one is written; created when first needed
    private long _queued;               // bytes in _pending
    private bool _writing;              // someone owns the socket's send side (a websocket allows one send at a time)
    private bool _ended;                // no more frames accepted; the owner sends the close frame and finishes
    private int _closeCode;
    private string _closeReason = "";

    private readonly TimeSpan _stallTimeout;
    private long _writesDone;           // writes completed by the writer task, read by the stall watchdog

    private readonly Action? _abortConnection;

    /// <param name="abortConnection">cuts the underlying connection (a websocket's own abort does not end a pending write)</param>
    /// <param name="stallTimeout">once closing, how long the writer may make no progress before the socket is cut (5 s)</param>
    public WebSocketRoomConnection(WebSocket socket, string name, long maxQueuedBytes, ILogger log, Action? abortConnection = null,
        TimeSpan? stallTimeout = null)
    {
        _socket = socket;
        _abortConnection = abortConnection;
        Name = name;
        _maxQueued = maxQueuedBytes;
        _log = log;
        _stallTimeout = stallTimeout ?? TimeSpan.FromSeconds(5);
    }

    public string Name { get; }
    public bool ReadOnly => false;

    /// <summary>Completes when the connection has sent its close frame (or the peer is gone).</summary>
    public Task Finished => _finished.Task;

    public void Send(byte[] frame)
    {
        bool overflow;
        long queued;
        lock (_sync)
        {
            if (_ended) return;
            // Too slow means a backlog behind the write in flight: one frame is always queued, however large (a merged
            // update can be larger than a small limit while the client reads at full speed).
            queued = _queued;
            overflow = _writing && queued > 0 && queued + frame.Length > _maxQueued;
            if (!overflow)
            {
                if (_writing)
                {
                    (_pending ??= new Queue<byte[]>()).Enqueue(frame);
                    _queued += frame.Length;
                    return;
                }
                _writing = true;
            }
        }
        if (overflow)
        {
            _log.LogWarning("{Client} is too slow ({Bytes} bytes queued); disconnecting it", Name, queued);
            Close(CloseCodes.TryAgainLater, "client too slow", dropQueued: true);
            return;
        }
        ValueTask sending;
        try { sending = _socket.SendAsync(frame.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None); }
        catch (Exception e) when (IsPeerGone(e)) { Gone(); return; }
        if (sending.IsCompletedSuccessfully)
        {
            sending.GetAwaiter().GetResult();   // consumes the result (a pooled ValueTask source must be read once)
            sending = default;
            lock (_sync)
            {
                if (!_ended && (_pending == null || _pending.Count == 0)) { _writing = false; return; }
            }
        }
        _ = PumpAsync(sending);
    }

    public void Close(int code, string reason) => Close(code, reason, dropQueued: false);

    private void Close(int code, string reason, bool dropQueued)
    {
        lock (_sync)
        {
            if (_closeCode != 0) return;
            _closeCode = code;
            _closeReason = reason;
            _ended = true;
            if (dropQueued) { _pending?.Clear(); _queued = 0; }
            if (_writing)
            {
                // The owner sends the close frame when its queue is empty, unless its write never completes: a peer
                // that stopped reading without closing TCP would hold this connection (and its request) for good.
                _ = CutIfStalledAsync();
                return;
            }
            _writing = true;
        }
        _ = PumpAsync(default);
    }

    /// <summary>Aborts the socket when the writer completes no write for a whole stall timeout (see
    /// <see cref="StallWatchdog"/>). The aborted write fails, and the writer finishes as for a vanished peer.</summary>
    private Task CutIfStalledAsync() => StallWatchdog.WatchAsync(_finished.Task, () => Interlocked.Read(ref _writesDone), _stallTimeout, () =>
    {
        _log.LogWarning("{Client} has read nothing for {Seconds} s while being closed; cutting the connection", Name, _stallTimeout.TotalSeconds);
        try { _socket.Abort(); }
        catch (ObjectDisposedException) { }
        _abortConnection?.Invoke();
    });

    /// <summary>Closes (normally, unless closed already) and waits until the queue and the close frame are sent.</summary>
    public Task StopAsync()
    {
        Close(1000, "");
        return Finished;
    }

    /// <summary>Owns the send side until the queue is empty: the write in flight, then each queued frame, then the close frame if ended.</summary>
    private async Task PumpAsync(ValueTask inFlight)
    {
        try
        {
            await inFlight;
            Interlocked.Increment(ref _writesDone);
            while (true)
            {
                byte[] next;
                lock (_sync)
                {
                    if (_pending is { Count: > 0 })
                    {
                        next = _pending.Dequeue();
                        _queued -= next.Length;
                    }
                    else if (!_ended)
                    {
                        _writing = false;
                        return;
                    }
                    else break;
                }
                await _socket.SendAsync(next.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None);
                Interlocked.Increment(ref _writesDone);
            }
            await SendCloseAsync();
            _finished.TrySetResult();
        }
        catch (Exception e)
        {
            if (!IsPeerGone(e)) _log.LogWarning(e, "Sending to {Client} failed", Name);
            Gone();
        }
    }

    private async Task SendCloseAsync()
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _socket.CloseOutputAsync((WebSocketCloseStatus)_closeCode, _closeReason, timeout.Token);
        // A client that never answers the close frame is cut off.
        _ = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ =>
        {
            try { if (_socket.State != WebSocketState.Closed) _socket.Abort(); }
            catch (ObjectDisposedException) { }
        }, TaskScheduler.Default);
    }

    /// <summary>The peer went away (the receive loop notices too): nothing more is sent.</summary>
    private void Gone()
    {
        lock (_sync)
        {
            _ended = true;
            _writing = true;            // nobody writes again
            _pending?.Clear();
            _queued = 0;
        }
        _finished.TrySetResult();
    }

    private static bool IsPeerGone(Exception e) => e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException;
}
