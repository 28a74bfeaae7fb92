namespace JupyterRtc.Contents.Tests;

public sealed class NotebookNotaryTests
{
    [Fact]
    public void A_digest_fed_in_pieces_of_any_size_equals_the_digest_of_the_whole()
    {
        var notary = new NotebookNotary(null);
        var rng = new Random(7);
        var whole = new byte[5_000_000];
        rng.NextBytes(whole);
        // Small pieces are hashed in line, large ones on another thread: mixed, in every order.
        int[] sizes = [10, 1 << 20, 3, 70_000, 65_535, 1_500_000, 0, 200];
        using var digest = notary.NewDigest();
        var at = 0;
        for (var i = 0; at < whole.Length; i++)
        {
            var n = Math.Min(sizes[i % sizes.Length], whole.Length - at);
            digest.Append(whole.AsSpan(at, n));
            at += n;
        }
        Assert.Equal(notary.Digest(whole), digest.Finish());
    }
}
