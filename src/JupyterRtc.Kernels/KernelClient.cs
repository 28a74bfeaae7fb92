using System.Collections.Concurrent;
using System.Text;
using JupyterRtc.Kernels.Wire;
using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;

namespace JupyterRtc.Kernels;

/// <summary>
/// The ZeroMQ side of one kernel: shell, control and stdin DEALER sockets (one identity), an iopub SUB socket
/// subscribed to everything and a heartbeat REQ socket, all owned by one poller thread. Outgoing messages are signed
/// on that thread; incoming ones are verified there (forged or unsigned messages are dropped and logged) and handed
/// to <see cref="MessageReceived"/>, still on that thread: handlers must be quick and must not block.
/// </summary>
public sealed class KernelClient : IDisposable
{
    private static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    private readonly ConnectionInfo _info;
    private readonly KernelLog _log;
    private readonly string _label;
    private readonly NetMQPoller _poller;
    private readonly DealerSocket _shell, _control, _stdin;
    private readonly SubscriberSocket _iopub;
    private RequestSocket? _hb;
    private readonly NetMQQueue<KernelMessage> _outgoing = new();
    private readonly NetMQTimer _hbTimer;
    private readonly MessageSigner _signer;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<KernelMessage>> _pending = new();
    private readonly List<byte[]> _frames = new(16);
    private DateTime _hbSent = DateTime.MinValue;
    private bool _hbOutstanding;
    private int _disposed;
    private readonly List<NetMQMonitor> _monitors = [];
    private volatile bool _stdinConnected, _controlConnected;

    /// <summary>
    /// The kernel's ROUTER sockets drop messages for peers not connected yet: a kernel_info reply proves shell only,
    /// so readiness also waits for the TCP connections of stdin and control (socket monitors).
    /// </summary>
    public bool SideChannelsConnected => _stdinConnected && _controlConnected;

    /// <summary>The identity of the DEALER sockets and the <c>session</c> of messages this client makes.</summary>
    public string Session { get; } = Guid.NewGuid().ToString();
    public event Action<KernelMessage>? MessageReceived;
    /// <summary>Messages dropped because the signature did not verify or the frames were malformed.</summary>
    public long RejectedMessages;
    /// <summary>Last time the heartbeat echoed (UTC); <see cref="DateTime.MinValue"/> before the first echo.</summary>
    public DateTime LastHeartbeat { get; private set; } = DateTime.MinValue;
    public int MissedHeartbeats { get; private set; }
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Sockets the process's NetMQ context may hold at once. A client holds about fifteen (five channels, their connection
    /// monitors, its outgoing queue), and NetMQ's default of 1,024 let a server run only 68 kernels at once: the 69th
    /// start failed. Set before the context's first socket, after which NetMQ no longer changes it.
    /// </summary>
    public const int MaxSockets = 65536;

    static KernelClient()
    {
        if (NetMQConfig.MaxSockets < MaxSockets) NetMQConfig.MaxSockets = MaxSockets;
    }

