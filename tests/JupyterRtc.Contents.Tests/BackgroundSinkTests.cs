namespace JupyterRtc.Contents.Tests;

public sealed class BackgroundSinkTests
{
    [Fact]
    public void Pieces_of_any_size_are_handled_in_order()
    {
        var seen = new List<byte>();
        using var sink = new BackgroundSink(piece => { lock (seen) seen.AddRange(piece.ToArray()); }, inlineBytes: 100);
        var expected = new List<byte>();
        var rng = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var piece = new byte[rng.Next(0, 300)];   // in line below 100 bytes when nothing is in flight, else background
            Array.Fill(piece, (byte)i);
            expected.AddRange(piece);
            sink.Append(piece);
        }
        sink.Finish();
        Assert.Equal(expected, seen);
    }

    [Fact]
    public void A_failed_piece_fails_what_follows_with_its_own_error_and_nothing_after_it_is_handled()
    {
        var handled = 0;
        var sink = new BackgroundSink(piece =>
        {
            if (piece[0] == 2) throw new IOException("No space left on device");
            Interlocked.Increment(ref handled);
        }, inlineBytes: 0);
        sink.Append([1]);
        sink.Append([2]);
        sink.Append([3]);
        var e = Assert.Throws<IOException>(sink.Finish);
        Assert.Equal("No space left on device", e.Message);
        Assert.Throws<IOException>(() => sink.Append([4]));
        sink.Dispose();
        Assert.Equal(1, handled);
    }
}
