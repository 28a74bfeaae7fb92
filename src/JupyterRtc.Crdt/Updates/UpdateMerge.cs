using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Updates;

/// <summary>
/// Operations on encoded updates without a document: merge, diff against a state vector, v1↔v2 conversion,
/// state vector of an update. The output is byte-identical to Yjs's mergeUpdates/diffUpdate.
/// </summary>
internal static class UpdateMerge
{
    /// <summary>Buffers the rest stream per client run, so that the struct count can be written in front (Yjs LazyStructWriter).</summary>
    private sealed class LazyWriter(UpdateEncoder enc)
    {
        public readonly UpdateEncoder Enc = enc;
        private ulong _currClient;
        private int _written;
        private readonly List<(int Written, byte[] Bytes)> _parts = new();

        public void Write(StructBase s, int offset)
        {
            if (_written > 0 && _currClient != s.Client) Flush();
            if (_written == 0)
            {
                _currClient = s.Client;
                Enc.WriteClient(s.Client);
                Enc.Rest.WriteVarUint((ulong)(s.Clock + offset));
            }
            s.Write(Enc, offset);
            _written++;
        }

        private void Flush()
        {
            if (_written == 0) return;
            _parts.Add((_written, Enc.Rest.ToArray()));
            Enc.Rest = new Lib0Writer(64);
            _written = 0;
        }

        public void Finish()
        {
            Flush();
            var rest = Enc.Rest;
            rest.WriteVarUint((ulong)_parts.Count);
            foreach (var (written, bytes) in _parts)
            {
                rest.WriteVarUint((ulong)written);
                rest.WriteBytes(bytes);
            }
        }
    }

    /// <summary>Yields the structs of an update in wire order.</summary>
    private sealed class StructCursor
    {
        private readonly List<StructBase> _all;
        private int _i;
        private readonly bool _filterSkips;
        public StructBase? Curr;

        public StructCursor(DecodedUpdate u, bool filterSkips)
        {
            _all = u.Blocks.SelectMany(b => b.Structs).ToList();
            _filterSkips = filterSkips;
            Next();
        }

        public StructBase? Next()
        {
            do Curr = _i < _all.Count ? _all[_i++] : null;
            while (_filterSkips && Curr is SkipStruct);
            return Curr;
        }
    }

    private static DecodedUpdate ReadAll(byte[] update, bool v2) => UpdateReader.Read(update, v2);

    private static StructBase Slice(StructBase left, int diff)
    {
        switch (left)
        {
            case GcStruct: return new GcStruct(left.Client, left.Clock + diff, left.Length - diff);
            case SkipStruct: return new SkipStruct(left.Client, left.Clock + diff, left.Length - diff);
            default:
            {
                var item = (Item)left;
                return new Item(new Id(item.Client, item.Clock + diff), null, new Id(item.Client, item.Clock + diff - 1), null, item.RightOrigin, item.Parent, item.ParentSub, item.Content.Splice(diff))
                {
                    ParentName = item.ParentName,
                    ParentId = item.ParentId,
                };
            }
        }
    }

