namespace JupyterRtc.Crdt.Core;

/// <summary>
/// All structs of a document, per client, sorted by clock and contiguous from clock 0
/// (each struct starts where the previous one ended).
/// </summary>
internal sealed class StructStore
{
    public readonly Dictionary<ulong, List<StructBase>> Clients = new();

    /// <summary>Structs that could not be integrated yet (a v2 update, as in Yjs) and the lowest missing clock per client.</summary>
    public byte[]? PendingStructs;
    public Dictionary<ulong, int>? PendingMissing;
    /// <summary>Delete ranges beyond the local state, as an update with no structs.</summary>
    public byte[]? PendingDs;

    public int GetState(ulong client)
    {
        if (!Clients.TryGetValue(client, out var structs) || structs.Count == 0) return 0;
        var last = structs[^1];
        return last.Clock + last.Length;
    }

    public Dictionary<ulong, int> GetStateVector()
    {
        var sv = new Dictionary<ulong, int>(Clients.Count);
        foreach (var (client, structs) in Clients)
        {
            var last = structs[^1];
            sv[client] = last.Clock + last.Length;
        }
        return sv;
    }

    public void AddStruct(StructBase s)
    {
        if (!Clients.TryGetValue(s.Client, out var structs))
        {
            structs = new List<StructBase>();
            Clients[s.Client] = structs;
        }
        else
        {
            var last = structs[^1];
            if (last.Clock + last.Length != s.Clock) throw new InvalidOperationException("Struct store is not contiguous");
        }
        structs.Add(s);
    }

    /// <summary>Binary search with an interpolation guess for the first probe (clocks are dense).</summary>
    public static int FindIndex(List<StructBase> structs, int clock)
    {
        var left = 0;
        var right = structs.Count - 1;
        var mid = structs[right];
        var midClock = mid.Clock;
        if (midClock == clock) return right;
        var pivot = (int)((long)clock * right / Math.Max(1, (long)midClock + mid.Length - 1));
        while (left <= right)
        {
            if (pivot < left || pivot > right) pivot = (left + right) >> 1;
            mid = structs[pivot];
            midClock = mid.Clock;
            if (midClock <= clock)
            {
                if (clock < midClock + mid.Length) return pivot;
                left = pivot + 1;
            }
            else right = pivot - 1;
            pivot = (left + right) >> 1;
        }
        throw new InvalidOperationException($"clock {clock} not found in struct store");
    }

    /// <summary>The struct that contains <paramref name="id"/> (no splitting).</summary>
    public StructBase GetStruct(Id id)
    {
        var structs = Clients[id.Client];
        return structs[FindIndex(structs, id.Clock)];
    }

    /// <summary>The index of the struct that starts exactly at <paramref name="clock"/>, splitting an item if needed.</summary>
    public static int FindIndexCleanStart(Transaction tr, List<StructBase> structs, int clock)
    {
        var index = FindIndex(structs, clock);
        var s = structs[index];
        if (s.Clock < clock && s is Item item)
        {
            structs.Insert(index + 1, item.Split(tr, clock - s.Clock));
            return index + 1;
        }
        return index;
    }

    public StructBase GetItemCleanStart(Transaction tr, Id id)
    {
        var structs = Clients[id.Client];
        return structs[FindIndexCleanStart(tr, structs, id.Clock)];
    }

    /// <summary>The struct that ends exactly at <paramref name="id"/>, splitting an item if needed.</summary>
    public StructBase GetItemCleanEnd(Transaction tr, Id id)
    {
        var structs = Clients[id.Client];
        var index = FindIndex(structs, id.Clock);
        var s = structs[index];
        if (id.Clock != s.Clock + s.Length - 1 && s is Item item)
            structs.Insert(index + 1, item.Split(tr, id.Clock - s.Clock + 1));
        return s;
    }

    public void ReplaceStruct(StructBase oldStruct, StructBase newStruct)
    {
        var structs = Clients[oldStruct.Client];
        structs[FindIndex(structs, oldStruct.Clock)] = newStruct;
    }

    /// <summary>Calls <paramref name="f"/> for every struct in [clockStart, clockStart+len), splitting at both ends.</summary>
    public static void IterateStructs(Transaction tr, List<StructBase> structs, int clockStart, int len, Action<StructBase> f)
    {
        if (len == 0) return;
        var clockEnd = clockStart + len;
        var index = FindIndexCleanStart(tr, structs, clockStart);
        StructBase s;
        do
        {
            s = structs[index++];
            if (clockEnd < s.Clock + s.Length) FindIndexCleanStart(tr, structs, clockEnd);
            f(s);
        } while (index < structs.Count && structs[index].Clock < clockEnd);
    }
}
