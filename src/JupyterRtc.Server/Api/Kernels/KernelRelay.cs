using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using JupyterRtc.Kernels;
using JupyterRtc.Kernels.Wire;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Kernels;

/// <summary>Settings of the kernel websocket.</summary>
public sealed class KernelRelayOptions
{
    /// <summary>JupyterRtc.kernel_ws_max_message_size: bigger client messages close that connection (1009).</summary>
    public long MaxMessageSize { get; set; } = 64L * 1024 * 1024;
    /// <summary>MappingKernelManager.buffer_offline_messages.</summary>
    public bool BufferOfflineMessages { get; set; } = true;
    /// <summary>JupyterRtc.kernel_ws_buffer_limit: messages kept per disconnected session before the buffer is discarded.</summary>
    public int BufferLimit { get; set; } = 100_000;
    /// <summary>JupyterRtc.kernel_ws_send_queue_limit: bytes waiting for one slow client before its connection is closed.</summary>
    public long SendQueueLimit { get; set; } = 256L * 1024 * 1024;
    /// <summary>ServerApp.kernel_ws_protocol: empty string turns the v1 protocol off.</summary>
    public bool AllowV1 { get; set; } = true;
}

/// <summary>
/// The websocket side of every kernel: one <see cref="KernelHub"/> per kernel, made when the first client connects.
/// </summary>
public sealed class KernelRelay
{
    private readonly Dictionary<string, KernelHub> _hubs = [];
    private readonly ILogger _log;

    public KernelRelayOptions Options { get; }

    public KernelRelay(IKernelManager kernels, KernelRelayOptions options, ILoggerFactory logs)
    {
        Options = options;
        _log = logs.CreateLogger("ZMQChannelsWebsocketConnection");
        kernels.KernelRemoved += k =>
        {
            KernelHub? hub;
            lock (_hubs) { if (_hubs.Remove(k.Id, out hub)) { } }
            hub?.Close();
        };
    }

    public int ConnectionCount { get { lock (_hubs) return _hubs.Values.Sum(h => h.ConnectionCount); } }

    /// <summary>Server shutdown: every kernel websocket gets a 1001 close, so that no handler holds the host's stop.</summary>
    public void CloseAll()
    {
        List<KernelHub> hubs;
        lock (_hubs) hubs = _hubs.Values.ToList();
        foreach (var h in hubs) h.CloseConnections(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
    }

    public KernelHub HubFor(Kernel kernel)
    {
        lock (_hubs)
        {
            if (!_hubs.TryGetValue(kernel.Id, out var hub)) _hubs[kernel.Id] = hub = new KernelHub(kernel, Options, _log);
            return hub;
        }
    }
}

/// <summary>
/// The connections of one kernel. IOPub goes to every connection; shell, control and stdin replies go to the
/// connection whose session sent the request (routed by <c>parent_header.session</c>). When a connection with a
/// <c>session_id</c> closes, what would have gone to it is kept and replayed when that session_id reconnects.
/// </summary>
public sealed class KernelHub
{
    private readonly Kernel _kernel;
    private readonly KernelRelayOptions _options;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private KernelWsConnection[] _connections = [];
    /// <summary>Message sessions (header.session of what a client sent, and its session_id) to the live connection.</summary>
    private readonly Dictionary<string, KernelWsConnection> _routes = [];
    /// <summary>Disconnected session_ids and what they missed, by session key (session_id and the header sessions it used).</summary>
    private readonly Dictionary<string, OfflineBuffer> _offline = [];
    private readonly List<OfflineBuffer> _offlineList = [];
    private bool _closed;

    public KernelHub(Kernel kernel, KernelRelayOptions options, ILogger log)
    {
        _kernel = kernel;
        _options = options;
        _log = log;
        kernel.MessageReceived += OnKernelMessage;
        kernel.Lifecycle += OnLifecycle;
    }

    public int ConnectionCount => Volatile.Read(ref _connections).Length;

    /// <summary>Disconnected sessions kept per kernel, and for how long (page reloads leave one each).</summary>
    private const int MaxOfflineSessions = 16;
    private static readonly TimeSpan OfflineLifetime = TimeSpan.FromMinutes(10);

