using System.Text;

namespace JupyterRtc.Crdt.Encoding;

// The column encoders of lib0 that update v2 uses. Their quirks are kept on purpose (see yjs-format.md §1.6):
// RleEncoder never writes the last count, UintOptRle writes a run of zeros as -0, IntDiffOptRle uses floor division.

/// <summary>Run-length encoding of bytes: value, then (count−1) before the next value; the last count is omitted.</summary>
internal sealed class RleByteEncoder
{
    public readonly Lib0Writer W = new(16);
    private int _s = -1;
    private ulong _count;

    public void Write(byte v)
    {
        if (_s == v) { _count++; return; }
        if (_count > 0) W.WriteVarUint(_count - 1);
        _count = 1;
        W.WriteUint8(v);
        _s = v;
    }

    public ReadOnlySpan<byte> ToSpan() => W.WrittenSpan;
}

internal sealed class RleByteDecoder(Lib0Reader r)
{
    private byte _s;
    private long _count;

    public byte Read()
    {
        if (_count == 0)
        {
            _s = r.ReadUint8();
            // without more bytes the value repeats forever
            _count = r.HasContent ? (long)r.ReadVarUint() + 1 : -1;
        }
        _count--;
        return _s;
    }
}

/// <summary>Unsigned values; a run is written as −value followed by (count−2).</summary>
internal sealed class UintOptRleEncoder
{
    public readonly Lib0Writer W = new(16);
    private ulong _s;
    private ulong _count;

    public void Write(ulong v)
    {
        if (_s == v) { _count++; return; }
        Flush();
        _count = 1;
        _s = v;
    }

    private void Flush()
    {
        if (_count == 0) return;
        // a run of zeros becomes -0 (0x40)
        if (_count == 1) W.WriteVarInt((long)_s);
        else
        {
            W.WriteVarInt(-(long)_s, _s == 0);
            W.WriteVarUint(_count - 2);
        }
    }

    public ReadOnlySpan<byte> ToSpan()
    {
        Flush();
        _count = 0;
        return W.WrittenSpan;
    }
}

internal sealed class UintOptRleDecoder(Lib0Reader r)
{
    private ulong _s;
    private ulong _count;

    public ulong Read()
    {
        if (_count == 0)
        {
            var v = r.ReadVarInt(out var neg);
            _count = 1;
            if (neg)
            {
                _s = (ulong)(-v);
                _count = r.ReadVarUint() + 2;
            }
            else _s = (ulong)v;
        }
        _count--;
        return _s;
    }
}

/// <summary>Differences between consecutive values: varInt(diff*2 + hasCount), then (count−2) if hasCount.</summary>
internal sealed class IntDiffOptRleEncoder
{
    public readonly Lib0Writer W = new(16);
    private long _s;
    private ulong _count;
    private long _diff;

    public void Write(long v)
    {
        if (_diff == v - _s)
        {
            _s = v;
            _count++;
            return;
        }
        Flush();
        _count = 1;
        _diff = v - _s;
        _s = v;
    }

    private void Flush()
    {
        if (_count == 0) return;
        W.WriteVarInt(_diff * 2 + (_count == 1 ? 0 : 1));
        if (_count > 1) W.WriteVarUint(_count - 2);
    }

    public ReadOnlySpan<byte> ToSpan()
    {
        Flush();
        _count = 0;
        return W.WrittenSpan;
    }
}

internal sealed class IntDiffOptRleDecoder(Lib0Reader r)
{
    private long _s;
    private ulong _count;
    private long _diff;

    public long Read()
    {
        if (_count == 0)
        {
            var d = r.ReadVarInt();
            var hasCount = d & 1;
            _diff = d >> 1; // arithmetic shift = Math.floor(d / 2), which lib0 uses
            _count = 1;
            if (hasCount != 0) _count = r.ReadVarUint() + 2;
        }
        _s += _diff;
        _count--;
        return _s;
    }
}

/// <summary>All strings concatenated into one UTF-8 varString, then their UTF-16 lengths as UintOptRle.</summary>
internal sealed class StringColumnEncoder
{
    private readonly StringBuilder _sb = new();
    private readonly UintOptRleEncoder _lens = new();

    public void Write(string s)
    {
        _sb.Append(s);
        _lens.Write((ulong)s.Length);
    }

    public void WriteAscii(ReadOnlySpan<byte> ascii)
    {
        Core.ContentString.AppendAscii(_sb, ascii);
        _lens.Write((ulong)ascii.Length);
    }

    public byte[] ToArray()
    {
        var w = new Lib0Writer(_sb.Length + 16);
        // encoding the concatenation (not each piece) joins surrogate halves split across strings, as lib0 does
        w.WriteVarString(_sb.ToString());
        w.WriteBytes(_lens.ToSpan());
        return w.ToArray();
    }
}

internal sealed class StringColumnDecoder
{
    private readonly string _str;
    private readonly UintOptRleDecoder _lens;
    private int _pos;

    public StringColumnDecoder(Lib0Reader r)
    {
        _str = r.HasContent ? r.ReadVarString() : "";
        _lens = new UintOptRleDecoder(r);
    }

    public string Read()
    {
        var len = _lens.Read();
        if (len > (ulong)(_str.Length - _pos)) throw new CrdtFormatException("String column exhausted");
        var s = _str.Substring(_pos, (int)len);
        _pos += (int)len;
        return s;
    }
}
