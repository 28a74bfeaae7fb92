using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// A parsed JSON text: one row per value over the original bytes, read in place as a <see cref="JsonDocument"/> is.
/// It exists for speed on notebooks. A client sends every output as one string with a <c>\n</c> escape per line, and
/// <see cref="Utf8JsonReader"/> reads a string byte by byte once it has met an escape (a 20 MB save parsed in 22-30 ms);
/// here each run up to the next quote, backslash or control character is found with one vector search (~5 ms).
/// Accepts what <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> accepts with the same depth
/// limit, except invalid UTF-8 inside a string (tests/JupyterRtc.Contents.Tests/JsonTapeTests.cs); a text that is not
/// JSON is handed to JsonDocument so the error message is System.Text.Json's own. Immutable once parsed: any number of
/// threads may read it.
/// </summary>
public sealed class JsonTape : IDisposable
{
    internal struct Row
    {
        /// <summary>Offset of the value's first byte in the text.</summary>
        public int Start;
        /// <summary>Length of the value's text; an object's or array's runs to its closing bracket.</summary>
        public int Length;
        /// <summary>Index of the row after this value and everything inside it.</summary>
        public int Next;
        /// <summary>Elements of an array, properties of an object.</summary>
        public int Count;
        /// <summary>An object's last property name; a name's previous one in its object (-1: none). A look-up walks
        /// back from the last, so a duplicated name finds its last value at once, as JsonElement's does.</summary>
        public int Link;
        public JsonValueKind Kind;
        /// <summary>A string (or property name) with a backslash escape: compared and decoded the slow way.</summary>
        public bool Escaped;
    }

    private Row[] _rows;
    private int _count;

    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>The top-level value.</summary>
    public TapeValue Root => new(this, 0);

    private JsonTape(ReadOnlyMemory<byte> utf8)
    {
        Utf8 = utf8;
        // A notebook file has a value per ~110 bytes, a client's (lines joined) one per ~400; the rows double if
        // there are more. Rented, as JsonDocument's are, and returned on Dispose.
        _rows = ArrayPool<Row>.Shared.Rent(Math.Max(16, utf8.Length / 64));
    }

    internal ref readonly Row RowAt(int index) => ref _rows[index];

    internal ReadOnlySpan<byte> Text(int index)
    {
        ref readonly var r = ref _rows[index];
        return Utf8.Span.Slice(r.Start, r.Length);
    }

    public void Dispose()
    {
        var rows = Interlocked.Exchange(ref _rows, []);
        if (rows.Length > 0) ArrayPool<Row>.Shared.Return(rows);
    }