    private sealed class OfflineBuffer(string sessionId)
    {
        public string SessionId { get; } = sessionId;
        public DateTime Since { get; } = DateTime.UtcNow;
        public HashSet<string> Keys { get; } = [];
        public List<KernelMessage> Messages { get; } = [];
    }

    /// <summary>Registers a connection; returns what it missed while offline (to send first), if anything.</summary>
    public List<KernelMessage>? Add(KernelWsConnection c)
    {
        KernelWsConnection? stale = null;
        List<KernelMessage>? replay = null;
        lock (_gate)
        {
            if (_closed) throw new InvalidOperationException("kernel is gone");
            if (c.SessionId != null)
            {
                stale = _connections.FirstOrDefault(x => x.SessionId == c.SessionId);
                if (_offline.TryGetValue(c.SessionId, out var buffer))
                {
                    foreach (var k in buffer.Keys) _offline.Remove(k);
                    _offlineList.Remove(buffer);
                    replay = buffer.Messages;
                    foreach (var k in buffer.Keys) c.Sessions.Add(k);
                    _log.LogInformation("Replaying {Count} buffered messages for kernel {Kernel} session {Session}", replay.Count, _kernel.Id, c.SessionId);
                }
                c.Sessions.Add(c.SessionId);
            }
            foreach (var s in c.Sessions) _routes[s] = c;
            _connections = [.. _connections.Where(x => x != stale), c];
            PurgeOffline();
        }
        _kernel.AddConnection();
        if (stale != null)
        {
            _log.LogWarning("Replacing stale connection of kernel {Kernel} session {Session}", _kernel.Id, c.SessionId);
            Remove(stale, buffer: false);
            stale.Close(WebSocketCloseStatus.PolicyViolation, "replaced by a newer connection of the same session");
        }
        return replay;
    }

    /// <summary>Unregisters a connection; with a session_id, starts buffering for it.</summary>
    public void Remove(KernelWsConnection c, bool buffer = true)
    {
        lock (_gate)
        {
            if (!_connections.Contains(c)) return;
            _connections = _connections.Where(x => x != c).ToArray();
            foreach (var s in c.Sessions) if (_routes.GetValueOrDefault(s) == c) _routes.Remove(s);
            if (buffer && !_closed && _options.BufferOfflineMessages && c.SessionId != null)
            {
                var b = new OfflineBuffer(c.SessionId);
                foreach (var s in c.Sessions) { b.Keys.Add(s); _offline[s] = b; }
                _offlineList.Add(b);
                PurgeOffline();
            }
        }
        _kernel.RemoveConnection();
    }

    /// <summary>A client connection used a message session: replies for it come back here.</summary>
    public void Route(string session, KernelWsConnection c)
    {
        lock (_gate) { if (_connections.Contains(c)) _routes[session] = c; }
    }

    /// <summary>On the kernel's socket thread.</summary>
    private void OnKernelMessage(KernelMessage m)
    {
        if (m.Channel == KernelChannel.IOPub)
        {
            var connections = Volatile.Read(ref _connections);
            WsFrame? v1 = null, legacy = null;
            foreach (var c in connections)
            {
                if (c.Protocol == KernelWsProtocol.V1) c.Enqueue(v1 ??= WebSocketCodec.Encode(m, KernelWsProtocol.V1));
                else c.Enqueue(legacy ??= WebSocketCodec.Encode(m, KernelWsProtocol.Legacy));
            }
            if (_offlineList.Count > 0) lock (_gate) foreach (var b in _offlineList) Buffer(b, m);
            return;
        }
        KernelWsConnection? target = null;
        OfflineBuffer? offline = null;
        if (m.ParentSession != null)
            lock (_gate)
                if (!_routes.TryGetValue(m.ParentSession, out target)) _offline.TryGetValue(m.ParentSession, out offline);
        if (target != null) target.Enqueue(WebSocketCodec.Encode(m, target.Protocol));
        else if (offline != null) lock (_gate) Buffer(offline, m);
        else _log.LogDebug("No connection for {Message} of kernel {Kernel} (session {Session}): dropped", m, _kernel.Id, m.ParentSession);
    }

