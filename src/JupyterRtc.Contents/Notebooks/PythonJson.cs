using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// Reads JSON the way Python's <c>json</c> module does (no date conversion, big integers kept) and writes it the way
/// nbformat does: <c>json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False, separators=(",", ": "))</c>.
/// Byte-identical output matters: notebooks saved by JupyterRtc and by Jupyter must not differ in version control.
/// </summary>
public static class PythonJson
{
    private static readonly JsonLoadSettings LoadSettings = new() { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Replace };

    public static JToken Parse(TextReader text)
    {
        using var reader = new JsonTextReader(text)
        {
            DateParseHandling = DateParseHandling.None,
            FloatParseHandling = FloatParseHandling.Double,
            MaxDepth = 512,
        };
        var token = JToken.ReadFrom(reader, LoadSettings);
        if (reader.Read() && reader.TokenType != JsonToken.Comment)
            throw new JsonReaderException($"Extra data after the JSON value at line {reader.LineNumber}");
        return token;
    }

    public static JToken Parse(string text) => Parse(new StringReader(text));

    /// <summary>Serialises as nbformat writes notebooks (indent 1, sorted keys), without the trailing newline.</summary>
    public static string Dumps(JToken token, int indent = 1, bool sortKeys = true)
    {
        var sb = new StringBuilder(4096);
        Write(sb, token, indent, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JToken token, int indent, bool sortKeys, int level)
    {
        switch (token.Type)
        {
            case JTokenType.Object:
            {
                var obj = (JObject)token;
                if (!obj.HasValues) { sb.Append("{}"); return; }
                var props = obj.Properties().ToList();
                if (sortKeys) props.Sort((a, b) => CompareCodePoints(a.Name, b.Name));
                sb.Append('{');
                var first = true;
                foreach (var p in props)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    NewLine(sb, indent, level + 1);
                    WriteString(sb, p.Name);
                    sb.Append(": ");
                    Write(sb, p.Value, indent, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                return;
            }
            case JTokenType.Array:
            {
                var arr = (JArray)token;
                if (arr.Count == 0) { sb.Append("[]"); return; }
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    NewLine(sb, indent, level + 1);
                    Write(sb, arr[i], indent, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                return;
            }
            case JTokenType.String: WriteString(sb, (string)((JValue)token).Value!); return;
            case JTokenType.Integer: sb.Append(Convert.ToString(((JValue)token).Value, CultureInfo.InvariantCulture)); return;
            case JTokenType.Float: sb.Append(FloatRepr(Convert.ToDouble(((JValue)token).Value, CultureInfo.InvariantCulture))); return;
            case JTokenType.Boolean: sb.Append((bool)((JValue)token).Value! ? "true" : "false"); return;
            case JTokenType.Null: case JTokenType.Undefined: sb.Append("null"); return;
            default: WriteString(sb, token.ToString()); return;
        }
    }

    private static void NewLine(StringBuilder sb, int indent, int level)
    {
        sb.Append('\n');
        sb.Append(' ', indent * level);
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

    /// <summary>A JSON string as Python writes it with <c>ensure_ascii=False</c>.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            sb.Append(s, start, i - start);
            start = i + 1;
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default: sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
            }
        }
        sb.Append(s, start, s.Length - start);
        sb.Append('"');
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = d.ToString("E16", CultureInfo.InvariantCulture);
        // Find the shortest precision that round-trips, as Python does.
        for (var p = 0; p <= 16; p++)
        {
            var candidate = d.ToString("E" + p, CultureInfo.InvariantCulture);
            if (double.Parse(candidate, CultureInfo.InvariantCulture) == d) { r = candidate; break; }
        }
        // r looks like "-1.2345E+005"
        var neg = r[0] == '-';
        if (neg) r = r[1..];
        var ePos = r.IndexOf('E');
        var digits = r[..ePos].Replace(".", "");
        var exp = int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture);
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        string body;
        if (exp >= -5 && exp < 16)
        {
            if (exp >= 0)
            {
                var intPart = digits.Length > exp + 1 ? digits[..(exp + 1)] : digits.PadRight(exp + 1, '0');
                var frac = digits.Length > exp + 1 ? digits[(exp + 1)..] : "0";
                body = intPart + "." + frac;
            }
            else
            {
                body = "0." + new string('0', -exp - 1) + digits;
            }
            // Python switches to exponent form for exp < -4.
            if (exp < -4) body = Sci(digits, exp);
        }
        else body = Sci(digits, exp);
        return neg ? "-" + body : body;

        static string Sci(string digits, int exp)
        {
            var mant = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            return mant + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
    }
}
