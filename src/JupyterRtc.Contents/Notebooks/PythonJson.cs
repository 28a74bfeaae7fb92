using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// Writes UTF-8 JSON the way nbformat does: <c>json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False,
/// separators=(",", ": "))</c>. Byte-identical output matters: notebooks saved by JupyterRtc and by Jupyter must not
/// differ in version control. <see cref="NotebookFormat"/> drives it with nbformat's line splitting.
/// Strings are transcoded from the escaped bytes of the parsed document (<see cref="TapeValue.Raw"/>), not decoded into
/// .NET strings and re-escaped: a 20 MB notebook is written without a string per line.
/// </summary>
public sealed class PythonJson
{
    private byte[] _buffer;
    private int _length;

    public PythonJson(int capacity = 4096) => _buffer = new byte[Math.Max(capacity, 64)];

    /// <summary>A writer that hands its output to <paramref name="sink"/> when told to (<see cref="FlushIfAbove"/>).</summary>
    public PythonJson(int capacity, ByteSink sink) : this(capacity) => _sink = sink;

    private readonly ByteSink? _sink;

    /// <summary>
    /// Hands what has been written to the sink once it is at least <paramref name="bytes"/>. Only between two values:
    /// a string's slow path rewinds into what it wrote.
    /// </summary>
    public void FlushIfAbove(int bytes)
    {
        if (_sink == null || _length < bytes) return;
        _sink(_buffer.AsSpan(0, _length));
        _length = 0;
    }

    public int Length => _length;

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public static string Dumps(TapeValue value)
    {
        var w = new PythonJson();
        w.Value(value, 0);
        return Encoding.UTF8.GetString(w._buffer, 0, w._length);
    }

