using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Core;

internal struct DeleteRange(int clock, int len)
{
    public int Clock = clock;
    public int Len = len;
}

/// <summary>Deleted clock ranges per client. Written in descending client order, ranges sorted and merged.</summary>
internal sealed class DeleteSet
{
    public readonly Dictionary<ulong, List<DeleteRange>> Clients = new();

    public bool IsEmpty => Clients.Count == 0;

    public void Add(ulong client, int clock, int len)
    {
        if (!Clients.TryGetValue(client, out var list))
        {
            list = new List<DeleteRange>();
            Clients[client] = list;
        }
        list.Add(new DeleteRange(clock, len));
    }

    public void SortAndMerge()
    {
        foreach (var dels in Clients.Values)
        {
            dels.Sort((a, b) => a.Clock.CompareTo(b.Clock));
            int i, j;
            for (i = 1, j = 1; i < dels.Count; i++)
            {
                var left = dels[j - 1];
                var right = dels[i];
                if (left.Clock + left.Len >= right.Clock)
                {
                    left.Len = Math.Max(left.Len, right.Clock + right.Len - left.Clock);
                    dels[j - 1] = left;
                }
                else
                {
                    if (j < i) dels[j] = right;
                    j++;
                }
            }
            if (j < dels.Count) dels.RemoveRange(j, dels.Count - j);
        }
    }

    public bool IsDeleted(Id id)
    {
        if (!Clients.TryGetValue(id.Client, out var dis)) return false;
        var left = 0;
        var right = dis.Count - 1;
        while (left <= right)
        {
            var mid = (left + right) >> 1;
            var d = dis[mid];
            if (d.Clock <= id.Clock)
            {
                if (id.Clock < d.Clock + d.Len) return true;
                left = mid + 1;
            }
            else right = mid - 1;
        }
        return false;
    }

    /// <summary>Every maximal run of deleted structs (GC included) of the store, as a delete set.</summary>
    public static DeleteSet FromStore(StructStore store)
    {
        var ds = new DeleteSet();
        foreach (var (client, structs) in store.Clients)
        {
            List<DeleteRange>? items = null;
            for (var i = 0; i < structs.Count; i++)
            {
                var s = structs[i];
                if (!s.Deleted) continue;
                var clock = s.Clock;
                var len = s.Length;
                while (i + 1 < structs.Count && structs[i + 1].Deleted)
                {
                    i++;
                    len += structs[i].Length;
                }
                (items ??= new List<DeleteRange>()).Add(new DeleteRange(clock, len));
            }
            if (items is not null) ds.Clients[client] = items;
        }
        return ds;
    }

    public static DeleteSet Merge(IEnumerable<DeleteSet> sets)
    {
        var merged = new DeleteSet();
        foreach (var ds in sets)
            foreach (var (client, ranges) in ds.Clients)
                foreach (var r in ranges) merged.Add(client, r.Clock, r.Len);
        merged.SortAndMerge();
        return merged;
    }

    public void Write(UpdateEncoder enc)
    {
        enc.Rest.WriteVarUint((ulong)Clients.Count);
        foreach (var client in Clients.Keys.OrderByDescending(c => c))
        {
            var items = Clients[client];
            enc.ResetDsCurVal();
            enc.Rest.WriteVarUint(client);
            enc.Rest.WriteVarUint((ulong)items.Count);
            foreach (var it in items)
            {
                enc.WriteDsClock(it.Clock);
                enc.WriteDsLen(it.Len);
            }
        }
    }

    /// <summary>Reads a delete set without applying it; lengths are validated.</summary>
    public static DeleteSet Read(UpdateDecoder dec)
    {
        var ds = new DeleteSet();
        var numClients = dec.Rest.ReadCount();
        for (var i = 0; i < numClients; i++)
        {
            dec.ResetDsCurVal();
            var client = dec.Rest.ReadVarUint();
            var n = dec.Rest.ReadCount();
            if (n > 0)
            {
                var list = ds.Clients.TryGetValue(client, out var existing) ? existing : ds.Clients[client] = new List<DeleteRange>(n);
                for (var j = 0; j < n; j++)
                {
                    var clock = dec.ReadDsClock();
                    var len = dec.ReadDsLen();
                    if (len <= 0 || (long)clock + len > int.MaxValue) throw new CrdtFormatException("Delete range out of range");
                    list.Add(new DeleteRange(clock, len));
                }
            }
        }
        return ds;
    }
}
