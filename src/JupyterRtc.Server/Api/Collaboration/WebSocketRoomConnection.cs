using System.Net.WebSockets;
using System.Threading.Channels;
using JupyterRtc.Collaboration.Rooms;

namespace JupyterRtc.Server.Api.Collaboration;

/// <summary>
/// A room client over a websocket: frames are queued and written by one sender task, so the room never waits for a
/// slow network. A client whose queue exceeds its limit is disconnected (it reconnects and resyncs).
/// </summary>
public sealed class WebSocketRoomConnection : IRoomConnection
{
    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly long _maxQueued;
    private readonly ILogger _log;
    private long _queued;
    private int _closeCode;
    private string _closeReason = "";

    public WebSocketRoomConnection(WebSocket socket, string name, long maxQueuedBytes, ILogger log)
    {
        _socket = socket;
        Name = name;
        _maxQueued = maxQueuedBytes;
        _log = log;
        SendLoop = Task.Run(SendLoopAsync);
    }

    public string Name { get; }
    public bool ReadOnly => false;
    /// <summary>Cancelled when the connection is closed by the server: stops the receive loop.</summary>
    public CancellationTokenSource Closing { get; } = new();
    public Task SendLoop { get; }

    public void Send(byte[] frame)
    {
        if (Closing.IsCancellationRequested) return;
        if (Interlocked.Add(ref _queued, frame.Length) > _maxQueued)
        {
            _log.LogWarning("{Client} is too slow ({Bytes} bytes queued); disconnecting it", Name, Interlocked.Read(ref _queued));
            Close(CloseCodes.TryAgainLater, "client too slow");
            return;
        }
        _queue.Writer.TryWrite(frame);
    }

    public void Close(int code, string reason)
    {
        if (Interlocked.CompareExchange(ref _closeCode, code, 0) != 0) return;
        _closeReason = reason;
        _queue.Writer.TryComplete();
        Closing.Cancel();
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var frame in _queue.Reader.ReadAllAsync())
            {
                Interlocked.Add(ref _queued, -frame.Length);
                if (_socket.State != WebSocketState.Open) break;
                await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
            }
            if (_closeCode != 0 && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync((WebSocketCloseStatus)_closeCode, _closeReason, timeout.Token);
                // A client that never answers the close frame is cut off.
                _ = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ =>
                {
                    try { if (_socket.State != WebSocketState.Closed) _socket.Abort(); }
                    catch (ObjectDisposedException) { }
                }, TaskScheduler.Default);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away; the receive loop notices too.
        }
    }

    /// <summary>Ends the sender after the receive loop finished (the socket is closing).</summary>
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        await SendLoop;
    }
}
