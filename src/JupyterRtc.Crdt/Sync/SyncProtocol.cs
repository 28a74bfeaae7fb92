using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Sync;

public enum SyncMessageType { SyncStep1 = 0, SyncStep2 = 1, Update = 2 }

/// <summary>A decoded y-protocols sync message: step 1 carries a state vector, step 2 and update carry a v1 update.</summary>
public readonly record struct SyncMessage(SyncMessageType Type, byte[] Payload);

/// <summary>
/// The y-protocols sync protocol (v1 updates only) as pure functions: step 1 = 0 + state vector,
/// step 2 = 1 + the update the peer lacks, update = 2 + update. The provider's outer framing is not included.
/// </summary>
public static class SyncProtocol
{
    public static byte[] EncodeSyncStep1(Doc doc) => Encode(SyncMessageType.SyncStep1, doc.EncodeStateVector());

    /// <summary>Step 2: everything <paramref name="doc"/> has that the peer with <paramref name="remoteStateVector"/> lacks.</summary>
    public static byte[] EncodeSyncStep2(Doc doc, byte[]? remoteStateVector) =>
        Encode(SyncMessageType.SyncStep2, doc.EncodeStateAsUpdate(remoteStateVector));

    public static byte[] EncodeUpdate(byte[] update) => Encode(SyncMessageType.Update, update);

    public static byte[] Encode(SyncMessageType type, byte[] payload)
    {
        var w = new Lib0Writer(payload.Length + 8);
        w.WriteVarUint((ulong)type);
        w.WriteVarUint8Array(payload);
        return w.ToArray();
    }

    /// <summary>Reads one sync message from <paramref name="reader"/> (which may hold more data after it).</summary>
    public static SyncMessage Read(Lib0Reader reader)
    {
        var type = reader.ReadVarUint();
        if (type > 2) throw new CrdtFormatException("Unknown message type");
        return new SyncMessage((SyncMessageType)type, reader.ReadVarUint8Array());
    }

    public static SyncMessage Decode(byte[] message) => Read(new Lib0Reader(message));

    /// <summary>
    /// y-protocols readSyncMessage: answers step 1 with step 2 (returned), applies step 2 and updates to
    /// <paramref name="doc"/>. A malformed update is reported to <paramref name="onError"/> (if given) and otherwise
    /// ignored, as y-protocols does; the document stays unchanged.
    /// </summary>
    public static byte[]? Handle(Doc doc, SyncMessage message, object? origin = null, Action<CrdtFormatException>? onError = null)
    {
        switch (message.Type)
        {
            case SyncMessageType.SyncStep1:
                return EncodeSyncStep2(doc, message.Payload);
            default:
                try
                {
                    doc.ApplyUpdate(message.Payload, origin);
                }
                catch (CrdtFormatException e)
                {
                    onError?.Invoke(e);
                }
                return null;
        }
    }
}
