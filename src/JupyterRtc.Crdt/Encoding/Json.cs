using System.Globalization;
using System.Text;

namespace JupyterRtc.Crdt.Encoding;

/// <summary>
/// JSON.stringify / JSON.parse with JavaScript's exact output: no spaces, only the mandatory escapes,
/// lone surrogates as \udxxx, numbers in JS's shortest form (1e+21, 5e-7), NaN/Infinity as null, undefined dropped
/// from objects and null in arrays. v1 updates carry format values and embeds as such JSON text, so the bytes must match.
/// </summary>
public static class Json
{
    private const int MaxDepth = 512;

    /// <summary>Returns null where JS returns undefined (a top-level undefined).</summary>
    public static string? Stringify(AnyValue v, bool bigIntAsString = false, bool bigIntAsNumber = false)
    {
        if (v.Kind == AnyKind.Undefined) return null;
        var sb = new StringBuilder();
        Write(sb, v, bigIntAsString ? BigIntMode.String : bigIntAsNumber ? BigIntMode.Number : BigIntMode.Throw, 0);
        return sb.ToString();
    }

    private enum BigIntMode { Throw, String, Number }

    private static void Write(StringBuilder sb, AnyValue v, BigIntMode bigIntAsString, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException("JSON nested too deeply");
        switch (v.Kind)
        {
            case AnyKind.Undefined:
            case AnyKind.Null: sb.Append("null"); break;
            case AnyKind.Boolean: sb.Append(v.AsBoolean() ? "true" : "false"); break;
            case AnyKind.Number:
            {
                var d = v.AsNumber();
                sb.Append(double.IsFinite(d) ? NumberToString(d) : "null");
                break;
            }
            case AnyKind.BigInt:
                if (bigIntAsString == BigIntMode.Throw) throw new InvalidOperationException("Do not know how to serialize a BigInt");
                if (bigIntAsString == BigIntMode.Number) sb.Append(v.AsBigInt().ToString(CultureInfo.InvariantCulture));
                else WriteString(sb, v.AsBigInt().ToString(CultureInfo.InvariantCulture) + "n");
                break;
            case AnyKind.String: WriteString(sb, v.AsString()); break;
            case AnyKind.Bytes:
            {
                // JSON.stringify(Uint8Array) is an object of its indices
                var b = v.AsBytes();
                sb.Append('{');
                for (var i = 0; i < b.Length; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append('"').Append(i.ToString(CultureInfo.InvariantCulture)).Append("\":").Append(b[i].ToString(CultureInfo.InvariantCulture));
                }
                sb.Append('}');
                break;
            }
            case AnyKind.Array:
            {
                sb.Append('[');
                var first = true;
                foreach (var e in v.AsArray())
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, e, bigIntAsString, depth + 1);
                }
                sb.Append(']');
                break;
            }
            case AnyKind.Object:
            {
                sb.Append('{');
                var first = true;
                foreach (var kv in v.AsObject())
                {
                    if (kv.Value.Kind == AnyKind.Undefined) continue;
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, kv.Key);
                    sb.Append(':');
                    Write(sb, kv.Value, bigIntAsString, depth + 1);
                }
                sb.Append('}');
                break;
            }
        }
    }

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c))
                    {
                        if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[i + 1]); i++; }
                        else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsLowSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Number.prototype.toString() for finite doubles (ECMA-262 Number::toString).</summary>
    public static string NumberToString(double d)
    {
        if (d == 0) return "0";
        if (d < 0) return "-" + NumberToString(-d);
        // "R" gives the shortest round-trip digits; take them apart and re-lay them out the JS way.
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exp; // value = 0.digits * 10^exp  (ECMA's n)
        var ePos = shortest.IndexOfAny(['E', 'e']);
        var mant = ePos >= 0 ? shortest[..ePos] : shortest;
        var e10 = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var dot = mant.IndexOf('.');
        var intPart = dot >= 0 ? mant[..dot] : mant;
        var fracPart = dot >= 0 ? mant[(dot + 1)..] : "";
        digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        exp = intPart.Length - leadingZeros + e10;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return "0";
        var k = digits.Length;
        var n = exp;
        if (k <= n && n <= 21) return digits + new string('0', n - k);
        if (0 < n && n <= 21) return digits[..n] + "." + digits[n..];
        if (-6 < n && n <= 0) return "0." + new string('0', -n) + digits;
        var e = n - 1;
        var es = e >= 0 ? "+" + e.ToString(CultureInfo.InvariantCulture) : e.ToString(CultureInfo.InvariantCulture);
        return k == 1 ? digits + "e" + es : digits[..1] + "." + digits[1..] + "e" + es;
    }

    /// <summary>JSON.parse. Throws <see cref="CrdtFormatException"/> on invalid input.</summary>
    public static AnyValue Parse(string s)
    {
        var p = 0;
        var v = ParseValue(s, ref p, 0);
        SkipWs(s, ref p);
        if (p != s.Length) throw new CrdtFormatException("Unexpected trailing JSON text");
        return v;
    }

    private static void SkipWs(string s, ref int p)
    {
        while (p < s.Length && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) p++;
    }

    private static AnyValue ParseValue(string s, ref int p, int depth)
    {
        if (depth > MaxDepth) throw new CrdtFormatException("JSON nested too deeply");
        SkipWs(s, ref p);
        if (p >= s.Length) throw new CrdtFormatException("Unexpected end of JSON");
        var c = s[p];
        switch (c)
        {
            case '{':
            {
                p++;
                var o = new JsObject();
                SkipWs(s, ref p);
                if (p < s.Length && s[p] == '}') { p++; return AnyValue.Object(o); }
                while (true)
                {
                    SkipWs(s, ref p);
                    if (p >= s.Length || s[p] != '"') throw new CrdtFormatException("Expected JSON key");
                    var key = ParseString(s, ref p);
                    SkipWs(s, ref p);
                    if (p >= s.Length || s[p] != ':') throw new CrdtFormatException("Expected ':'");
                    p++;
                    o.Set(key, ParseValue(s, ref p, depth + 1));
                    SkipWs(s, ref p);
                    if (p < s.Length && s[p] == ',') { p++; continue; }
                    if (p < s.Length && s[p] == '}') { p++; return AnyValue.Object(o); }
                    throw new CrdtFormatException("Expected ',' or '}'");
                }
            }
            case '[':
            {
                p++;
                var a = new List<AnyValue>();
                SkipWs(s, ref p);
                if (p < s.Length && s[p] == ']') { p++; return AnyValue.Array(a); }
                while (true)
                {
                    a.Add(ParseValue(s, ref p, depth + 1));
                    SkipWs(s, ref p);
                    if (p < s.Length && s[p] == ',') { p++; continue; }
                    if (p < s.Length && s[p] == ']') { p++; return AnyValue.Array(a); }
                    throw new CrdtFormatException("Expected ',' or ']'");
                }
            }
            case '"': return AnyValue.String(ParseString(s, ref p));
            case 't': Expect(s, ref p, "true"); return AnyValue.True;
            case 'f': Expect(s, ref p, "false"); return AnyValue.False;
            case 'n': Expect(s, ref p, "null"); return AnyValue.Null;
            default:
            {
                var start = p;
                if (s[p] == '-') p++;
                if (p >= s.Length || !char.IsAsciiDigit(s[p])) throw new CrdtFormatException("Invalid JSON value");
                if (s[p] == '0') p++; else while (p < s.Length && char.IsAsciiDigit(s[p])) p++;
                if (p < s.Length && s[p] == '.')
                {
                    p++;
                    if (p >= s.Length || !char.IsAsciiDigit(s[p])) throw new CrdtFormatException("Invalid JSON number");
                    while (p < s.Length && char.IsAsciiDigit(s[p])) p++;
                }
                if (p < s.Length && (s[p] == 'e' || s[p] == 'E'))
                {
                    p++;
                    if (p < s.Length && (s[p] == '+' || s[p] == '-')) p++;
                    if (p >= s.Length || !char.IsAsciiDigit(s[p])) throw new CrdtFormatException("Invalid JSON number");
                    while (p < s.Length && char.IsAsciiDigit(s[p])) p++;
                }
                return AnyValue.Number(double.Parse(s.AsSpan(start, p - start), NumberStyles.Float, CultureInfo.InvariantCulture));
            }
        }
    }

    private static void Expect(string s, ref int p, string word)
    {
        if (string.CompareOrdinal(s, p, word, 0, word.Length) != 0) throw new CrdtFormatException("Invalid JSON literal");
        p += word.Length;
    }

    private static string ParseString(string s, ref int p)
    {
        p++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (p >= s.Length) throw new CrdtFormatException("Unterminated JSON string");
            var c = s[p++];
            if (c == '"') return sb.ToString();
            if (c < 0x20) throw new CrdtFormatException("Control character in JSON string");
            if (c != '\\') { sb.Append(c); continue; }
            if (p >= s.Length) throw new CrdtFormatException("Unterminated JSON escape");
            var e = s[p++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (p + 4 > s.Length || !int.TryParse(s.AsSpan(p, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        throw new CrdtFormatException("Invalid \\u escape");
                    sb.Append((char)code);
                    p += 4;
                    break;
                default: throw new CrdtFormatException("Invalid JSON escape");
            }
        }
    }
}
