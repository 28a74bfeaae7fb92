using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// Writes JSON the way nbformat does: <c>json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False,
/// separators=(",", ": "))</c>. Byte-identical output matters: notebooks saved by JupyterRtc and by Jupyter must not
/// differ in version control. <see cref="NotebookFormat"/> drives it with nbformat's line splitting.
/// </summary>
public sealed class PythonJson
{
    private readonly StringBuilder _sb;

    public PythonJson(int capacity = 4096) => _sb = new StringBuilder(capacity);

    public StringBuilder Builder => _sb;

    public static string Dumps(JsonElement value)
    {
        var w = new PythonJson();
        w.Value(value, 0);
        return w._sb.ToString();
    }

    public void NewLine(int level)
    {
        _sb.Append('\n');
        _sb.Append(' ', level);
    }

    /// <summary>Any JSON value, keys sorted, indented one space per level.</summary>
    public void Value(JsonElement e, int level)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var props = SortedProperties(e);
                if (props.Count == 0) { _sb.Append("{}"); return; }
                _sb.Append('{');
                for (var i = 0; i < props.Count; i++)
                {
                    if (i > 0) _sb.Append(',');
                    NewLine(level + 1);
                    String(props[i].Name);
                    _sb.Append(": ");
                    Value(props[i].Value, level + 1);
                }
                NewLine(level);
                _sb.Append('}');
                return;
            }
            case JsonValueKind.Array:
            {
                if (e.GetArrayLength() == 0) { _sb.Append("[]"); return; }
                _sb.Append('[');
                var first = true;
                foreach (var item in e.EnumerateArray())
                {
                    if (!first) _sb.Append(',');
                    first = false;
                    NewLine(level + 1);
                    Value(item, level + 1);
                }
                NewLine(level);
                _sb.Append(']');
                return;
            }
            case JsonValueKind.String: String(e.GetString()!); return;
            case JsonValueKind.Number: Number(e); return;
            case JsonValueKind.True: _sb.Append("true"); return;
            case JsonValueKind.False: _sb.Append("false"); return;
            default: _sb.Append("null"); return;
        }
    }

    /// <summary>An array of strings (the lines of a split multi-line string).</summary>
    public void Lines(List<string> lines, int level)
    {
        if (lines.Count == 0) { _sb.Append("[]"); return; }
        _sb.Append('[');
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0) _sb.Append(',');
            NewLine(level + 1);
            String(lines[i]);
        }
        NewLine(level);
        _sb.Append(']');
    }

    public static List<JsonProperty> SortedProperties(JsonElement obj)
    {
        var props = new List<JsonProperty>();
        foreach (var p in obj.EnumerateObject())
        {
            // Python keeps the last of duplicated keys.
            var existing = props.FindIndex(x => x.Name == p.Name);
            if (existing >= 0) props[existing] = p; else props.Add(p);
        }
        props.Sort((a, b) => CompareCodePoints(a.Name, b.Name));
        return props;
    }

    private void Number(JsonElement e)
    {
        var raw = e.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0) { _sb.Append(raw.StartsWith("-0", StringComparison.Ordinal) && raw.Length == 2 ? "0" : raw); return; }
        _sb.Append(FloatRepr(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture)));
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
    public void String(string s) => WriteString(_sb, s);

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
