using JupyterRtc.Crdt.Core;

namespace JupyterRtc.Crdt.Updates;

/// <summary>A fully decoded update: structs per client (not yet linked into a document) and the delete set.</summary>
internal sealed class DecodedUpdate
{
    /// <summary>Client blocks in the order they appear in the update.</summary>
    public readonly List<(ulong Client, List<StructBase> Structs)> Blocks = new();
    public DeleteSet DeleteSet = new();
}

internal static class UpdateReader
{
    /// <summary>
    /// Decodes the whole update (structs and delete set) without touching any document, checking everything
    /// that integration relies on, so that a malformed update is rejected before anything changes.
    /// </summary>
    public static DecodedUpdate Read(byte[] update, bool v2)
    {
        try
        {
            var dec = UpdateDecoder.Create(update, v2);
            var result = new DecodedUpdate();
            ReadStructs(dec, result);
            result.DeleteSet = DeleteSet.Read(dec);
            // Yjs writes delete sets sorted and merged, so this changes nothing for them; for crafted input it keeps
            // applying the delete set linear (overlapping ranges would otherwise walk the same structs again and again).
            result.DeleteSet.SortAndMerge();
            return result;
        }
        catch (CrdtFormatException) { throw; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException or FormatException)
        {
            throw new CrdtFormatException("Malformed update: " + e.Message, e);
        }
    }

    public static void ReadStructs(UpdateDecoder dec, DecodedUpdate result)
    {
        var numClients = dec.Rest.ReadCount();
        var maxStructs = dec.RemainingHint;
        var seen = new Dictionary<ulong, int>();
        for (var i = 0; i < numClients; i++)
        {
            var numStructs = dec.Rest.ReadVarUint();
            if (numStructs > (ulong)maxStructs) throw new CrdtFormatException("Struct count exceeds the update");
            var client = dec.ReadClient();
            var clockU = dec.Rest.ReadVarUint();
            if (clockU > int.MaxValue) throw new CrdtFormatException("Clock out of range");
            var clock = (int)clockU;
            var refs = new List<StructBase>((int)Math.Min(numStructs, 1024));
            for (var k = 0UL; k < numStructs; k++)
            {
                var info = dec.ReadInfo();
                StructBase s;
                switch (info & 0x1f)
                {
                    case 0:
                        s = new GcStruct(client, clock, dec.ReadLen());
                        break;
                    case 10:
                    {
                        var len = dec.Rest.ReadVarUint();
                        if (len > int.MaxValue) throw new CrdtFormatException("Skip length out of range");
                        s = new SkipStruct(client, clock, (int)len);
                        break;
                    }
                    default:
                    {
                        var cantCopyParentInfo = (info & 0xc0) == 0;
                        Id? origin = (info & 0x80) != 0 ? dec.ReadLeftId() : null;
                        Id? rightOrigin = (info & 0x40) != 0 ? dec.ReadRightId() : null;
                        string? parentName = null;
                        Id? parentId = null;
                        string? parentSub = null;
                        if (cantCopyParentInfo)
                        {
                            if (dec.ReadParentInfo()) parentName = dec.ReadString();
                            else parentId = dec.ReadLeftId();
                            if ((info & 0x20) != 0) parentSub = dec.ReadString();
                        }
                        var content = Content.Read(dec, info);
                        var item = new Item(new Id(client, clock), null, origin, null, rightOrigin, null, parentSub, content)
                        {
                            ParentName = parentName,
                            ParentId = parentId,
                        };
                        // Dependencies on the same client must point backwards, otherwise integration could not find them.
                        if ((origin is { } o && o.Client == client && o.Clock >= clock)
                            || (rightOrigin is { } ro && ro.Client == client && ro.Clock >= clock)
                            || (parentId is { } pid && pid.Client == client && pid.Clock >= clock))
                            throw new CrdtFormatException("Item refers forward to its own client");
                        s = item;
                        break;
                    }
                }
                if (s.Length <= 0) throw new CrdtFormatException("Empty struct");
                if ((long)clock + s.Length > int.MaxValue) throw new CrdtFormatException("Clock out of range");
                clock += s.Length;
                refs.Add(s);
            }
            if (seen.TryGetValue(client, out var at))
            {
                // a client given twice: like Yjs's Map.set, the later block replaces the earlier one in place
                result.Blocks[at] = (client, refs);
            }
            else
            {
                seen[client] = result.Blocks.Count;
                result.Blocks.Add((client, refs));
            }
        }
    }
}
