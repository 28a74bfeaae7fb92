namespace JupyterRtc.Contents;

/// <summary>
/// Hands pieces of bytes to a handler in order, a large piece on another thread from a copy, so the producer makes the
/// next piece meanwhile; a small piece, with nothing in flight, is handled in line. A save uses two: one writes the file
/// (<see cref="AtomicFile"/>), one hashes its signature (<see cref="PieceDigest"/>). A failed piece fails the next
/// <see cref="Append"/> and <see cref="Finish"/> with its own exception, and nothing after it is handled.
/// </summary>
internal sealed class BackgroundSink(ByteSink handle, int inlineBytes) : IDisposable
{
    private Task _pending = Task.CompletedTask;

    public void Append(ReadOnlySpan<byte> piece)
    {
        if (_pending.IsFaulted) _pending.GetAwaiter().GetResult();
        if (piece.Length < inlineBytes && _pending.IsCompleted) { handle(piece); return; }
        var copy = System.Buffers.ArrayPool<byte>.Shared.Rent(piece.Length);
        piece.CopyTo(copy);
        var length = piece.Length;
        _pending = _pending.ContinueWith(previous =>
        {
            try
            {
                previous.GetAwaiter().GetResult();   // after a failed piece, nothing more is handled
                handle(copy.AsSpan(0, length));
            }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(copy); }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Waits until every piece is handled; throws what a piece failed with.</summary>
    public void Finish() => _pending.GetAwaiter().GetResult();

    /// <summary>Waits for a piece still in flight (it uses what the handler writes to), whatever happened.</summary>
    public void Dispose()
    {
        try { _pending.Wait(); } catch (AggregateException) { }
    }
}
