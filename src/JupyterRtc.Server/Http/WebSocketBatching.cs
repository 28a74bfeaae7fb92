using Microsoft.AspNetCore.Http.Features;

namespace JupyterRtc.Server.Http;

/// <summary>
/// Lets a websocket's sender hand many messages to the network in one write. ASP.NET Core's websocket writes and
/// flushes every message on its own: a room fanning out to 200 clients, or a kernel streaming output, pays a system
/// call per message. The sender wraps what it finds queued in <see cref="WriteBatchingStream.BeginBatch"/> /
/// <see cref="WriteBatchingStream.EndBatchAsync"/>: the messages are framed as usual, gathered, and written at once.
/// Outside a batch (pongs, close frames) every write goes straight through.
/// </summary>
public static class WebSocketBatching
{
    private static readonly object Key = new();

    /// <summary>Installs the wrapper on upgrade requests; must run before <c>UseWebSockets</c>, which captures the upgrade feature.</summary>
    public static IApplicationBuilder UseWebSocketWriteBatching(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            context.Features.Set<IHttpUpgradeFeature>(new BatchingUpgradeFeature(upgrade, context));
        return next(context);
    });

    /// <summary>The batching stream under this request's websocket, if it has one.</summary>
    public static WriteBatchingStream? Of(HttpContext context) => context.Items[Key] as WriteBatchingStream;

    private sealed class BatchingUpgradeFeature(IHttpUpgradeFeature inner, HttpContext context) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync()
        {
            var stream = new WriteBatchingStream(await inner.UpgradeAsync());
            context.Items[Key] = stream;
            return stream;
        }
    }
}

/// <summary>The upgraded connection's stream, with writes gathered while a batch is open.</summary>
public sealed class WriteBatchingStream(Stream inner) : Stream
{
    /// <summary>A batch is written out when it reaches this size, so a burst never holds much memory or latency.</summary>
    private const int MaxBuffered = 256 * 1024;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[] _buffer = new byte[16 * 1024];
    private int _count;
    private bool _batching;

    public void BeginBatch() => Volatile.Write(ref _batching, true);

    /// <summary>Ends the batch: what was gathered goes to the network in one write.</summary>
    public async ValueTask EndBatchAsync(CancellationToken cancel = default)
    {
        await _lock.WaitAsync(cancel);
        try
        {
            Volatile.Write(ref _batching, false);
            if (_count == 0) return;
            await WriteOutAsync(cancel);
            await inner.FlushAsync(cancel);
        }
        finally { _lock.Release(); }
    }

    private async ValueTask WriteOutAsync(CancellationToken cancel)
    {
        var n = _count;
        _count = 0;
        await inner.WriteAsync(_buffer.AsMemory(0, n), cancel);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancel = default)
    {
        await _lock.WaitAsync(cancel);
        try
        {
            if (!Volatile.Read(ref _batching))
            {
                if (_count > 0) await WriteOutAsync(cancel);
                await inner.WriteAsync(data, cancel);
                return;
            }
            if (_count + data.Length > MaxBuffered)
            {
                if (_count > 0) await WriteOutAsync(cancel);
                if (data.Length > MaxBuffered) { await inner.WriteAsync(data, cancel); return; }
            }
            if (_count + data.Length > _buffer.Length)
                Array.Resize(ref _buffer, Math.Min(MaxBuffered, Math.Max(_buffer.Length * 2, _count + data.Length)));
            data.Span.CopyTo(_buffer.AsSpan(_count));
            _count += data.Length;
        }
        finally { _lock.Release(); }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancel) =>
        WriteAsync(buffer.AsMemory(offset, count), cancel).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancel)
    {
        await _lock.WaitAsync(cancel);
        try
        {
            if (Volatile.Read(ref _batching)) return;   // the batch's end flushes
            if (_count > 0) await WriteOutAsync(cancel);
            await inner.FlushAsync(cancel);
        }
        finally { _lock.Release(); }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default) => inner.ReadAsync(buffer, cancel);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancel) => inner.ReadAsync(buffer, offset, count, cancel);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
