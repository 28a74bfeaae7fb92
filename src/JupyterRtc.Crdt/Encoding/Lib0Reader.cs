using System.Buffers.Binary;
using System.Text;

namespace JupyterRtc.Crdt.Encoding;

/// <summary>
/// Reads lib0 primitives from a byte array. Every read is bounded by the remaining bytes, so garbage input
/// fails fast with <see cref="CrdtFormatException"/> instead of looping or allocating huge buffers.
/// </summary>
public sealed class Lib0Reader
{
    public const ulong MaxSafeInteger = (1UL << 53) - 1;
    // TextDecoder('utf-8', {fatal: true, ignoreBOM: true}): invalid UTF-8 throws, a BOM is kept.
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private const int MaxAnyDepth = 512;

    private readonly byte[] _buf;
    private int _pos;
    private readonly int _end;

    public Lib0Reader(byte[] buf) : this(buf, 0, buf.Length) { }

    public Lib0Reader(byte[] buf, int start, int end)
    {
        _buf = buf;
        _pos = start;
        _end = end;
    }

    public int Position => _pos;
    public int Remaining => _end - _pos;
    public bool HasContent => _pos < _end;
    internal byte[] Buffer => _buf;

    private static CrdtFormatException Eof() => new("Unexpected end of array");

    public byte ReadUint8()
    {
        if (_pos >= _end) throw Eof();
        return _buf[_pos++];
    }

    public ReadOnlySpan<byte> ReadBytes(int n)
    {
        if (n < 0 || n > _end - _pos) throw Eof();
        var s = _buf.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    /// <summary>A sub-reader over the next <paramref name="n"/> bytes (used for the v2 columns).</summary>
    public Lib0Reader ReadSubReader(int n)
    {
        if (n < 0 || n > _end - _pos) throw Eof();
        var r = new Lib0Reader(_buf, _pos, _pos + n);
        _pos += n;
        return r;
    }

    public ulong ReadVarUint()
    {
        ulong num = 0;
        var shift = 0;
        while (true)
        {
            if (_pos >= _end) throw Eof();
            var r = _buf[_pos++];
            if (shift > 56) throw new CrdtFormatException("Integer out of Range");
            num |= (ulong)(r & 0x7f) << shift;
            if (num > MaxSafeInteger) throw new CrdtFormatException("Integer out of Range");
            if (r < 0x80) return num;
            shift += 7;
        }
    }

    /// <summary>A varUint that must fit an int (lengths, clocks, counts).</summary>
    public int ReadVarUintAsInt()
    {
        var v = ReadVarUint();
        if (v > int.MaxValue) throw new CrdtFormatException("Integer out of Range");
        return (int)v;
    }

    /// <summary>A count of items that each need at least one more byte: bounded by the remaining bytes.</summary>
    public int ReadCount()
    {
        var v = ReadVarUint();
        if (v > (ulong)Remaining) throw new CrdtFormatException("Length exceeds the remaining bytes");
        return (int)v;
    }

    /// <summary>lib0 varInt. Returns the magnitude with its sign; <paramref name="negative"/> is also true for -0.</summary>
    public long ReadVarInt(out bool negative)
    {
        if (_pos >= _end) throw Eof();
        var r = _buf[_pos++];
        ulong num = (ulong)(r & 0x3f);
        var shift = 6;
        negative = (r & 0x40) != 0;
        if ((r & 0x80) != 0)
        {
            while (true)
            {
                if (_pos >= _end) throw Eof();
                r = _buf[_pos++];
                if (shift > 56) throw new CrdtFormatException("Integer out of Range");
                num |= (ulong)(r & 0x7f) << shift;
                if (num > MaxSafeInteger) throw new CrdtFormatException("Integer out of Range");
                if (r < 0x80) break;
                shift += 7;
            }
        }
        return negative ? -(long)num : (long)num;
    }

    public long ReadVarInt() => ReadVarInt(out _);

    public string ReadVarString()
    {
        var n = ReadVarUint();
        if (n > (ulong)(_end - _pos)) throw Eof();
        try
        {
            var s = StrictUtf8.GetString(_buf, _pos, (int)n);
            _pos += (int)n;
            return s;
        }
        catch (DecoderFallbackException e)
        {
            throw new CrdtFormatException("Invalid UTF-8 in string", e);
        }
    }

    public byte[] ReadVarUint8Array()
    {
        var n = ReadVarUint();
        if (n > (ulong)(_end - _pos)) throw Eof();
        return ReadBytes((int)n).ToArray();
    }

    public float ReadFloat32() => BinaryPrimitives.ReadSingleBigEndian(ReadBytes(4));
    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8));
    public long ReadBigInt64() => BinaryPrimitives.ReadInt64BigEndian(ReadBytes(8));

    public AnyValue ReadAny() => ReadAny(0);

    private AnyValue ReadAny(int depth)
    {
        if (depth > MaxAnyDepth) throw new CrdtFormatException("Any value nested too deeply");
        var tag = ReadUint8();
        switch (tag)
        {
            case 127: return AnyValue.Undefined;
            case 126: return AnyValue.Null;
            case 125:
            {
                var v = ReadVarInt(out var neg);
                return AnyValue.Number(v == 0 && neg ? -0.0 : v);
            }
            case 124: return AnyValue.Number(ReadFloat32());
            case 123: return AnyValue.Number(ReadFloat64());
            case 122: return AnyValue.BigInt(ReadBigInt64());
            case 121: return AnyValue.False;
            case 120: return AnyValue.True;
            case 119: return AnyValue.String(ReadVarString());
            case 118:
            {
                var n = ReadCount();
                var o = new JsObject(n);
                for (var i = 0; i < n; i++)
                {
                    var key = ReadVarString();
                    o.Set(key, ReadAny(depth + 1));
                }
                return AnyValue.Object(o);
            }
            case 117:
            {
                var n = ReadCount();
                var a = new List<AnyValue>(n);
                for (var i = 0; i < n; i++) a.Add(ReadAny(depth + 1));
                return AnyValue.Array(a);
            }
            case 116: return AnyValue.Bytes(ReadVarUint8Array());
            default: throw new CrdtFormatException($"Unknown Any tag {tag}");
        }
    }
}
