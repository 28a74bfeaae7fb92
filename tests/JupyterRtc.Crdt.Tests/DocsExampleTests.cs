using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Sync;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Crdt.Tests;

/// <summary>The examples of docs/crdt.md, compiled and run.</summary>
public class DocsExampleTests
{
    [Fact]
    public void UsingIt()
    {
        var sent = new List<byte[]>();
        void Broadcast(byte[] u) => sent.Add(u);

        var doc = new Doc();
        var text = doc.GetText("source");
        text.Insert(0, "print('hi')");
        text.Format(0, 5, [new("bold", true)]);
        text.Delete(0, 1);
        var meta = doc.GetMap("metadata");
        meta.Set("language", "python");
        var outputs = new YArray();
        meta.Set("outputs", outputs);
        outputs.Push(1, 2.5, "x");

        doc.Update += (update, origin, tr) => Broadcast(update);
        doc.Transact(tr => { text.Insert(0, "#"); meta.Delete("language"); }, origin: "me");
        Assert.Single(sent);

        var other = new Doc(clientId: 42, gc: false);
        var remoteStateVector = other.EncodeStateVector();
        byte[] state = doc.EncodeStateAsUpdate();
        byte[] diff = doc.EncodeStateAsUpdate(remoteStateVector);
        other.ApplyUpdate(diff, origin: "network");
        Assert.Equal(text.ToString(), other.GetText("source").ToString());
        Assert.Equal("#rint('hi')", other.GetText("source").ToString());
        Assert.Equal(state, other.EncodeStateAsUpdate());
        Assert.Equal("{\"outputs\":[1,2.5,\"x\"]}", Json.Stringify(other.GetMap("metadata").ToJson()));

        var events = new List<string>();
        text.Observe += (YEvent e, Transaction tr) => events.Add(DeltaOp.ToAny(e.Delta).ToString());
        meta.Observe += (e, tr) => { foreach (var (key, change) in e.Keys) events.Add($"{key} {change.Action}"); };
        doc.GetMap("metadata").ObserveDeep += (IReadOnlyList<YEvent> evs, Transaction tr) => events.Add(string.Join(",", evs.Select(ev => string.Join("/", ev.Path))));
        doc.Transact(_ => { text.Insert(1, "!"); meta.Set("k", AnyValue.Undefined); outputs.Delete(0); });
        Assert.Equal(["[{\"retain\":1},{\"insert\":\"!\"}]", "k Add", ",outputs"], events); // "!" lands before the bold run: no attributes

        var snapshot = Snapshot.Of(other);
        Assert.True(Snapshot.Decode(snapshot.Encode()).ContentEquals(snapshot));
        Assert.Equal(other.EncodeStateVector(), UpdateTools.EncodeStateVectorFromUpdate(other.EncodeStateAsUpdate()));

        var step1 = SyncProtocol.EncodeSyncStep1(other);
        var reply = SyncProtocol.Handle(doc, SyncProtocol.Decode(step1));
        Assert.NotNull(reply);
        var awareness = new Awareness(doc.ClientId);
        awareness.SetLocalState(AnyValue.Object([new("user", "me")]));
        var remote = new Awareness(other.ClientId);
        remote.ApplyUpdate(awareness.EncodeUpdate([doc.ClientId]), "network");
        Assert.True(remote.States.ContainsKey(doc.ClientId));
    }
}