    /// <summary>Parses <paramref name="utf8"/>, which the tape keeps referring to (no copy).</summary>
    /// <exception cref="JsonException">The text is not JSON, or nests deeper than <paramref name="maxDepth"/>.</exception>
    public static JsonTape Parse(ReadOnlyMemory<byte> utf8, int maxDepth = 512)
    {
        var tape = new JsonTape(utf8);
        bool ok;
        try { ok = tape.Build(maxDepth); }
        catch { tape.Dispose(); throw; }
        if (!ok)
        {
            tape.Dispose();
            throw ErrorOf(utf8, maxDepth);
        }
        // Unlike JsonDocument, which takes any bytes inside a string until it is decoded, invalid UTF-8 is refused (it
        // can only be inside strings: anything else outside is a syntax error). Jupyter cannot read such a notebook:
        // it decodes a file or request body before parsing it. So it is never written either.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            tape.Dispose();
            throw new JsonException($"The JSON text is not valid UTF-8: invalid byte at offset {FirstInvalidUtf8(utf8.Span)}");
        }
        return tape;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var at = 0;
        while (at < utf8.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(utf8[at..], out _, out var used) != OperationStatus.Done) return at;
            at += used;
        }
        return at;
    }

    public static JsonTape Parse(string json, int maxDepth = 512) => Parse(Encoding.UTF8.GetBytes(json), maxDepth);

    /// <summary>A copy of a <see cref="JsonElement"/>'s value as a tape (for callers holding a JsonDocument).</summary>
    public static JsonTape From(JsonElement element) =>
        Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element).ToArray());

    private static JsonException ErrorOf(ReadOnlyMemory<byte> utf8, int maxDepth)
    {
        try
        {
            using var _ = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e) { return e; }
        // Only a bug of ours gets here; the parity tests are there to keep it unreachable.
        return new JsonException("The JSON text was rejected by JsonTape but accepted by System.Text.Json");
    }

    // ---- parsing ----------------------------------------------------------------------------------------------------

    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
         (byte)'"', (byte)'\\']);

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    private int Add(JsonValueKind kind, int start, int length, bool escaped = false)
    {
        if (_count == _rows.Length)
        {
            var bigger = ArrayPool<Row>.Shared.Rent(_rows.Length * 2);
            _rows.AsSpan(0, _count).CopyTo(bigger);
            ArrayPool<Row>.Shared.Return(_rows);
            _rows = bigger;
        }
        ref var r = ref _rows[_count];
        r.Start = start;
        r.Length = length;
        r.Next = _count + 1;
        r.Count = 0;
        r.Link = -1;
        r.Kind = kind;
        r.Escaped = escaped;
        return _count++;
    }

    /// <summary>Fills the rows; false for any text that is not JSON (the caller asks JsonDocument for the message).</summary>
    private bool Build(int maxDepth)
    {
        var s = Utf8.Span;
        var open = new Stack<int>();     // rows of the objects and arrays not yet closed
        var i = SkipWhitespace(s, 0);
        while (true)
        {
            // A value starts at i.
            if (i >= s.Length) return false;
            var b = s[i];
            if (b is (byte)'{' or (byte)'[')
            {
                if (open.Count >= maxDepth) return false;
                var row = Add(b == '{' ? JsonValueKind.Object : JsonValueKind.Array, i, 0);
                if (open.Count > 0) _rows[open.Peek()].Count++;
                open.Push(row);
                i = SkipWhitespace(s, i + 1);
                if (i >= s.Length) return false;
                if (s[i] == (b == '{' ? '}' : ']'))
                {
                    Close(open.Pop(), i);
                    i++;
                }
                else if (b == '{')
                {
                    if (!Name(s, ref i, row)) return false;
                    continue;
                }
                else continue;
            }
            else
            {
                int end;
                switch (b)
                {
                    case (byte)'"':
                        end = StringEnd(s, i, out var escaped) + 1;
                        if (end == 0) return false;
                        Add(JsonValueKind.String, i, end - i, escaped);
                        break;
                    case (byte)'t': end = Literal(s, i, "true"u8, JsonValueKind.True); break;
                    case (byte)'f': end = Literal(s, i, "false"u8, JsonValueKind.False); break;
                    case (byte)'n': end = Literal(s, i, "null"u8, JsonValueKind.Null); break;
                    case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                        end = NumberEnd(s, i);
                        if (end >= 0) Add(JsonValueKind.Number, i, end - i);
                        break;
                    default: return false;
                }
                if (end < 0) return false;
                if (open.Count > 0) _rows[open.Peek()].Count++;
                i = end;
            }

            // After a value: a separator, the end of its container(s), or the end of the text.
            while (true)
            {
                i = SkipWhitespace(s, i);
                if (open.Count == 0) return i == s.Length;
                if (i >= s.Length) return false;
                var container = open.Peek();
                var isObject = _rows[container].Kind == JsonValueKind.Object;
                var c = s[i];
                if (c == ',')
                {
                    i = SkipWhitespace(s, i + 1);
                    if (isObject && !Name(s, ref i, container)) return false;
                    break;
                }
                if (c != (isObject ? '}' : ']')) return false;
                Close(open.Pop(), i);
                i++;
            }
        }
    }

    private void Close(int row, int closing)
    {
        ref var r = ref _rows[row];
        r.Length = closing + 1 - r.Start;
        r.Next = _count;
    }

    /// <summary>A property name and its colon at i (whitespace skipped); i is left at the value.</summary>
    private bool Name(ReadOnlySpan<byte> s, ref int i, int obj)
    {
        if (i >= s.Length || s[i] != '"') return false;
        var end = StringEnd(s, i, out var escaped);
        if (end < 0) return false;
        var name = Add(JsonValueKind.String, i, end + 1 - i, escaped);
        _rows[name].Link = _rows[obj].Link;
        _rows[obj].Link = name;
        i = SkipWhitespace(s, end + 1);
        if (i >= s.Length || s[i] != ':') return false;
        i = SkipWhitespace(s, i + 1);
        return true;
    }

    /// <summary>The index of the closing quote of the string opening at <paramref name="i"/>, or -1.</summary>
    private static int StringEnd(ReadOnlySpan<byte> s, int i, out bool escaped)
    {
        escaped = false;
        var j = i + 1;
        while (true)
        {
            var k = s[j..].IndexOfAny(StringStops);
            if (k < 0) return -1;
            j += k;
            var b = s[j];
            if (b == '"') return j;
            if (b != '\\') return -1;                          // a raw control character
            escaped = true;
            if (j + 1 >= s.Length) return -1;
            switch (s[j + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    j += 2;
                    break;
                case (byte)'u':
                    if (j + 6 > s.Length) return -1;
                    for (var h = j + 2; h < j + 6; h++)
                        if (!char.IsAsciiHexDigit((char)s[h])) return -1;
                    j += 6;
                    break;
                default:
                    return -1;
            }
        }
    }

    private int Literal(ReadOnlySpan<byte> s, int i, ReadOnlySpan<byte> word, JsonValueKind kind)
    {
        if (!s[i..].StartsWith(word)) return -1;
        Add(kind, i, word.Length);
        return i + word.Length;
    }

    /// <summary>The end of the number at i (RFC 8259 grammar), or -1.</summary>
    private static int NumberEnd(ReadOnlySpan<byte> s, int i)
    {
        var j = i;
        if (s[j] == '-') j++;
        if (j >= s.Length) return -1;
        if (s[j] == '0') j++;
        else if (s[j] is >= (byte)'1' and <= (byte)'9') j = Digits(s, j);
        else return -1;
        if (j < s.Length && s[j] == '.')
        {
            var d = Digits(s, j + 1);
            if (d == j + 1) return -1;
            j = d;
        }
        if (j < s.Length && s[j] is (byte)'e' or (byte)'E')
        {
            j++;
            if (j < s.Length && s[j] is (byte)'+' or (byte)'-') j++;
            var d = Digits(s, j);
            if (d == j) return -1;
            j = d;
        }
        return j;
    }

    private static int Digits(ReadOnlySpan<byte> s, int j)
    {
        while (j < s.Length && s[j] is >= (byte)'0' and <= (byte)'9') j++;
        return j;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        // Most separators are followed by one space or none; nbformat's indentation is a run (one vector search).
        if (i >= s.Length || s[i] is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return i;
        if (i + 1 >= s.Length || s[i + 1] is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return i + 1;
        var k = s[i..].IndexOfAnyExcept(Whitespace);
        return k < 0 ? s.Length : i + k;
    }

    // ---- looking up ------------------------------------------------------------------------------------------------

    /// <summary>The row of the value of the last property named <paramref name="utf8Name"/> in the object at
    /// <paramref name="obj"/>, or -1. The validator and the writers ask this a few times per cell and output.</summary>
    internal int Find(int obj, ReadOnlySpan<byte> utf8Name)
    {
        var s = Utf8.Span;
        for (var n = _rows[obj].Link; n >= 0; n = _rows[n].Link)
        {
            ref readonly var r = ref _rows[n];
            if (r.Escaped)
            {
                if (TextEquals(s.Slice(r.Start, r.Length), escaped: true, utf8Name)) return n + 1;
            }
            else if (r.Length - 2 == utf8Name.Length && s.Slice(r.Start + 1, utf8Name.Length).SequenceEqual(utf8Name)) return n + 1;
        }
        return -1;
    }

    // ---- decoding (the slow paths) ----------------------------------------------------------------------------------

    /// <summary>A string token's value: its bytes when nothing is escaped, else decoded by System.Text.Json.</summary>
    internal static string Decode(ReadOnlySpan<byte> token, bool escaped)
    {
        if (!escaped) return Encoding.UTF8.GetString(token[1..^1]);
        var reader = new Utf8JsonReader(token);
        reader.Read();
        return reader.GetString()!;
    }

    /// <summary>A string token's value as UTF-8 (unescaped), for comparisons.</summary>
    internal static bool TextEquals(ReadOnlySpan<byte> token, bool escaped, ReadOnlySpan<byte> utf8)
    {
        if (!escaped) return token[1..^1].SequenceEqual(utf8);
        var reader = new Utf8JsonReader(token);
        reader.Read();
        try { return reader.ValueTextEquals(utf8); }
        catch (InvalidOperationException) { return false; }   // an escaped lone surrogate equals nothing, as for JsonElement
    }

    internal static bool TextEquals(ReadOnlySpan<byte> token, bool escaped, string text)
    {
        // Quick length test before transcoding: UTF-8 is at least as long as its UTF-16 length (an escape longer).
        if (!escaped && (token.Length - 2 < text.Length || token.Length - 2 > text.Length * 3)) return false;
        return Utf8Of(text) is { } utf8 && TextEquals(token, escaped, utf8);
    }

    /// <summary>A .NET string as UTF-8 for comparing with the tape's text; null for a string with a lone surrogate,
    /// which equals no JSON string or name (as for JsonElement). The string overloads are for convenience: the hot
    /// paths compare UTF-8 literals.</summary>
    internal static byte[]? Utf8Of(string text)
    {
        try { return StrictUtf8.GetBytes(text); }
        catch (EncoderFallbackException) { return null; }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static bool TryInt64(ReadOnlySpan<byte> number, out long value) =>
        Utf8Parser.TryParse(number, out value, out var used) && used == number.Length;

    /// <summary>A number as a double: beyond its range, an infinity, as <see cref="JsonElement.GetDouble"/> gives.</summary>
    internal static double Double(ReadOnlySpan<byte> number) =>
        double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether two JSON numbers have the same value, exactly (as <see cref="JsonElement.DeepEquals"/>, not through a
    /// double): both are brought to digits without leading or trailing zeros and a power of ten.
    /// </summary>
    internal static bool SameNumber(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.SequenceEqual(b)) return true;
        if (!Decimal(a, out var na, out var da, out var ea) || !Decimal(b, out var nb, out var db, out var eb)) return false;
        if (da.Length == 0 || db.Length == 0) return da.Length == db.Length;    // zeros, whatever their sign
        return na == nb && ea == eb && da == db;
    }

    private static bool Decimal(ReadOnlySpan<byte> n, out bool negative, out string digits, out long exponent)
    {
        negative = n[0] == '-';
        if (negative) n = n[1..];
        var e = n.IndexOfAny((byte)'e', (byte)'E');
        exponent = 0;
        if (e >= 0)
        {
            if (!long.TryParse(n[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
            {
                digits = "";
                return false;   // an exponent beyond 19 digits: compared as text only
            }
            n = n[..e];
        }
        var dot = n.IndexOf((byte)'.');
        var all = dot < 0 ? Encoding.ASCII.GetString(n) : Encoding.ASCII.GetString(n[..dot]) + Encoding.ASCII.GetString(n[(dot + 1)..]);
        if (dot >= 0) exponent -= n.Length - dot - 1;
        var trimmed = all.TrimStart('0');
        var significant = trimmed.TrimEnd('0');
        exponent += trimmed.Length - significant.Length;
        digits = significant;
        return true;
    }
}
