using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Updates;

/// <summary>Where each piece of a struct goes: v1 writes everything in sequence, v2 splits it into columns.</summary>
internal abstract class UpdateEncoder
{
    /// <summary>The framing stream (struct counts, clocks, delete set); in v2 appended after the columns.</summary>
    public Lib0Writer Rest = new(64);

    public abstract void WriteLeftId(Id id);
    public abstract void WriteRightId(Id id);
    public abstract void WriteClient(ulong client);
    public abstract void WriteInfo(byte info);
    public abstract void WriteString(string s);
    /// <summary>A string given as ASCII bytes (a compact text's content): the same wire bytes as the string.</summary>
    public abstract void WriteAsciiString(ReadOnlySpan<byte> ascii);
    public abstract void WriteParentInfo(bool isRootKey);
    public abstract void WriteTypeRef(int typeRef);
    public abstract void WriteLen(int len);
    public void WriteAny(AnyValue v) => Rest.WriteAny(v);
    public void WriteBuf(byte[] buf) => Rest.WriteVarUint8Array(buf);
    public abstract void WriteJson(AnyValue v);
    public abstract void WriteKey(string key);
    public abstract void ResetDsCurVal();
    public abstract void WriteDsClock(int clock);
    public abstract void WriteDsLen(int len);
    public abstract byte[] ToArray();
    public abstract bool IsV2 { get; }

    public static UpdateEncoder Create(bool v2) => v2 ? new UpdateEncoderV2() : new UpdateEncoderV1();
}

internal sealed class UpdateEncoderV1 : UpdateEncoder
{
    public override bool IsV2 => false;

    public override void WriteLeftId(Id id)
    {
        Rest.WriteVarUint(id.Client);
        Rest.WriteVarUint((ulong)id.Clock);
    }

    public override void WriteRightId(Id id) => WriteLeftId(id);
    public override void WriteClient(ulong client) => Rest.WriteVarUint(client);
    public override void WriteInfo(byte info) => Rest.WriteUint8(info);
    public override void WriteString(string s) => Rest.WriteVarString(s);
    public override void WriteAsciiString(ReadOnlySpan<byte> ascii) => Rest.WriteVarUint8Array(ascii);   // ASCII is its own UTF-8
    public override void WriteParentInfo(bool isRootKey) => Rest.WriteVarUint(isRootKey ? 1UL : 0UL);
    public override void WriteTypeRef(int typeRef) => Rest.WriteVarUint((ulong)typeRef);
    public override void WriteLen(int len) => Rest.WriteVarUint((ulong)len);

    // v1 carries format values and embeds as JSON text. Values that JSON cannot express (undefined, bigint) can arrive
    // in v2 updates; Yjs throws when it encodes them as v1, here undefined becomes null and a bigint its digits.
    public override void WriteJson(AnyValue v) => Rest.WriteVarString(Json.Stringify(v, bigIntAsNumber: true) ?? "null");

    public override void WriteKey(string key) => Rest.WriteVarString(key);
    public override void ResetDsCurVal() { }
    public override void WriteDsClock(int clock) => Rest.WriteVarUint((ulong)clock);
    public override void WriteDsLen(int len) => Rest.WriteVarUint((ulong)len);
    public override byte[] ToArray() => Rest.ToArray();
}

internal sealed class UpdateEncoderV2 : UpdateEncoder
{
    private readonly IntDiffOptRleEncoder _keyClock = new();
    private readonly UintOptRleEncoder _client = new();
    private readonly IntDiffOptRleEncoder _leftClock = new();
    private readonly IntDiffOptRleEncoder _rightClock = new();
    private readonly RleByteEncoder _info = new();
    private readonly StringColumnEncoder _string = new();
    private readonly RleByteEncoder _parentInfo = new();
    private readonly UintOptRleEncoder _typeRef = new();
    private readonly UintOptRleEncoder _len = new();
    private int _keyClockValue;
    private int _dsCurVal;

    public override bool IsV2 => true;

    public override void WriteLeftId(Id id)
    {
        _client.Write(id.Client);
        _leftClock.Write(id.Clock);
    }

    public override void WriteRightId(Id id)
    {
        _client.Write(id.Client);
        _rightClock.Write(id.Clock);
    }

    public override void WriteClient(ulong client) => _client.Write(client);
    public override void WriteInfo(byte info) => _info.Write(info);
    public override void WriteString(string s) => _string.Write(s);
    public override void WriteAsciiString(ReadOnlySpan<byte> ascii) => _string.WriteAscii(ascii);
    public override void WriteParentInfo(bool isRootKey) => _parentInfo.Write(isRootKey ? (byte)1 : (byte)0);
    public override void WriteTypeRef(int typeRef) => _typeRef.Write((ulong)typeRef);
    public override void WriteLen(int len) => _len.Write((ulong)len);
    public override void WriteJson(AnyValue v) => Rest.WriteAny(v);

    public override void WriteKey(string key)
    {
        // Yjs's key cache is disabled: every key is written fresh with the next key clock
        _keyClock.Write(_keyClockValue++);
        _string.Write(key);
    }

    public override void ResetDsCurVal() => _dsCurVal = 0;

    public override void WriteDsClock(int clock)
    {
        var diff = clock - _dsCurVal;
        _dsCurVal = clock;
        Rest.WriteVarUint((ulong)diff);
    }

    public override void WriteDsLen(int len)
    {
        if (len == 0) throw new InvalidOperationException("empty delete range");
        Rest.WriteVarUint((ulong)(len - 1));
        _dsCurVal += len;
    }

    public override byte[] ToArray()
    {
        var w = new Lib0Writer(Rest.Length + 64);
        w.WriteVarUint(0UL);
        w.WriteVarUint8Array(_keyClock.ToSpan());
        w.WriteVarUint8Array(_client.ToSpan());
        w.WriteVarUint8Array(_leftClock.ToSpan());
        w.WriteVarUint8Array(_rightClock.ToSpan());
        w.WriteVarUint8Array(_info.ToSpan());
        w.WriteVarUint8Array(_string.ToArray());
        w.WriteVarUint8Array(_parentInfo.ToSpan());
        w.WriteVarUint8Array(_typeRef.ToSpan());
        w.WriteVarUint8Array(_len.ToSpan());
        w.WriteBytes(Rest.WrittenSpan);
        return w.ToArray();
    }
}
