using JupyterRtc.Crdt.Core;

namespace JupyterRtc.Crdt.Updates;

internal static class UpdateWriter
{
    /// <summary>
    /// Writes every struct that the target state vector lacks, clients in descending order; the first struct
    /// of a client is written with an offset when the target already has part of it.
    /// </summary>
    public static void WriteClientsStructs(UpdateEncoder enc, StructStore store, IReadOnlyDictionary<ulong, int> target)
    {
        var sm = new List<(ulong Client, int Clock)>();
        foreach (var (client, clock) in target)
            if (store.GetState(client) > clock) sm.Add((client, clock));
        foreach (var (client, structs) in store.Clients)
            if (!target.ContainsKey(client) && structs.Count > 0) sm.Add((client, 0));
        sm.Sort((a, b) => b.Client.CompareTo(a.Client));
        enc.Rest.WriteVarUint((ulong)sm.Count);
        foreach (var (client, clock) in sm) WriteStructs(enc, store.Clients[client], client, clock);
    }

    public static void WriteStructs(UpdateEncoder enc, List<StructBase> structs, ulong client, int clock)
    {
        clock = Math.Max(clock, structs[0].Clock);
        var start = StructStore.FindIndex(structs, clock);
        enc.Rest.WriteVarUint((ulong)(structs.Count - start));
        enc.WriteClient(client);
        enc.Rest.WriteVarUint((ulong)clock);
        var first = structs[start];
        first.Write(enc, clock - first.Clock);
        for (var i = start + 1; i < structs.Count; i++) structs[i].Write(enc, 0);
    }

    /// <summary>Encodes per-client struct lists (each starting at its first struct) and a delete set as one update.</summary>
    public static byte[] EncodeStructs(IEnumerable<(ulong Client, List<StructBase> Structs)> blocks, DeleteSet ds, bool v2)
    {
        var enc = UpdateEncoder.Create(v2);
        var list = blocks.Where(b => b.Structs.Count > 0).OrderByDescending(b => b.Client).ToList();
        enc.Rest.WriteVarUint((ulong)list.Count);
        foreach (var (client, structs) in list)
        {
            enc.Rest.WriteVarUint((ulong)structs.Count);
            enc.WriteClient(client);
            enc.Rest.WriteVarUint((ulong)structs[0].Clock);
            foreach (var s in structs) s.Write(enc, 0);
        }
        ds.Write(enc);
        return enc.ToArray();
    }

    public static byte[] EncodeStateAsUpdate(Doc doc, IReadOnlyDictionary<ulong, int> target, bool v2)
    {
        var enc = UpdateEncoder.Create(v2);
        WriteClientsStructs(enc, doc.Store, target);
        DeleteSet.FromStore(doc.Store).Write(enc);
        var main = enc.ToArray();
        var store = doc.Store;
        if (store.PendingDs is null && store.PendingStructs is null) return main;
        // pending data is part of the state: merge it in, as Yjs does
        var updates = new List<byte[]> { main };
        if (store.PendingDs is not null) updates.Add(v2 ? store.PendingDs : UpdateMerge.ConvertV2ToV1(store.PendingDs));
        if (store.PendingStructs is not null)
        {
            var diff = UpdateMerge.DiffUpdate(store.PendingStructs, target, true);
            updates.Add(v2 ? diff : UpdateMerge.ConvertV2ToV1(diff));
        }
        return UpdateMerge.MergeUpdates(updates, v2);
    }
}