    public static byte[] MergeUpdates(IReadOnlyList<byte[]> updates, bool v2)
    {
        if (updates.Count == 1) return updates[0];
        var decoded = updates.Select(u => ReadAll(u, v2)).ToList();
        var cursors = decoded.Select(d => new StructCursor(d, true)).ToList();
        StructBase? currWrite = null;
        var currOffset = 0;
        var enc = UpdateEncoder.Create(v2);
        var writer = new LazyWriter(enc);
        while (true)
        {
            cursors = cursors.Where(c => c.Curr is not null).ToList();
            cursors.Sort((a, b) =>
            {
                var x = a.Curr!; var y = b.Curr!;
                if (x.Client == y.Client)
                {
                    var clockDiff = x.Clock.CompareTo(y.Clock);
                    if (clockDiff == 0) return x.GetType() == y.GetType() ? 0 : x is SkipStruct ? 1 : -1;
                    return clockDiff;
                }
                return y.Client.CompareTo(x.Client);
            });
            if (cursors.Count == 0) break;
            var cd = cursors[0];
            var firstClient = cd.Curr!.Client;
            if (currWrite is not null)
            {
                var curr = cd.Curr;
                var iterated = false;
                while (curr is not null && curr.Clock + curr.Length <= currWrite.Clock + currWrite.Length && curr.Client >= currWrite.Client)
                {
                    curr = cd.Next();
                    iterated = true;
                }
                if (curr is null || curr.Client != firstClient || (iterated && curr.Clock > currWrite.Clock + currWrite.Length)) continue;
                if (firstClient != currWrite.Client)
                {
                    writer.Write(currWrite, currOffset);
                    currWrite = curr;
                    currOffset = 0;
                    cd.Next();
                }
                else if (currWrite.Clock + currWrite.Length < curr.Clock)
                {
                    if (currWrite is SkipStruct) currWrite.Length = curr.Clock + curr.Length - currWrite.Clock;
                    else
                    {
                        writer.Write(currWrite, currOffset);
                        var diff = curr.Clock - currWrite.Clock - currWrite.Length;
                        currWrite = new SkipStruct(firstClient, currWrite.Clock + currWrite.Length, diff);
                        currOffset = 0;
                    }
                }
                else
                {
                    var diff = currWrite.Clock + currWrite.Length - curr.Clock;
                    if (diff > 0)
                    {
                        if (currWrite is SkipStruct) currWrite.Length -= diff;
                        else curr = Slice(curr, diff);
                    }
                    if (!currWrite.MergeWith(curr))
                    {
                        writer.Write(currWrite, currOffset);
                        currWrite = curr;
                        currOffset = 0;
                        cd.Next();
                    }
                }
            }
            else
            {
                currWrite = cd.Curr;
                currOffset = 0;
                cd.Next();
            }
            for (var next = cd.Curr;
                 next is not null && next.Client == firstClient && next.Clock == currWrite!.Clock + currWrite.Length && next is not SkipStruct;
                 next = cd.Next())
            {
                writer.Write(currWrite, currOffset);
                currWrite = next;
                currOffset = 0;
            }
        }
        if (currWrite is not null) writer.Write(currWrite, currOffset);
        writer.Finish();
        DeleteSet.Merge(decoded.Select(d => d.DeleteSet)).Write(enc);
        return enc.ToArray();
    }

    /// <summary>The part of <paramref name="update"/> that a peer with state vector <paramref name="sv"/> lacks (the delete set is kept whole).</summary>
    public static byte[] DiffUpdate(byte[] update, IReadOnlyDictionary<ulong, int> sv, bool v2)
    {
        var decoded = ReadAll(update, v2);
        var enc = UpdateEncoder.Create(v2);
        var writer = new LazyWriter(enc);
        var reader = new StructCursor(decoded, false);
        while (reader.Curr is { } curr)
        {
            var client = curr.Client;
            var svClock = sv.TryGetValue(client, out var c) ? c : 0;
            if (curr is SkipStruct)
            {
                reader.Next();
                continue;
            }
            if (curr.Clock + curr.Length > svClock)
            {
                writer.Write(curr, Math.Max(svClock - curr.Clock, 0));
                reader.Next();
                while (reader.Curr is not null && reader.Curr.Client == client)
                {
                    writer.Write(reader.Curr, 0);
                    reader.Next();
                }
            }
            else
            {
                while (reader.Curr is not null && reader.Curr.Client == client && reader.Curr.Clock + reader.Curr.Length <= svClock) reader.Next();
            }
        }
        writer.Finish();
        decoded.DeleteSet.Write(enc);
        return enc.ToArray();
    }

    public static byte[] ConvertV2ToV1(byte[] update) => Convert(update, true);
    public static byte[] ConvertV1ToV2(byte[] update) => Convert(update, false);

    private static byte[] Convert(byte[] update, bool fromV2)
    {
        var decoded = ReadAll(update, fromV2);
        var enc = UpdateEncoder.Create(!fromV2);
        var writer = new LazyWriter(enc);
        foreach (var (_, structs) in decoded.Blocks)
            foreach (var s in structs) writer.Write(s, 0);
        writer.Finish();
        decoded.DeleteSet.Write(enc);
        return enc.ToArray();
    }

    /// <summary>Per client, the end of the prefix that is contiguous from clock 0 (Yjs encodeStateVectorFromUpdate).</summary>
    public static Dictionary<ulong, int> StateVectorFromUpdate(byte[] update, bool v2)
    {
        var decoded = ReadAll(update, v2);
        var sv = new Dictionary<ulong, int>();
        var reader = new StructCursor(decoded, false);
        var curr = reader.Curr;
        if (curr is null) return sv;
        var currClient = curr.Client;
        var stopCounting = false;
        var currClock = 0;
        if (curr.Clock != 0) stopCounting = true; else currClock = curr.Length;
        for (curr = reader.Next(); curr is not null; curr = reader.Next())
        {
            if (currClient != curr.Client)
            {
                if (currClock != 0) sv[currClient] = currClock;
                currClient = curr.Client;
                currClock = 0;
                stopCounting = curr.Clock != 0;
            }
            if (curr is SkipStruct) stopCounting = true;
            if (!stopCounting) currClock = curr.Clock + curr.Length;
        }
        if (currClock != 0) sv[currClient] = currClock;
        return sv;
    }
}
