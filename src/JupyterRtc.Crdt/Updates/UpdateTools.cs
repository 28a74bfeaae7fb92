using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt;

/// <summary>
/// Working with encoded updates without a document (Yjs mergeUpdates, diffUpdate, convertUpdateFormat,
/// encodeStateVectorFromUpdate). The output is byte-identical to Yjs. Malformed input throws <see cref="CrdtFormatException"/>.
/// </summary>
public static class UpdateTools
{
    public static byte[] MergeUpdates(IReadOnlyList<byte[]> updates) => UpdateMerge.MergeUpdates(updates, false);
    public static byte[] MergeUpdatesV2(IReadOnlyList<byte[]> updates) => UpdateMerge.MergeUpdates(updates, true);

    /// <summary>The part of <paramref name="update"/> not covered by the encoded state vector (the delete set is kept whole).</summary>
    public static byte[] DiffUpdate(byte[] update, byte[] stateVector) => UpdateMerge.DiffUpdate(update, StateVector.Decode(stateVector), false);
    public static byte[] DiffUpdateV2(byte[] update, byte[] stateVector) => UpdateMerge.DiffUpdate(update, StateVector.Decode(stateVector), true);

    public static byte[] ConvertUpdateFormatV1ToV2(byte[] update) => UpdateMerge.ConvertV1ToV2(update);
    public static byte[] ConvertUpdateFormatV2ToV1(byte[] update) => UpdateMerge.ConvertV2ToV1(update);

    /// <summary>The state vector an update brings a fresh document to (clients in the order they appear, as Yjs writes them).</summary>
    public static byte[] EncodeStateVectorFromUpdate(byte[] update) => EncodeSv(UpdateMerge.StateVectorFromUpdate(update, false));
    public static byte[] EncodeStateVectorFromUpdateV2(byte[] update) => EncodeSv(UpdateMerge.StateVectorFromUpdate(update, true));

    private static byte[] EncodeSv(Dictionary<ulong, int> sv)
    {
        var w = new Encoding.Lib0Writer();
        w.WriteVarUint((ulong)sv.Count);
        foreach (var (client, clock) in sv)
        {
            w.WriteVarUint(client);
            w.WriteVarUint((ulong)clock);
        }
        return w.ToArray();
    }
}
