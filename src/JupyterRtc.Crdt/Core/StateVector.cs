using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt;

/// <summary>State vectors: the next expected clock per client. Encoded as varUint pairs, clients in descending order.</summary>
public static class StateVector
{
    public static byte[] Encode(IReadOnlyDictionary<ulong, int> sv)
    {
        var w = new Lib0Writer(4 + sv.Count * 8);
        w.WriteVarUint((ulong)sv.Count);
        foreach (var (client, clock) in sv.OrderByDescending(kv => kv.Key))
        {
            w.WriteVarUint(client);
            w.WriteVarUint((ulong)clock);
        }
        return w.ToArray();
    }

    public static Dictionary<ulong, int> Decode(byte[] bytes)
    {
        var r = new Lib0Reader(bytes);
        var n = r.ReadCount();
        var sv = new Dictionary<ulong, int>(n);
        for (var i = 0; i < n; i++)
        {
            var client = r.ReadVarUint();
            var clock = r.ReadVarUintAsInt();
            sv[client] = clock;
        }
        return sv;
    }
}
