using System.Text.Json.Nodes;

namespace JupyterRtc.Crdt.Tests;

/// <summary>Snapshots against npm yjs (tests/node/crdt/snapshot.js runs the same scenario).</summary>
public class SnapshotTests
{
    [Fact]
    public void MatchesYjs()
    {
        var yjs = JsonNode.Parse(TestEnv.Node("snapshot.js", ""))!;
        var doc = new Doc(11, gc: false);
        var t = doc.GetText("t");
        t.Insert(0, "hello world");
        t.Delete(2, 3);
        var snap1 = Snapshot.Of(doc);
        t.Insert(1, "XY");
        t.Delete(5, 2);
        doc.GetMap("m").Set("a", 1);
        var snap2 = Snapshot.Of(doc);
        var restored = snap1.ToDoc(doc, new Doc(5));
        string H(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();
        Assert.Equal((string)yjs["s1"]!, H(snap1.Encode()));
        Assert.Equal((string)yjs["s1v2"]!, H(snap1.EncodeV2()));
        Assert.Equal((string)yjs["s2"]!, H(snap2.Encode()));
        Assert.Equal((string)yjs["restored"]!, restored.GetText("t").ToString());
        Assert.Equal((string)yjs["restoredUpdate"]!, H(restored.EncodeStateAsUpdate()));
        Assert.Equal((string)yjs["doc"]!, H(doc.EncodeStateAsUpdate()));
        Assert.True(snap1.ContentEquals(Snapshot.Decode(snap1.Encode())));
        Assert.True(snap1.ContentEquals(Snapshot.DecodeV2(snap1.EncodeV2())));
        Assert.False(snap1.ContentEquals(snap2));
        Assert.Throws<InvalidOperationException>(() => snap1.ToDoc(new Doc()));
    }
}
