using JupyterRtc.Crdt.Core;

namespace JupyterRtc.Crdt.Updates;

/// <summary>
/// Integrates a decoded update into a document inside a (remote) transaction: structs whose dependencies
/// are missing become pending structs, delete ranges beyond the local state become pending deletes, and
/// both are retried when later updates fill the gaps (Yjs readUpdateV2).
/// </summary>
internal static class UpdateApply
{
    private sealed class ClientRefs(List<StructBase> refs)
    {
        public List<StructBase> Refs = refs;
        public int I;
    }

    public static void Apply(Transaction tr, DecodedUpdate update)
    {
        tr.Local = false;
        var doc = tr.Doc;
        var store = doc.Store;
        var retry = false;
        var rest = IntegrateStructs(tr, store, update);
        if (store.PendingStructs is not null)
        {
            foreach (var (client, clock) in store.PendingMissing!)
            {
                if (clock < store.GetState(client)) { retry = true; break; }
            }
            if (rest is { } r)
            {
                foreach (var (client, clock) in r.Missing)
                {
                    if (!store.PendingMissing.TryGetValue(client, out var m) || m > clock) store.PendingMissing[client] = clock;
                }
                store.PendingStructs = UpdateMerge.MergeUpdates([store.PendingStructs, r.Update], true);
            }
        }
        else if (rest is { } r)
        {
            store.PendingStructs = r.Update;
            store.PendingMissing = r.Missing;
        }

        var dsRest = ApplyDeleteSet(tr, store, update.DeleteSet);
        if (store.PendingDs is not null)
        {
            var pendingDs = UpdateReader.Read(store.PendingDs, true).DeleteSet;
            var dsRest2 = ApplyDeleteSet(tr, store, pendingDs);
            store.PendingDs = dsRest is not null && dsRest2 is not null ? UpdateMerge.MergeUpdates([dsRest, dsRest2], true) : dsRest ?? dsRest2;
        }
        else store.PendingDs = dsRest;

        if (retry)
        {
            var pending = store.PendingStructs!;
            store.PendingStructs = null;
            store.PendingMissing = null;
            Apply(tr, UpdateReader.Read(pending, true));
        }
    }

    private static (Dictionary<ulong, int> Missing, byte[] Update)? IntegrateStructs(Transaction tr, StructStore store, DecodedUpdate update)
    {
        var clientsRefs = new Dictionary<ulong, ClientRefs>();
        foreach (var (client, structs) in update.Blocks) clientsRefs[client] = new ClientRefs(structs);
        var ids = clientsRefs.Keys.ToList();
        ids.Sort();
        if (ids.Count == 0) return null;

        // The highest client first. Clients whose structs moved to the pending rest are skipped here when reached,
        // instead of being removed from the list each time (which is quadratic for long dependency chains).
        ClientRefs? NextTarget()
        {
            while (ids.Count > 0)
            {
                if (clientsRefs.TryGetValue(ids[^1], out var t) && t.Refs.Count > t.I) return t;
                ids.RemoveAt(ids.Count - 1);
            }
            return null;
        }

        var cur = NextTarget();
        if (cur is null) return null;
        var stack = new List<StructBase>();
        var restStructs = new Dictionary<ulong, List<StructBase>>();
        var missingSv = new Dictionary<ulong, int>();
        void UpdateMissing(ulong client, int clock)
        {
            if (!missingSv.TryGetValue(client, out var m) || m > clock) missingSv[client] = clock;
        }
        var state = new Dictionary<ulong, int>();
        void AddStackToRest()
        {
            foreach (var item in stack)
            {
                var client = item.Client;
                if (clientsRefs.TryGetValue(client, out var inapplicable))
                {
                    // the struct on the stack was taken from refs already: put it back, then move the whole rest
                    inapplicable.I--;
                    restStructs[client] = inapplicable.Refs.GetRange(inapplicable.I, inapplicable.Refs.Count - inapplicable.I);
                    clientsRefs.Remove(client);
                    inapplicable.I = 0;
                    inapplicable.Refs = new List<StructBase>();
                }
                else restStructs[client] = [item];
            }
            stack.Clear();
        }

        var head = cur.Refs[cur.I++];
        while (true)
        {
            if (head is not SkipStruct)
            {
                if (!state.TryGetValue(head.Client, out var localClock))
                {
                    localClock = store.GetState(head.Client);
                    state[head.Client] = localClock;
                }
                var offset = localClock - head.Clock;
                if (offset < 0)
                {
                    stack.Add(head);
                    UpdateMissing(head.Client, head.Clock - 1);
                    AddStackToRest();
                }
                else
                {
                    ulong? missing = head is Item it ? it.GetMissing(tr, store) : null;
                    if (missing is { } m)
                    {
                        stack.Add(head);
                        if (!clientsRefs.TryGetValue(m, out var sr) || sr.Refs.Count == sr.I)
                        {
                            UpdateMissing(m, store.GetState(m));
                            AddStackToRest();
                        }
                        else
                        {
                            head = sr.Refs[sr.I++];
                            continue;
                        }
                    }
                    else if (offset == 0 || offset < head.Length)
                    {
                        Integrate(tr, head, offset);
                        state[head.Client] = head.Clock + head.Length;
                    }
                }
            }
            if (stack.Count > 0)
            {
                head = stack[^1];
                stack.RemoveAt(stack.Count - 1);
            }
            else if (cur is not null && cur.I < cur.Refs.Count)
            {
                head = cur.Refs[cur.I++];
            }
            else
            {
                cur = NextTarget();
                if (cur is null) break;
                head = cur.Refs[cur.I++];
            }
        }
        if (restStructs.Count > 0)
        {
            var bytes = UpdateWriter.EncodeStructs(restStructs.Select(kv => (kv.Key, kv.Value)), new DeleteSet(), true);
            return (missingSv, bytes);
        }
        return null;
    }

