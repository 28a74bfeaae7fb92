using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Sync;

namespace JupyterRtc.Collaboration.Protocol;

/// <summary>The first varUint of every room message (y-websocket's framing plus jupyter-collaboration's RAW).</summary>
public enum RoomMessageType : ulong
{
    Sync = 0,
    Awareness = 1,
    /// <summary>jupyter-collaboration's RAW: a varString of JSON or <c>save</c>; y-websocket reads it as "auth".</summary>
    Raw = 2,
    QueryAwareness = 3,
}

/// <summary>Encoding and decoding of room frames. Pure functions: bytes in, bytes out.</summary>
public static class RoomMessages
{
    /// <summary><c>[0, 0, stateVector]</c>: the server's sync step 1, sent on every connection.</summary>
    public static byte[] SyncStep1(Doc doc) => Prefix(RoomMessageType.Sync, SyncProtocol.EncodeSyncStep1(doc));

    /// <summary><c>[0, 1, update]</c>: what the peer with this state vector lacks (possibly the empty update).</summary>
    public static byte[] SyncStep2(Doc doc, byte[] remoteStateVector) => Prefix(RoomMessageType.Sync, SyncProtocol.EncodeSyncStep2(doc, remoteStateVector));

    /// <summary><c>[0, 2, update]</c>, built once per change and sent to every client.</summary>
    public static byte[] Update(byte[] update)
    {
        var w = new Lib0Writer(update.Length + 8);
        w.WriteVarUint((ulong)RoomMessageType.Sync);
        w.WriteVarUint((ulong)SyncMessageType.Update);
        w.WriteVarUint8Array(update);
        return w.ToArray();
    }

    public static byte[] Awareness(byte[] awarenessUpdate)
    {
        var w = new Lib0Writer(awarenessUpdate.Length + 8);
        w.WriteVarUint((ulong)RoomMessageType.Awareness);
        w.WriteVarUint8Array(awarenessUpdate);
        return w.ToArray();
    }

    /// <summary>A RAW reply: <c>[2, varString(json)]</c>. JSON text is never empty, so its length (the first varUint a
    /// y-websocket client reads as an auth status) is never the 0 that would mean "permission denied".</summary>
    public static byte[] RawJson(string json)
    {
        var w = new Lib0Writer(json.Length + 8);
        w.WriteVarUint((ulong)RoomMessageType.Raw);
        w.WriteVarString(json);
        return w.ToArray();
    }

    public static byte[] SaveRequest(ulong id)
    {
        var w = new Lib0Writer(16);
        w.WriteVarUint((ulong)RoomMessageType.Raw);
        w.WriteVarString("save");
        w.WriteVarUint(id);
        return w.ToArray();
    }

    private static byte[] Prefix(RoomMessageType type, byte[] body)
    {
        var result = new byte[body.Length + 1];
        result[0] = (byte)type;
        body.CopyTo(result, 1);
        return result;
    }
}
