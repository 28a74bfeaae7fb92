using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace JupyterRtc.Crdt.Tests;

/// <summary>
/// The B4 editing trace (Kleppmann and Beresford, CC-BY 4.0): replayed one transaction per edit it must give
/// the final text, and the encoded document must be byte-identical to what npm yjs produces with the same client id
/// (tests/node/crdt/b4.js generates those bytes at test time).
/// </summary>
public class B4Tests(ITestOutputHelper output)
{
    public const ulong ClientId = 2661961782;

    internal static List<(int Pos, int Del, string Ins)> LoadEdits()
    {
        using var fs = File.OpenRead(Path.Combine(TestEnv.B4Dir, "b4-edits.json"));
        using var json = JsonDocument.Parse(fs);
        var list = new List<(int, int, string)>(260_000);
        foreach (var row in json.RootElement.EnumerateArray())
            list.Add((row[0].GetInt32(), row[1].GetInt32(), row[2].GetString()!));
        return list;
    }

    internal static string FinalText => File.ReadAllText(Path.Combine(TestEnv.B4Dir, "b4-final-text.txt"));

    [Fact]
    public async Task ReplayMatchesYjsByteForByte()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "crdt-b4-" + Environment.ProcessId);
        var node = Task.Run(() => TestEnv.Node("b4.js", $"\"{outDir}\" {ClientId}"));
        var edits = LoadEdits();
        var doc = new Doc(ClientId);
        var text = doc.GetText("text");
        var sw = Stopwatch.StartNew();
        foreach (var (pos, del, ins) in edits)
        {
            if (del > 0) text.Delete(pos, del);
            if (ins.Length > 0) text.Insert(pos, ins);
        }
        output.WriteLine($"B4 applied in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(FinalText, text.ToString());
        var v1 = doc.EncodeStateAsUpdate();
        var v2 = doc.EncodeStateAsUpdateV2();
        await node;
        var yv1 = File.ReadAllBytes(Path.Combine(outDir, "b4-yjs.v1.bin"));
        var yv2 = File.ReadAllBytes(Path.Combine(outDir, "b4-yjs.v2.bin"));
        Directory.Delete(outDir, true);
        Assert.Equal(311_038, yv1.Length);
        Assert.True(yv1.AsSpan().SequenceEqual(v1), $"v1 differs: ours {v1.Length} bytes, yjs {yv1.Length}; first difference at {FirstDiff(v1, yv1)}");
        Assert.True(yv2.AsSpan().SequenceEqual(v2), $"v2 differs: ours {v2.Length} bytes, yjs {yv2.Length}; first difference at {FirstDiff(v2, yv2)}");

        // decoding our own bytes gives the text back, in both formats
        var d1 = new Doc(1);
        d1.ApplyUpdate(v1);
        Assert.Equal(FinalText, d1.GetText("text").ToString());
        var d2 = new Doc(2);
        d2.ApplyUpdateV2(v2);
        Assert.Equal(FinalText, d2.GetText("text").ToString());
        Assert.True(d2.EncodeStateAsUpdate().AsSpan().SequenceEqual(v1));
    }

    [Fact]
    public void ReferenceUpdateDecodesToFinalText()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestEnv.B4Dir, "b4-update.bin"));
        var doc = new Doc(1);
        doc.ApplyUpdate(bytes);
        Assert.Equal(FinalText, doc.GetText("text").ToString());
        Assert.False(doc.HasPendingUpdates);
        // the file was written by yrs, so Yjs re-encodes it differently: we must re-encode it exactly as Yjs does
        var prefix = Path.Combine(Path.GetTempPath(), "crdt-b4ref-" + Environment.ProcessId);
        TestEnv.Node("reencode.js", $"\"{Path.Combine(TestEnv.B4Dir, "b4-update.bin")}\" v1 \"{prefix}\"");
        var yv1 = File.ReadAllBytes(prefix + ".v1.bin");
        var yv2 = File.ReadAllBytes(prefix + ".v2.bin");
        File.Delete(prefix + ".v1.bin");
        File.Delete(prefix + ".v2.bin");
        Assert.True(doc.EncodeStateAsUpdate().AsSpan().SequenceEqual(yv1));
        Assert.True(doc.EncodeStateAsUpdateV2().AsSpan().SequenceEqual(yv2));
    }

    private static int FirstDiff(byte[] a, byte[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++) if (a[i] != b[i]) return i;
        return n;
    }
}