    public KernelClient(ConnectionInfo info, KernelLog? log = null, string? label = null)
    {
        _info = info;
        _log = log ?? KernelLogs.None;
        _label = label ?? "kernel";
        if (info.SignatureScheme != "hmac-sha256" && info.Key.Length > 0)
            throw new NotSupportedException($"signature scheme {info.SignatureScheme} is not supported");
        _signer = new MessageSigner(info.Key);
        var identity = Encoding.ASCII.GetBytes(Session);
        _shell = Dealer(identity);
        _control = Dealer(identity);
        _stdin = Dealer(identity);
        _iopub = new SubscriberSocket();
        _iopub.Options.Linger = TimeSpan.Zero;
        _iopub.Options.ReceiveHighWatermark = 0;
        _iopub.Subscribe("");
        _iopub.Connect(info.Endpoint(info.IopubPort));
        _shell.ReceiveReady += (_, e) => Receive(e.Socket, KernelChannel.Shell);
        _control.ReceiveReady += (_, e) => Receive(e.Socket, KernelChannel.Control);
        _stdin.ReceiveReady += (_, e) => Receive(e.Socket, KernelChannel.Stdin);
        _iopub.ReceiveReady += (_, e) => Receive(e.Socket, KernelChannel.IOPub);
        _outgoing.ReceiveReady += (_, _) =>
        {
            // Bounded batch so receiving keeps its turn under a flood of sends.
            for (var i = 0; i < 256 && _outgoing.TryDequeue(out var m, TimeSpan.Zero); i++) SendNow(m);
        };
        _hbTimer = new NetMQTimer(TimeSpan.FromMilliseconds(500));
        _hbTimer.Elapsed += (_, _) => Heartbeat();
        _poller = new NetMQPoller { _shell, _control, _stdin, _iopub, _outgoing, _hbTimer };
        Monitor(_stdin, v => _stdinConnected = v);
        Monitor(_control, v => _controlConnected = v);
        _shell.Connect(info.Endpoint(info.ShellPort));
        _control.Connect(info.Endpoint(info.ControlPort));
        _stdin.Connect(info.Endpoint(info.StdinPort));
        NewHeartbeatSocket();
        _poller.RunAsync($"kernel-{_label}", isBackgroundThread: true);
        // Disposed before its thread had started, the poller could not be stopped (Stop throws when it is not running)
        // and then ran over disposed sockets, which throws from Dispose.
        SpinWait.SpinUntil(() => _poller.IsRunning, TimeSpan.FromSeconds(10));
    }

    private static DealerSocket Dealer(byte[] identity)
    {
        var s = new DealerSocket();
        s.Options.Identity = identity;
        s.Options.Linger = TimeSpan.Zero;
        s.Options.ReceiveHighWatermark = 0;
        s.Options.SendHighWatermark = 0;
        return s;
    }

    private void Monitor(NetMQSocket socket, Action<bool> connected)
    {
        var monitor = new NetMQMonitor(socket, $"inproc://kernel-monitor-{Guid.NewGuid():N}", SocketEvents.Connected | SocketEvents.Disconnected);
        monitor.Connected += (_, _) => connected(true);
        monitor.Disconnected += (_, _) => connected(false);
        monitor.AttachToPoller(_poller);
        _monitors.Add(monitor);
    }

