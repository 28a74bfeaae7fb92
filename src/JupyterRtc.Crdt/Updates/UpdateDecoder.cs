using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Updates;

/// <summary>The mirror of <see cref="UpdateEncoder"/>. All reads validate ranges and throw <see cref="CrdtFormatException"/>.</summary>
internal abstract class UpdateDecoder
{
    public readonly Lib0Reader Rest;

    protected UpdateDecoder(Lib0Reader rest) => Rest = rest;

    /// <summary>An upper bound for element counts: each element needs at least one byte somewhere in the update.</summary>
    public abstract int RemainingHint { get; }

    public abstract Id ReadLeftId();
    public abstract Id ReadRightId();
    public abstract ulong ReadClient();
    public abstract byte ReadInfo();
    public abstract string ReadString();
    public abstract bool ReadParentInfo();
    public abstract int ReadTypeRef();
    public abstract int ReadLen();
    public AnyValue ReadAny() => Rest.ReadAny();
    public byte[] ReadBuf() => Rest.ReadVarUint8Array();
    public abstract AnyValue ReadJson();
    public abstract string ReadKey();
    public abstract void ResetDsCurVal();
    public abstract int ReadDsClock();
    public abstract int ReadDsLen();

    public static UpdateDecoder Create(byte[] update, bool v2) =>
        v2 ? new UpdateDecoderV2(new Lib0Reader(update)) : new UpdateDecoderV1(new Lib0Reader(update));

    protected static int ToClock(ulong v) =>
        v > int.MaxValue ? throw new CrdtFormatException("Clock out of range") : (int)v;

    protected static int ToClock(long v) =>
        v < 0 || v > int.MaxValue ? throw new CrdtFormatException("Clock out of range") : (int)v;

    protected static ulong ToClient(ulong v) =>
        v > Lib0Reader.MaxSafeInteger ? throw new CrdtFormatException("Client id out of range") : v;
}

internal sealed class UpdateDecoderV1(Lib0Reader r) : UpdateDecoder(r)
{
    public override int RemainingHint => Rest.Remaining;
    public override Id ReadLeftId() => new(Rest.ReadVarUint(), ToClock(Rest.ReadVarUint()));
    public override Id ReadRightId() => ReadLeftId();
    public override ulong ReadClient() => Rest.ReadVarUint();
    public override byte ReadInfo() => Rest.ReadUint8();
    public override string ReadString() => Rest.ReadVarString();
    public override bool ReadParentInfo() => Rest.ReadVarUint() == 1;
    public override int ReadTypeRef() => ToClock(Rest.ReadVarUint());
    public override int ReadLen() => ToClock(Rest.ReadVarUint());
    public override AnyValue ReadJson() => Json.Parse(Rest.ReadVarString());
    public override string ReadKey() => Rest.ReadVarString();
    public override void ResetDsCurVal() { }
    public override int ReadDsClock() => ToClock(Rest.ReadVarUint());
    public override int ReadDsLen() => ToClock(Rest.ReadVarUint());
}

internal sealed class UpdateDecoderV2 : UpdateDecoder
{
    private readonly IntDiffOptRleDecoder _keyClock;
    private readonly UintOptRleDecoder _client;
    private readonly IntDiffOptRleDecoder _leftClock;
    private readonly IntDiffOptRleDecoder _rightClock;
    private readonly RleByteDecoder _info;
    private readonly StringColumnDecoder _string;
    private readonly RleByteDecoder _parentInfo;
    private readonly UintOptRleDecoder _typeRef;
    private readonly UintOptRleDecoder _len;
    private readonly List<string> _keys = new();
    private readonly int _total;
    private int _dsCurVal;

    /// <summary>A decoder for a bare v2 delete set (DSDecoderV2: snapshots), with no columns.</summary>
    public static UpdateDecoderV2 DeleteSetOnly(Lib0Reader r) => new(r, true);

    private UpdateDecoderV2(Lib0Reader r, bool deleteSetOnly) : base(r)
    {
        _total = r.Remaining;
        var empty = new Lib0Reader([]);
        _keyClock = new IntDiffOptRleDecoder(empty);
        _client = new UintOptRleDecoder(empty);
        _leftClock = new IntDiffOptRleDecoder(empty);
        _rightClock = new IntDiffOptRleDecoder(empty);
        _info = new RleByteDecoder(empty);
        _string = new StringColumnDecoder(empty);
        _parentInfo = new RleByteDecoder(empty);
        _typeRef = new UintOptRleDecoder(empty);
        _len = new UintOptRleDecoder(empty);
    }

    public UpdateDecoderV2(Lib0Reader r) : base(r)
    {
        _total = r.Remaining;
        r.ReadVarUint(); // feature flag, ignored
        _keyClock = new IntDiffOptRleDecoder(r.ReadSubReader(ReadColLen(r)));
        _client = new UintOptRleDecoder(r.ReadSubReader(ReadColLen(r)));
        _leftClock = new IntDiffOptRleDecoder(r.ReadSubReader(ReadColLen(r)));
        _rightClock = new IntDiffOptRleDecoder(r.ReadSubReader(ReadColLen(r)));
        _info = new RleByteDecoder(r.ReadSubReader(ReadColLen(r)));
        _string = new StringColumnDecoder(r.ReadSubReader(ReadColLen(r)));
        _parentInfo = new RleByteDecoder(r.ReadSubReader(ReadColLen(r)));
        _typeRef = new UintOptRleDecoder(r.ReadSubReader(ReadColLen(r)));
        _len = new UintOptRleDecoder(r.ReadSubReader(ReadColLen(r)));
    }

    private static int ReadColLen(Lib0Reader r)
    {
        var n = r.ReadVarUint();
        if (n > (ulong)r.Remaining) throw new CrdtFormatException("Unexpected end of array");
        return (int)n;
    }

    // Run-length columns can repeat a value many times from few bytes; the whole update size still bounds
    // what a legitimate element count can be (every element needs a byte somewhere).
    public override int RemainingHint => (int)Math.Min(int.MaxValue, (long)_total * 8 + 64);

    public override Id ReadLeftId() => new(ToClient(_client.Read()), ToClock(_leftClock.Read()));
    public override Id ReadRightId() => new(ToClient(_client.Read()), ToClock(_rightClock.Read()));
    public override ulong ReadClient() => ToClient(_client.Read());
    public override byte ReadInfo() => _info.Read();
    public override string ReadString() => _string.Read();
    public override bool ReadParentInfo() => _parentInfo.Read() == 1;
    public override int ReadTypeRef() => ToClock(_typeRef.Read());
    public override int ReadLen() => ToClock(_len.Read());
    public override AnyValue ReadJson() => Rest.ReadAny();

    public override string ReadKey()
    {
        var keyClock = _keyClock.Read();
        if (keyClock >= 0 && keyClock < _keys.Count) return _keys[(int)keyClock];
        var key = _string.Read();
        _keys.Add(key);
        return key;
    }

    public override void ResetDsCurVal() => _dsCurVal = 0;

    public override int ReadDsClock()
    {
        var v = (long)_dsCurVal + (long)Rest.ReadVarUint();
        _dsCurVal = ToClock(v);
        return _dsCurVal;
    }

    public override int ReadDsLen()
    {
        var diff = (long)Rest.ReadVarUint() + 1;
        _dsCurVal = ToClock(_dsCurVal + diff);
        return (int)diff;
    }
}