    /// <summary>Under the lock: drops buffers of sessions gone too long, and the oldest beyond the count limit.</summary>
    private void PurgeOffline()
    {
        var now = DateTime.UtcNow;
        foreach (var b in _offlineList.Where((b, i) => now - b.Since > OfflineLifetime || i < _offlineList.Count - MaxOfflineSessions).ToList())
        {
            _log.LogInformation("Discarding {Count} buffered messages for kernel {Kernel} session {Session}", b.Messages.Count, _kernel.Id, b.SessionId);
            foreach (var k in b.Keys) _offline.Remove(k);
            _offlineList.Remove(b);
        }
    }

    private void Buffer(OfflineBuffer b, KernelMessage m)
    {
        if (b.Messages.Count < _options.BufferLimit) { b.Messages.Add(m); return; }
        _log.LogWarning("Discarding {Count} buffered messages for kernel {Kernel} session {Session}: more than {Limit} (JupyterRtc.kernel_ws_buffer_limit)",
            b.Messages.Count, _kernel.Id, b.SessionId, _options.BufferLimit);
        foreach (var k in b.Keys) _offline.Remove(k);
        _offlineList.Remove(b);
    }

    private void OnLifecycle(Kernel kernel, KernelLifecycle what)
    {
        switch (what)
        {
            case KernelLifecycle.AutoRestarting:
                _log.LogWarning("Kernel {Kernel} died, restarting: telling {Count} connections", kernel.Id, ConnectionCount);
                SendStatus("restarting");
                break;
            case KernelLifecycle.Dead:
                SendDead();
                break;
        }
    }

    /// <summary>A server-made iopub status message to every connection.</summary>
    public void SendStatus(string state)
    {
        var content = KernelMessage.Json(w => { w.WriteStartObject(); w.WriteString("execution_state", state); w.WriteEndObject(); });
        var m = KernelMessage.Create(KernelChannel.IOPub, "status", _kernel.Client.Session, content);
        OnKernelMessage(m);
    }

    private int _deadSent;

    /// <summary>Once per kernel, whichever comes first: the death event or the removal of the dead kernel.</summary>
    private void SendDead()
    {
        if (Interlocked.Exchange(ref _deadSent, 1) == 0) SendStatus("dead");
    }

    /// <summary>The kernel is gone: close every connection, drop buffers.</summary>
    public void Close()
    {
        // A kernel removed because it died tells its clients before their sockets close.
        if (_kernel.Reason != null && !_closed) SendDead();
        KernelWsConnection[] connections;
        lock (_gate)
        {
            _closed = true;
            connections = _connections;
            _offline.Clear();
            _offlineList.Clear();
        }
        _kernel.MessageReceived -= OnKernelMessage;
        _kernel.Lifecycle -= OnLifecycle;
        foreach (var c in connections) c.Close(WebSocketCloseStatus.NormalClosure, "kernel shut down");
    }

    public void CloseConnections(WebSocketCloseStatus status, string reason)
    {
        foreach (var c in Volatile.Read(ref _connections)) c.Close(status, reason);
    }
}

/// <summary>
/// One websocket on a kernel: a send loop draining a queue, a receive loop forwarding to the kernel. It joins its
/// kernel's hub before the handshake completes (messages queue meanwhile) and gets its socket with <see cref="Attach"/>.
/// </summary>
public sealed class KernelWsConnection(KernelWsProtocol protocol, string? sessionId, string kernelId, ILogger log, long queueLimit = long.MaxValue)
{
    private WebSocket _socket = null!;
    private long _queued;
    private readonly Channel<WsFrame> _queue = Channel.CreateUnbounded<WsFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private (WebSocketCloseStatus Status, string Reason)? _closeRequest;
    private readonly CancellationTokenSource _stalled = new();     // cuts a send that makes no progress while closing
    private readonly TaskCompletionSource _sendEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sent;                 // completed sends, read by the stall watchdog
    private int _watching;

    /// <summary>Once closing, how long the send loop may complete no send before the connection is cut.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(5);

