using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt;

/// <summary>
/// The state of a document at one moment: its state vector and its delete set (Yjs Snapshot). With
/// <c>gc: false</c> a document can be restored to any snapshot with <see cref="ToDoc"/>.
/// </summary>
public sealed class Snapshot
{
    internal readonly DeleteSet DeleteSet;
    internal readonly Dictionary<ulong, int> StateVectorMap;

    internal Snapshot(DeleteSet ds, Dictionary<ulong, int> sv)
    {
        DeleteSet = ds;
        StateVectorMap = sv;
    }

    public IReadOnlyDictionary<ulong, int> StateVector => StateVectorMap;

    public static Snapshot Of(Doc doc) => new(DeleteSet.FromStore(doc.Store), doc.Store.GetStateVector());

    /// <summary>Y.encodeSnapshot: the delete set (v1 form) followed by the state vector.</summary>
    public byte[] Encode() => Encode(false);

    /// <summary>Y.encodeSnapshotV2: the delete set in v2 form followed by the state vector.</summary>
    public byte[] EncodeV2() => Encode(true);

    private byte[] Encode(bool v2)
    {
        var enc = UpdateEncoder.Create(v2);
        DeleteSet.Write(enc);
        enc.Rest.WriteVarUint((ulong)StateVectorMap.Count);
        foreach (var (client, clock) in StateVectorMap.OrderByDescending(kv => kv.Key))
        {
            enc.Rest.WriteVarUint(client);
            enc.Rest.WriteVarUint((ulong)clock);
        }
        return enc.Rest.ToArray();
    }

    public static Snapshot Decode(byte[] bytes) => Decode(bytes, false);
    public static Snapshot DecodeV2(byte[] bytes) => Decode(bytes, true);

    private static Snapshot Decode(byte[] bytes, bool v2)
    {
        var r = new Lib0Reader(bytes);
        UpdateDecoder dec = v2 ? UpdateDecoderV2.DeleteSetOnly(r) : new UpdateDecoderV1(r);
        var ds = DeleteSet.Read(dec);
        var n = r.ReadCount();
        var sv = new Dictionary<ulong, int>(n);
        for (var i = 0; i < n; i++) sv[r.ReadVarUint()] = r.ReadVarUintAsInt();
        return new Snapshot(ds, sv);
    }

    public bool ContentEquals(Snapshot other)
    {
        if (StateVectorMap.Count != other.StateVectorMap.Count || DeleteSet.Clients.Count != other.DeleteSet.Clients.Count) return false;
        foreach (var (k, v) in StateVectorMap)
            if (!other.StateVectorMap.TryGetValue(k, out var o) || o != v) return false;
        foreach (var (client, items) in DeleteSet.Clients)
        {
            if (!other.DeleteSet.Clients.TryGetValue(client, out var items2) || items.Count != items2.Count) return false;
            for (var i = 0; i < items.Count; i++)
                if (items[i].Clock != items2[i].Clock || items[i].Len != items2[i].Len) return false;
        }
        return true;
    }

    /// <summary>Whether an item was visible in this snapshot.</summary>
    internal bool IsVisible(Item item) =>
        StateVectorMap.TryGetValue(item.Client, out var c) && c > item.Clock && !DeleteSet.IsDeleted(item.Id);

    /// <summary>Y.createDocFromSnapshot: a new document with the content as of this snapshot. Needs <c>gc: false</c> on the origin.</summary>
    public Doc ToDoc(Doc origin, Doc? newDoc = null)
    {
        if (origin.Gc) throw new InvalidOperationException("Garbage-collection must be disabled in the origin document");
        newDoc ??= new Doc();
        var enc = new UpdateEncoderV2();
        origin.Transact(tr =>
        {
            var size = StateVectorMap.Count(kv => kv.Value > 0);
            enc.Rest.WriteVarUint((ulong)size);
            foreach (var (client, clock) in StateVectorMap)
            {
                if (clock == 0) continue;
                if (clock < origin.Store.GetState(client)) origin.Store.GetItemCleanStart(tr, new Id(client, clock));
                var structs = origin.Store.Clients.TryGetValue(client, out var l) ? l : new List<StructBase>();
                var last = StructStore.FindIndex(structs, clock - 1);
                enc.Rest.WriteVarUint((ulong)(last + 1));
                enc.WriteClient(client);
                enc.Rest.WriteVarUint(0UL);
                for (var i = 0; i <= last; i++) structs[i].Write(enc, 0);
            }
            DeleteSet.Write(enc);
        });
        newDoc.ApplyUpdateV2(enc.ToArray(), "snapshot");
        return newDoc;
    }
}
