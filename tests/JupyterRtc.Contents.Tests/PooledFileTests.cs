using System.Runtime.InteropServices;

namespace JupyterRtc.Contents.Tests;

/// <summary>In one collection with the other users of the spare buffer, so that none takes it in the middle of a test.</summary>
[Collection(nameof(PooledFile))]
public sealed class PooledFileTests : IDisposable
{
    private readonly TempRoot _t = new();
    public void Dispose() => _t.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(700_000)]          // from the shared pool, which may hand out exactly a megabyte
    [InlineData((1 << 20) - 1)]    // one byte more (for reading to the end) makes it large
    [InlineData(1 << 20)]
    [InlineData(3_500_000)]
    public void A_file_reads_as_File_ReadAllBytes_reads_it_and_its_buffer_can_be_read_again(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var path = _t.In("f.bin");
        File.WriteAllBytes(path, bytes);
        for (var round = 0; round < 3; round++)
        {
            var file = PooledFile.Read(path);
            Assert.True(file.Bytes.Span.SequenceEqual(bytes));
            file.Release();
            file.Release();   // twice is harmless
        }
    }

    [Fact]
    public async Task A_released_large_buffer_is_reused_by_the_next_large_read_on_any_thread()
    {
        var path = _t.In("big.bin");
        File.WriteAllBytes(path, new byte[2_000_000]);
        // The spare is held weakly: a full collection between two reads may free it, so a few tries.
        var reused = 0;
        for (var attempt = 0; attempt < 5 && reused < 2; attempt++)
        {
            File.WriteAllBytes(path, new byte[2_000_000]);
            var first = PooledFile.Read(path);
            MemoryMarshal.TryGetArray(first.Bytes, out var a);
            first.Release();
            var second = await Task.Run(() => PooledFile.Read(path));
            MemoryMarshal.TryGetArray(second.Bytes, out var b);
            // A file that grew while still under the spare's rounded size reuses it too; its bytes are the new ones.
            File.WriteAllBytes(path, Enumerable.Repeat((byte)7, 2_050_000).ToArray());
            second.Release();
            var third = PooledFile.Read(path);
            MemoryMarshal.TryGetArray(third.Bytes, out var c);
            Assert.Equal(2_050_000, third.Bytes.Length);
            Assert.True(third.Bytes.Span.IndexOfAnyExcept((byte)7) < 0);
            third.Release();
            reused = (ReferenceEquals(a.Array, b.Array) ? 1 : 0) + (ReferenceEquals(b.Array, c.Array) ? 1 : 0);
        }
        Assert.Equal(2, reused);
    }
}