    public KernelWsProtocol Protocol { get; } = protocol;

    /// <summary>The accepted websocket; before <see cref="SendLoopAsync"/> and <see cref="ReceiveLoopAsync"/>.</summary>
    public void Attach(WebSocket socket) => _socket = socket;
    public string? SessionId { get; } = sessionId;
    /// <summary>Message sessions this connection has used (guarded by the hub's lock).</summary>
    public HashSet<string> Sessions { get; } = [];

    public void Enqueue(WsFrame frame)
    {
        if (Interlocked.Add(ref _queued, frame.Data.Length) > queueLimit)
        {
            if (_closeRequest == null)
                log.LogWarning("Closing websocket of kernel {Kernel} (session {Session}): more than {Limit} bytes waiting for a slow client (JupyterRtc.kernel_ws_send_queue_limit)",
                    kernelId, SessionId, queueLimit);
            Close(WebSocketCloseStatus.PolicyViolation, "client too slow");
            return;
        }
        _queue.Writer.TryWrite(frame);
    }

    public void Close(WebSocketCloseStatus status, string reason)
    {
        _closeRequest ??= (status, reason);
        _queue.Writer.TryComplete();
        if (Interlocked.Exchange(ref _watching, 1) == 0) _ = CutIfStalledAsync();
    }

    /// <summary>Cancels the send when no send completes for <see cref="StallTimeout"/> (see <see cref="StallWatchdog"/>);
    /// cancelling a send aborts the websocket, which also ends the receive loop.</summary>
    private Task CutIfStalledAsync() => StallWatchdog.WatchAsync(_sendEnded.Task, () => Interlocked.Read(ref _sent), StallTimeout, () =>
    {
        log.LogWarning("Websocket of kernel {Kernel} (session {Session}) has read nothing for {Seconds} s while being closed; cutting it",
            kernelId, SessionId, StallTimeout.TotalSeconds);
        _stalled.Cancel();
        _closing.Cancel();
    });

    public async Task SendLoopAsync(CancellationToken cancel)
    {
        var reader = _queue.Reader;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stalled.Token);
        try
        {
            while (await reader.WaitToReadAsync(linked.Token))
                while (reader.TryRead(out var f))
                {
                    await _socket.SendAsync(f.Data, f.Type, true, linked.Token);
                    Interlocked.Add(ref _queued, -f.Data.Length);
                    Interlocked.Increment(ref _sent);
                }
            // Also answers a client's close (CloseReceived) so the handshake completes.
            var close = _closeRequest ?? (WebSocketCloseStatus.NormalClosure, "");
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(close.Status, close.Reason, linked.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException) { }
        finally
        {
            _sendEnded.TrySetResult();
            // The receive loop now waits for the client's close frame; cancelling a receive aborts the socket and could
            // drop what is still being written (the last status, the close frame), so give the client a moment.
            _closing.CancelAfter(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Reads client messages until the socket closes; each one decoded and handed to <paramref name="deliver"/>.</summary>
    public async Task ReceiveLoopAsync(long maxSize, Action<KernelMessage> deliver, CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _closing.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    var capacity = (int)Math.Min(buffer.Length, maxSize);
                    if (length == capacity)
                    {
                        if (length >= maxSize)
                        {
                            log.LogWarning("Closing websocket of kernel {Kernel} (session {Session}): message larger than {Max} bytes (JupyterRtc.kernel_ws_max_message_size)",
                                kernelId, SessionId, maxSize);
                            Close(WebSocketCloseStatus.MessageTooBig, "message too big");
                            return;
                        }
                        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxSize, (long)buffer.Length * 2));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length, maxSize) - length), linked.Token);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) return;
                KernelMessage message;
                try
                {
                    message = WebSocketCodec.Decode(buffer.AsSpan(0, length), result.MessageType, Protocol);
                }
                catch (BadKernelFrameException e)
                {
                    log.LogWarning("Refused a message from websocket of kernel {Kernel} (session {Session}): {Reason}", kernelId, SessionId, e.Message);
                    continue;
                }
                deliver(message);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