    // ---- raw output -------------------------------------------------------------------------------------------------

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var bigger = new byte[Math.Max(_buffer.Length * 2, _length + count)];
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            _buffer = bigger;
        }
        return _buffer.AsSpan(_length, count);
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void Raw(byte b)
    {
        Reserve(1)[0] = b;
        _length++;
    }

    private void Utf8(ReadOnlySpan<char> text)
    {
        var span = Reserve(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, span);
    }

    public void NewLine(int level)
    {
        var span = Reserve(level + 1);
        span[0] = (byte)'\n';
        span[1..].Fill((byte)' ');
        _length += level + 1;
    }

    // ---- values -----------------------------------------------------------------------------------------------------

    /// <summary>Any JSON value, keys sorted, indented one space per level.</summary>
    public void Value(TapeValue e, int level)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var props = SortedProperties(e);
                if (props.Count == 0) { Raw("{}"u8); return; }
                Raw((byte)'{');
                for (var i = 0; i < props.Count; i++)
                {
                    if (i > 0) Raw((byte)',');
                    NewLine(level + 1);
                    Name(props[i]);
                    Value(props[i].Value, level + 1);
                }
                NewLine(level);
                Raw((byte)'}');
                return;
            }
            case JsonValueKind.Array:
            {
                if (e.GetArrayLength() == 0) { Raw("[]"u8); return; }
                Raw((byte)'[');
                var first = true;
                foreach (var item in e.EnumerateArray())
                {
                    if (!first) Raw((byte)',');
                    first = false;
                    NewLine(level + 1);
                    Value(item, level + 1);
                }
                NewLine(level);
                Raw((byte)']');
                return;
            }
            case JsonValueKind.String: String(e); return;
            case JsonValueKind.Number: Number(e); return;
            case JsonValueKind.True: Raw("true"u8); return;
            case JsonValueKind.False: Raw("false"u8); return;
            default: Raw("null"u8); return;
        }
    }

    /// <summary>A property's name and the <c>": "</c> separator.</summary>
    public void Name(TapeProperty p)
    {
        if (!p.NameIsEscaped)
        {
            Raw((byte)'"');
            Raw(p.RawName);
            Raw("\": "u8);
        }
        else
        {
            String(p.Name);
            Raw(": "u8);
        }
    }

    /// <summary>
    /// An object's properties in Python's order (by code point), the last of duplicated keys kept, as Python does. Names
    /// are compared as their UTF-8 bytes, whose order is code point order: no string per name (a 20 MB notebook has
    /// ~20,000 objects). An object with an escaped name (rare) is sorted by decoded names instead.
    /// </summary>
    public static List<TapeProperty> SortedProperties(TapeValue obj)
    {
        var props = new List<TapeProperty>();
        var escaped = false;
        foreach (var p in obj.EnumerateObject())
        {
            var raw = p.RawName;
            escaped |= p.NameIsEscaped;
            var existing = -1;
            for (var i = 0; i < props.Count; i++)
                if (escaped ? props[i].NameEquals(p.Name) : props[i].RawName.SequenceEqual(raw)) { existing = i; break; }
            if (existing >= 0) props[existing] = p; else props.Add(p);
        }
        if (props.Count > 1)
        {
            if (escaped) props.Sort((a, b) => CompareCodePoints(a.Name, b.Name));
            else props.Sort(static (a, b) => a.RawName.SequenceCompareTo(b.RawName));
        }
        return props;
    }

    /// <summary>A property's name as UTF-8: its raw bytes, decoded only when escaped.</summary>
    public static ReadOnlySpan<byte> NameBytes(TapeProperty p) =>
        p.NameIsEscaped ? Encoding.UTF8.GetBytes(p.Name) : p.RawName;

    private void Number(TapeValue e)
    {
        var raw = e.Raw;
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0) { Raw(raw.SequenceEqual("-0"u8) ? "0"u8 : raw); return; }
        Utf8(FloatRepr(double.Parse(Encoding.ASCII.GetString(raw), NumberStyles.Float, CultureInfo.InvariantCulture)));
    }

    /// <summary>Python sorts str keys by code point; UTF-16 ordinal order differs only around surrogates.</summary>
    internal static int CompareCodePoints(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var ca = a[i]; var cb = b[i];
            if (ca == cb) continue;
            var sa = char.IsSurrogate(ca); var sb = char.IsSurrogate(cb);
            if (sa != sb) return sa ? 1 : -1; // a surrogate (astral code point) sorts above every BMP character
            return ca.CompareTo(cb);
        }
        return a.Length.CompareTo(b.Length);
    }

    // ---- strings ----------------------------------------------------------------------------------------------------

    /// <summary>A JSON string element as Python writes it with <c>ensure_ascii=False</c>.</summary>
    public void String(TapeValue e)
    {
        var raw = e.Raw;
        if (!e.IsEscaped) { Raw(raw); return; }    // nothing escaped (the parser saw no backslash): Python writes exactly these bytes
        var start = _length;
        if (Transcode(raw[1..^1], lines: false, 0)) return;
        _length = start;
        String(e.GetString()!);
    }

    /// <summary>A multi-line string element as nbformat stores it: the list of its lines (<c>splitlines(True)</c>).</summary>
    public void Lines(TapeValue e, int level)
    {
        var raw = e.Raw;
        var start = _length;
        if (!Transcode(raw[1..^1], lines: true, level))
        {
            _length = start;
            Lines(NotebookFormat.Split(e.GetString()!), level);
        }
    }

    /// <summary>An array of strings (the lines of a split multi-line string).</summary>
    public void Lines(List<string> lines, int level)
    {
        if (lines.Count == 0) { Raw("[]"u8); return; }
        Raw((byte)'[');
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0) Raw((byte)',');
            NewLine(level + 1);
            String(lines[i]);
        }
        NewLine(level);
        Raw((byte)']');
    }

    /// <summary>
    /// Re-escapes the content of a JSON string (between its quotes) in Python's style, optionally as a list of lines.
    /// Returns false, having written garbage past the caller's mark, for the rare input it leaves to the slow path
    /// (escaped surrogates, which need pairing checks).
    /// </summary>
    private bool Transcode(ReadOnlySpan<byte> s, bool lines, int level)
    {
        var lineCount = 0;
        var inLine = false;
        if (!lines) Raw((byte)'"');

        void Open()
        {
            if (!lines || inLine) return;
            Raw(lineCount == 0 ? (byte)'[' : (byte)',');
            NewLine(level + 1);
            Raw((byte)'"');
            inLine = true;
            lineCount++;
        }
        void Close()
        {
            if (!lines || !inLine) return;
            Raw((byte)'"');
            inLine = false;
        }

        var i = 0;
        while (i < s.Length)
        {
            // Copy the run up to the next escape or raw line separator (U+0085: C2 85, U+2028/9: E2 80 A8/A9).
            var run = s[i..].IndexOfAny((byte)'\\', (byte)0xC2, (byte)0xE2);
            if (run < 0) run = s.Length - i;
            if (run > 0) { Open(); Raw(s.Slice(i, run)); i += run; continue; }
            var b = s[i];
            if (b == 0xC2)
            {
                Open();
                var isNel = i + 1 < s.Length && s[i + 1] == 0x85;
                Raw(s.Slice(i, 2));
                i += 2;
                if (isNel) Close();
                continue;
            }
            if (b == 0xE2)
            {
                Open();
                var isSep = i + 2 < s.Length && s[i + 1] == 0x80 && s[i + 2] is 0xA8 or 0xA9;
                Raw(s.Slice(i, 3));
                i += 3;
                if (isSep) Close();
                continue;
            }
            // An escape: \" \\ \/ \b \f \n \r \t or \uXXXX.
            var c = s[i + 1];
            int cp;
            var width = 2;
            switch (c)
            {
                case (byte)'"': cp = '"'; break;
                case (byte)'\\': cp = '\\'; break;
                case (byte)'/': cp = '/'; break;
                case (byte)'b': cp = '\b'; break;
                case (byte)'f': cp = '\f'; break;
                case (byte)'n': cp = '\n'; break;
                case (byte)'r': cp = '\r'; break;
                case (byte)'t': cp = '\t'; break;
                default:
                    cp = int.Parse(s.Slice(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    width = 6;
                    if (cp is >= 0xD800 and <= 0xDFFF) return false;
                    break;
            }
            i += width;
            Open();
            WriteCodePoint(cp);
            if (lines && cp is '\n' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or 0x85 or 0x2028 or 0x2029) Close();
            else if (lines && cp == '\r')
            {
                // \r\n is one line ending; the \n may be escaped (\n or \u000a).
                if (i + 1 < s.Length && s[i] == '\\' && s[i + 1] == 'n') { Raw("\\n"u8); i += 2; }
                else if (i + 5 < s.Length && s[i] == '\\' && s[i + 1] == 'u' && (s.Slice(i + 2, 4).SequenceEqual("000a"u8) || s.Slice(i + 2, 4).SequenceEqual("000A"u8)))
                { Raw("\\n"u8); i += 6; }
                Close();
            }
        }
        if (!lines) { Raw((byte)'"'); return true; }
        Close();
        if (lineCount == 0) Raw("[]"u8);
        else { NewLine(level); Raw((byte)']'); }
        return true;
    }

    private void WriteCodePoint(int cp)
    {
        switch (cp)
        {
            case '"': Raw("\\\""u8); return;
            case '\\': Raw("\\\\"u8); return;
            case '\n': Raw("\\n"u8); return;
            case '\r': Raw("\\r"u8); return;
            case '\t': Raw("\\t"u8); return;
            case '\b': Raw("\\b"u8); return;
            case '\f': Raw("\\f"u8); return;
        }
        if (cp < 0x20)
        {
            Raw("\\u00"u8);
            Raw((byte)"0123456789abcdef"[cp >> 4]);
            Raw((byte)"0123456789abcdef"[cp & 15]);
            return;
        }
        Span<char> one = [(char)cp];
        Utf8(one);
    }

    /// <summary>A .NET string as Python writes it with <c>ensure_ascii=False</c>.</summary>
    public void String(string s)
    {
        Raw((byte)'"');
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            Utf8(s.AsSpan(start, i - start));
            start = i + 1;
            WriteCodePoint(c);
        }
        Utf8(s.AsSpan(start));
        Raw((byte)'"');
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = d.ToString("E16", CultureInfo.InvariantCulture);
        for (var p = 0; p <= 16; p++)
        {
            var candidate = d.ToString("E" + p, CultureInfo.InvariantCulture);
            if (double.Parse(candidate, CultureInfo.InvariantCulture) == d) { r = candidate; break; }
        }
        var neg = r[0] == '-';
        if (neg) r = r[1..];
        var ePos = r.IndexOf('E');
        var digits = r[..ePos].Replace(".", "").TrimEnd('0');
        var exp = int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture);
        if (digits.Length == 0) digits = "0";
        string body;
        if (exp >= -4 && exp < 16)
        {
            if (exp >= 0)
            {
                var intPart = digits.Length > exp + 1 ? digits[..(exp + 1)] : digits.PadRight(exp + 1, '0');
                var frac = digits.Length > exp + 1 ? digits[(exp + 1)..] : "0";
                body = intPart + "." + frac;
            }
            else body = "0." + new string('0', -exp - 1) + digits;
        }
        else
        {
            var mant = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            body = mant + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return neg ? "-" + body : body;
    }
}