    private static void Integrate(Transaction tr, StructBase s, int offset)
    {
        switch (s)
        {
            case Item item:
                item.Integrate(tr, offset);
                break;
            case GcStruct gc:
                if (offset > 0)
                {
                    gc.Clock += offset;
                    gc.Length -= offset;
                }
                tr.Doc.Store.AddStruct(gc);
                break;
        }
    }

    /// <summary>Applies the known part of a delete set; returns the rest as a v2 update with no structs, or null.</summary>
    private static byte[]? ApplyDeleteSet(Transaction tr, StructStore store, DeleteSet ds)
    {
        DeleteSet? unapplied = null;
        foreach (var (client, ranges) in ds.Clients)
        {
            var state = store.GetState(client);
            store.Clients.TryGetValue(client, out var structs);
            foreach (var range in ranges)
            {
                var clock = range.Clock;
                var clockEnd = clock + range.Len;
                if (clock < state)
                {
                    if (state < clockEnd) (unapplied ??= new DeleteSet()).Add(client, state, clockEnd - state);
                    var index = StructStore.FindIndex(structs!, clock);
                    var s = structs![index];
                    if (!s.Deleted && s.Clock < clock && s is Item first)
                    {
                        structs.Insert(index + 1, first.Split(tr, clock - s.Clock));
                        index++;
                    }
                    while (index < structs.Count)
                    {
                        s = structs[index++];
                        if (s.Clock >= clockEnd) break;
                        if (!s.Deleted && s is Item item)
                        {
                            if (clockEnd < item.Clock + item.Length)
                                structs.Insert(index, item.Split(tr, clockEnd - item.Clock));
                            item.Delete(tr);
                        }
                    }
                }
                else (unapplied ??= new DeleteSet()).Add(client, clock, clockEnd - clock);
            }
        }
        if (unapplied is null) return null;
        // Yjs writes these ranges in arrival order; they are already sorted for any well-formed update, and sorting
        // keeps a malformed (unsorted) one from producing negative clock differences in the v2 encoding.
        unapplied.SortAndMerge();
        var enc = new UpdateEncoderV2();
        enc.Rest.WriteVarUint(0UL);
        unapplied.Write(enc);
        return enc.ToArray();
    }
}
