using System.Text.Json.Nodes;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Sync;

namespace JupyterRtc.Crdt.Tests;

/// <summary>Sync messages and awareness against npm y-protocols 1.0.7 (tests/node/crdt/protocols.js) and the reference vectors.</summary>
public class ProtocolTests
{
    private static string H(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    private static Doc Axc()
    {
        var doc = new Doc(1);
        var t = doc.GetText("text");
        t.Insert(0, "abc");
        t.Insert(1, "x");
        t.Delete(2, 1);
        return doc;
    }

    [Fact]
    public void GoldenVectors()
    {
        Assert.Equal("00 03 01 01 04", Hex.Of(SyncProtocol.EncodeSyncStep1(Axc())));
        var a = new Awareness(42, () => 0, startWithEmptyState: false);
        a.SetLocalState(AnyValue.Object([new("user", "x")]));
        Assert.Equal("01 2a 00 0c 7b 22 75 73 65 72 22 3a 22 78 22 7d", Hex.Of(a.EncodeUpdate([42])));
        a.SetLocalState(null);
        Assert.Equal("01 2a 01 04 6e 75 6c 6c", Hex.Of(a.EncodeUpdate([42])));
    }

    [Fact]
    public void MatchesYProtocols()
    {
        var y = JsonNode.Parse(TestEnv.Node("protocols.js", ""))!;
        var doc = Axc();
        Assert.Equal((string)y["step1"]!, H(SyncProtocol.EncodeSyncStep1(doc)));
        Assert.Equal((string)y["step2"]!, H(SyncProtocol.EncodeSyncStep2(doc, null)));
        Assert.Equal((string)y["step2empty"]!, H(SyncProtocol.EncodeSyncStep2(doc, new Doc().EncodeStateVector())));
        Assert.Equal((string)y["update"]!, H(SyncProtocol.EncodeUpdate(doc.EncodeStateAsUpdate())));
        var peer = new Doc(2);
        peer.GetText("text").Insert(0, "Q");
        var reply = SyncProtocol.Handle(peer, SyncProtocol.Decode(Convert.FromHexString((string)y["step1"]!)));
        Assert.Equal((string)y["peerReply"]!, H(reply!));
        // step 2 and update messages are applied
        Assert.Null(SyncProtocol.Handle(peer, SyncProtocol.Decode(SyncProtocol.EncodeSyncStep2(doc, peer.EncodeStateVector()))));
        Assert.Contains("axc", peer.GetText("text").ToString());
        // a malformed update is reported, not thrown, and changes nothing
        CrdtFormatException? error = null;
        var before = peer.EncodeStateAsUpdate();
        SyncProtocol.Handle(peer, new SyncMessage(SyncMessageType.Update, [1, 2, 3]), null, e => error = e);
        Assert.NotNull(error);
        Assert.Equal(before, peer.EncodeStateAsUpdate());
        Assert.Throws<CrdtFormatException>(() => SyncProtocol.Decode([7, 0]));

        // awareness
        var a = new Awareness(42, () => 1000);
        var b = new Awareness(43, () => 1000);
        var events = new List<string>();
        string Fmt(string kind, AwarenessChange c, object? origin) =>
            $"[\"{kind}\",{{\"added\":[{string.Join(",", c.Added)}],\"updated\":[{string.Join(",", c.Updated)}],\"removed\":[{string.Join(",", c.Removed)}]}},\"{origin}\"]";
        b.Change += (c, o) => events.Add(Fmt("change", c, o));
        b.Update += (c, o) => events.Add(Fmt("update", c, o));
        var state = AnyValue.Object([new("user", "x"), new("n", 1)]);
        a.SetLocalState(state);
        var aw1 = a.EncodeUpdate([42]);
        Assert.Equal((string)y["aw1"]!, H(aw1));
        b.ApplyUpdate(aw1, "remote");
        a.SetLocalState(AnyValue.Object([new("user", "x"), new("n", 1)]));
        var aw2 = a.EncodeUpdate([42]);
        Assert.Equal((string)y["aw2"]!, H(aw2));
        b.ApplyUpdate(aw2, "remote");
        b.ApplyUpdate(aw1, "remote");
        a.SetLocalState(null);
        var aw3 = a.EncodeUpdate([42]);
        Assert.Equal((string)y["aw3"]!, H(aw3));
        b.ApplyUpdate(aw3, "remote");
        Assert.Equal([43UL], b.States.Keys);
        Assert.Equal((string)y["all"]!, H(b.EncodeUpdate([43, 42])));
        var w = new Lib0Writer();
        w.WriteVarUint(1UL); w.WriteVarUint(43UL); w.WriteVarUint(5UL); w.WriteVarString("null");
        b.ApplyUpdate(w.ToArray(), "remote");
        Assert.Equal((string)y["bAfterRemoteRemoval"]!, H(b.EncodeUpdate([43])));
        Assert.Equal((string)y["events"]!, "[" + string.Join(",", events) + "]");
    }

    [Fact]
    public void Timeouts()
    {
        long now = 0;
        var a = new Awareness(1, () => now);
        var b = new Awareness(2, () => now);
        // clock 0 is never accepted by a peer that does not know the client (y-protocols rule)
        b.ApplyUpdate(a.EncodeUpdate([1]), "remote");
        Assert.False(b.States.ContainsKey(1));
        a.SetLocalState(AnyValue.Object([new("name", "a")]));
        b.ApplyUpdate(a.EncodeUpdate([1]), "remote");
        Assert.True(b.States.ContainsKey(1));
        var removed = new List<ulong>();
        b.Change += (c, o) => { if ((string?)o == "timeout") removed.AddRange(c.Removed); };
        now = 15_000;
        b.CheckTimeouts();
        Assert.Equal(1, b.GetClock(2)); // local state renewed after 15 s
        Assert.Empty(removed);
        now = 30_000;
        b.CheckTimeouts();
        Assert.Equal([1UL], removed);
        Assert.False(b.States.ContainsKey(1));
        // the clock is kept: a stale update is still rejected
        b.ApplyUpdate(a.EncodeUpdate([1]), "remote");
        Assert.False(b.States.ContainsKey(1));
    }
}
