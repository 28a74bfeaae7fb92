using System.Buffers.Binary;
using System.Text;

namespace JupyterRtc.Crdt.Encoding;

/// <summary>
/// A growable byte buffer that writes lib0's primitives exactly as npm lib0 does:
/// little-endian base-128 varUints, sign-bit varInts (not zig-zag, so -0 exists),
/// UTF-8 strings with a byte-length prefix, big-endian fixed-width numbers, and writeAny.
/// </summary>
public sealed class Lib0Writer
{
    // TextEncoder semantics: a lone surrogate becomes U+FFFD (EF BF BD). The default UTF8 encoding does that.
    private static readonly UTF8Encoding Utf8 = new(false, false);
    private byte[] _buf;
    private int _pos;

    public Lib0Writer(int capacity = 64) => _buf = new byte[Math.Max(capacity, 16)];

    public int Length => _pos;

    private void Ensure(int extra)
    {
        if (_pos + extra <= _buf.Length) return;
        var n = Math.Max(_buf.Length * 2, _pos + extra);
        Array.Resize(ref _buf, n);
    }

    public void Clear() => _pos = 0;

    public byte[] ToArray() => _buf.AsSpan(0, _pos).ToArray();

    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(0, _pos);
    public ReadOnlyMemory<byte> WrittenMemory => _buf.AsMemory(0, _pos);

    public void WriteUint8(byte b)
    {
        if (_pos == _buf.Length) Ensure(1);
        _buf[_pos++] = b;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buf.AsSpan(_pos));
        _pos += bytes.Length;
    }

    public void WriteVarUint(ulong v)
    {
        Ensure(10);
        while (v > 127)
        {
            _buf[_pos++] = (byte)(0x80 | (v & 0x7f));
            v >>= 7;
        }
        _buf[_pos++] = (byte)v;
    }

    public void WriteVarUint(int v) => WriteVarUint((ulong)(uint)v);

    /// <summary>lib0 varInt: first byte carries continue (0x80), sign (0x40) and 6 bits; <paramref name="negativeZero"/> writes -0 (0x40).</summary>
    public void WriteVarInt(long v, bool negativeZero = false)
    {
        Ensure(11);
        var neg = v < 0 || (v == 0 && negativeZero);
        var m = neg ? (ulong)(-v) : (ulong)v;
        _buf[_pos++] = (byte)((m > 63 ? 0x80 : 0) | (neg ? 0x40 : 0) | (int)(m & 0x3f));
        m >>= 6;
        while (m > 0)
        {
            _buf[_pos++] = (byte)((m > 127 ? 0x80 : 0) | (int)(m & 0x7f));
            m >>= 7;
        }
    }

    public void WriteVarString(string s)
    {
        var n = Utf8.GetByteCount(s);
        WriteVarUint((ulong)n);
        Ensure(n);
        _pos += Utf8.GetBytes(s, 0, s.Length, _buf, _pos);
    }

    public void WriteVarUint8Array(ReadOnlySpan<byte> bytes)
    {
        WriteVarUint((ulong)bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteFloat32(float f)
    {
        Ensure(4);
        BinaryPrimitives.WriteSingleBigEndian(_buf.AsSpan(_pos), f);
        _pos += 4;
    }

    public void WriteFloat64(double d)
    {
        Ensure(8);
        // JS writes the canonical quiet NaN (7ff8…); .NET's double.NaN has the sign bit set
        if (double.IsNaN(d)) BinaryPrimitives.WriteInt64BigEndian(_buf.AsSpan(_pos), 0x7ff8000000000000L);
        else BinaryPrimitives.WriteDoubleBigEndian(_buf.AsSpan(_pos), d);
        _pos += 8;
    }

    public void WriteBigInt64(long v)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_buf.AsSpan(_pos), v);
        _pos += 8;
    }

    /// <summary>lib0 writeAny. Numbers are classified by value: int31 → varInt, float32-exact → float32, else float64.</summary>
    public void WriteAny(AnyValue v)
    {
        switch (v.Kind)
        {
            case AnyKind.Undefined: WriteUint8(127); break;
            case AnyKind.Null: WriteUint8(126); break;
            case AnyKind.Boolean: WriteUint8(v.AsBoolean() ? (byte)120 : (byte)121); break;
            case AnyKind.Number:
            {
                var x = v.AsNumber();
                if (Math.Floor(x) == x && Math.Abs(x) <= int.MaxValue)
                {
                    WriteUint8(125);
                    WriteVarInt((long)x, x == 0 && double.IsNegative(x));
                }
                else if ((double)(float)x == x)
                {
                    WriteUint8(124);
                    WriteFloat32((float)x);
                }
                else
                {
                    WriteUint8(123);
                    WriteFloat64(x);
                }
                break;
            }
            case AnyKind.BigInt: WriteUint8(122); WriteBigInt64(v.AsBigInt()); break;
            case AnyKind.String: WriteUint8(119); WriteVarString(v.AsString()); break;
            case AnyKind.Object:
            {
                WriteUint8(118);
                var o = v.AsObject();
                WriteVarUint((ulong)o.Count);
                foreach (var kv in o)
                {
                    WriteVarString(kv.Key);
                    WriteAny(kv.Value);
                }
                break;
            }
            case AnyKind.Array:
            {
                WriteUint8(117);
                var a = v.AsArray();
                WriteVarUint((ulong)a.Count);
                foreach (var e in a) WriteAny(e);
                break;
            }
            case AnyKind.Bytes: WriteUint8(116); WriteVarUint8Array(v.AsBytes()); break;
            default: throw new InvalidOperationException("unknown Any kind");
        }
    }
}