    /// <summary>Queues a message for the kernel; it is signed and sent on the socket thread. Thread-safe.</summary>
    public void Send(KernelMessage message)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(KernelClient));
        if (message.Channel == KernelChannel.IOPub) throw new ArgumentException("cannot send on iopub");
        _outgoing.Enqueue(message);
    }

    /// <summary>Sends a request made by this client and waits for the reply with the same parent msg_id.</summary>
    public async Task<KernelMessage> RequestAsync(KernelChannel channel, string msgType, byte[] content, TimeSpan timeout, CancellationToken cancel = default)
    {
        var message = KernelMessage.Create(channel, msgType, Session, content);
        var tcs = new TaskCompletionSource<KernelMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[message.MsgId] = tcs;
        try
        {
            Send(message);
            return await tcs.Task.WaitAsync(timeout, cancel);
        }
        finally
        {
            _pending.TryRemove(message.MsgId, out _);
        }
    }

    private void SendNow(KernelMessage m)
    {
        var socket = m.Channel switch { KernelChannel.Shell => _shell, KernelChannel.Control => _control, _ => _stdin };
        var sig = _signer.Sign(m.Header, m.ParentHeader, m.Metadata, m.Content);
        socket.SendMoreFrame(Delimiter).SendMoreFrame(sig).SendMoreFrame(m.Header).SendMoreFrame(m.ParentHeader).SendMoreFrame(m.Metadata);
        if (m.Buffers.Count == 0) { socket.SendFrame(m.Content); return; }
        socket.SendMoreFrame(m.Content);
        for (var i = 0; i < m.Buffers.Count; i++)
        {
            if (i == m.Buffers.Count - 1) socket.SendFrame(m.Buffers[i]);
            else socket.SendMoreFrame(m.Buffers[i]);
        }
    }

    private void Receive(NetMQSocket socket, KernelChannel channel)
    {
        // Drain what is there, bounded, so one busy socket does not starve the others.
        for (var n = 0; n < 1000; n++)
        {
            var frames = _frames;
            frames.Clear();
            if (!socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames!, 8)) return;
            var message = Parse(channel, frames);
            if (message == null) continue;
            if (message.ParentMsgId != null && message.Channel != KernelChannel.IOPub && _pending.TryGetValue(message.ParentMsgId, out var waiter))
                waiter.TrySetResult(message);
            if (message.ParentMsgId != null && message.Channel == KernelChannel.IOPub && IopubObserved != null) IopubObserved(message);
            try { MessageReceived?.Invoke(message); }
            catch (Exception e) { _log(KernelLogLevel.Error, $"Kernel {_label}: message handler failed on {message}: {e}"); }
        }
    }

    /// <summary>Called for every iopub message before <see cref="MessageReceived"/> (used to learn iopub is live).</summary>
    internal Action<KernelMessage>? IopubObserved;

    private KernelMessage? Parse(KernelChannel channel, List<byte[]> frames)
    {
        var d = -1;
        for (var i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { d = i; break; }
        if (d < 0 || frames.Count < d + 6)
        {
            Interlocked.Increment(ref RejectedMessages);
            _log(KernelLogLevel.Warning, $"Kernel {_label}: dropping malformed message on {channel.Name()} ({frames.Count} frames, no complete '<IDS|MSG>' message)");
            return null;
        }
        byte[] sig = frames[d + 1], header = frames[d + 2], parent = frames[d + 3], metadata = frames[d + 4], content = frames[d + 5];
        if (!_signer.Verify(sig, header, parent, metadata, content))
        {
            Interlocked.Increment(ref RejectedMessages);
            _log(KernelLogLevel.Warning, $"Kernel {_label}: dropping message with {(sig.Length == 0 ? "no" : "an invalid")} signature on {channel.Name()}");
            return null;
        }
        var buffers = frames.Count > d + 6 ? frames.GetRange(d + 6, frames.Count - d - 6).ToArray() : [];
        try
        {
            return KernelMessage.FromParts(channel, header, parent, metadata, content, buffers);
        }
        catch (FormatException e)
        {
            Interlocked.Increment(ref RejectedMessages);
            _log(KernelLogLevel.Warning, $"Kernel {_label}: dropping message on {channel.Name()}: {e.Message}");
            return null;
        }
    }

    private void NewHeartbeatSocket()
    {
        if (_hb != null)
        {
            _poller.Remove(_hb);
            _hb.Dispose();
        }
        _hb = new RequestSocket();
        _hb.Options.Linger = TimeSpan.Zero;
        _hb.Connect(_info.Endpoint(_info.HbPort));
        _hb.ReceiveReady += (_, e) =>
        {
            if (e.Socket.TryReceiveFrameBytes(out byte[]? _))
            {
                _hbOutstanding = false;
                LastHeartbeat = DateTime.UtcNow;
                MissedHeartbeats = 0;
            }
        };
        _poller.Add(_hb);
        _hbOutstanding = false;
    }

    private void Heartbeat()
    {
        var now = DateTime.UtcNow;
        if (_hbOutstanding)
        {
            if (now - _hbSent < HeartbeatInterval) return;
            // A REQ socket waiting for an echo that will never come is stuck: replace it.
            MissedHeartbeats++;
            NewHeartbeatSocket();
        }
        else if (now - _hbSent < HeartbeatInterval) return;
        _hbSent = now;
        _hbOutstanding = _hb!.TrySendFrame("ping"u8.ToArray());
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { _poller.Stop(); } catch (Exception) { }
        foreach (var m in _monitors) { try { m.DetachFromPoller(); } catch (Exception) { } m.Dispose(); }
        _poller.Dispose();
        foreach (var s in new NetMQSocket?[] { _shell, _control, _stdin, _iopub, _hb }) s?.Dispose();
        _outgoing.Dispose();
        _signer.Dispose();
        foreach (var p in _pending.Values) p.TrySetException(new ObjectDisposedException(nameof(KernelClient)));
    }
}
