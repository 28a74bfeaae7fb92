using System.Globalization;
using System.Text.Json;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Collaboration.Documents;

/// <summary>
/// JSON values of a notebook to and from the CRDT's plain values (lib0 <c>Any</c>), with JavaScript's number model:
/// every JSON number is a double, as in the browser that shares the document. Integral doubles are written back as
/// integers (jupyter_ydoc's <c>cast_all</c>), so <c>"execution_count": 3</c> stays <c>3</c>. JSON integers beyond ±2^53
/// lose precision exactly as they do in JupyterLab's own <c>JSON.parse</c>; lib0's BigInt is never produced, since
/// Yjs would hand the browser a <c>BigInt</c> that <c>JSON.stringify</c> cannot write.
/// </summary>
public static class JsonAny
{
    public static AnyValue FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var o = new JsObject();
                foreach (var p in e.EnumerateObject()) o.Set(p.Name, FromJson(p.Value));
                return AnyValue.Object(o);
            }
            case JsonValueKind.Array:
            {
                var list = new List<AnyValue>(e.GetArrayLength());
                foreach (var x in e.EnumerateArray()) list.Add(FromJson(x));
                return AnyValue.Array(list);
            }
            case JsonValueKind.String: return AnyValue.String(e.GetString()!);
            case JsonValueKind.Number: return AnyValue.Number(e.GetDouble());
            case JsonValueKind.True: return AnyValue.True;
            case JsonValueKind.False: return AnyValue.False;
            default: return AnyValue.Null;
        }
    }

    /// <summary>Writes a plain value, a shared type (as its JSON) or a raw string/number as JSON.</summary>
    public static void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); return;
            case AnyValue a: Write(w, a); return;
            case YText t: w.WriteStringValue(t.ToString()); return;
            case YMap m:
                w.WriteStartObject();
                foreach (var (k, v) in m.Entries)
                {
                    w.WritePropertyName(k);
                    Write(w, v);
                }
                w.WriteEndObject();
                return;
            case YArray arr:
                w.WriteStartArray();
                foreach (var v in arr.ToList()) Write(w, v);
                w.WriteEndArray();
                return;
            case AbstractType other: Write(w, other.ToJson()); return;
            case byte[] bytes: w.WriteBase64StringValue(bytes); return;
            default: w.WriteStringValue(value.ToString()); return;
        }
    }

    public static void Write(Utf8JsonWriter w, AnyValue a)
    {
        switch (a.Kind)
        {
            case AnyKind.Object:
                w.WriteStartObject();
                foreach (var (k, v) in a.AsObject())
                {
                    if (v.IsUndefined) continue;      // JSON.stringify drops undefined members
                    w.WritePropertyName(k);
                    Write(w, v);
                }
                w.WriteEndObject();
                return;
            case AnyKind.Array:
                w.WriteStartArray();
                foreach (var v in a.AsArray()) { if (v.IsUndefined) w.WriteNullValue(); else Write(w, v); }
                w.WriteEndArray();
                return;
            case AnyKind.String: w.WriteStringValue(a.AsString()); return;
            case AnyKind.Number: WriteNumber(w, a.AsNumber()); return;
            case AnyKind.BigInt: w.WriteNumberValue(a.AsBigInt()); return;
            case AnyKind.Boolean: w.WriteBooleanValue(a.AsBoolean()); return;
            case AnyKind.Bytes: w.WriteBase64StringValue(a.AsBytes()); return;
            default: w.WriteNullValue(); return;   // null, undefined
        }
    }

    /// <summary>Integral values as integers, others with the shortest text that reads back as the same double.</summary>
    public static void WriteNumber(Utf8JsonWriter w, double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d)) { w.WriteNullValue(); return; }   // as JSON.stringify
        w.WriteRawValue(NumberText(d), skipInputValidation: true);
    }

    /// <summary>
    /// A number as JavaScript's <c>JSON.stringify</c> writes it where that matters to nbformat: integral values below
    /// 1e21 as integers with the shortest round-trip digits (<c>12345678901234567000</c>), others round-trip text.
    /// </summary>
    public static string NumberText(double d)
    {
        if (d == 0) return "0";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        if (Math.Floor(d) != d || Math.Abs(d) >= 1e21) return r;
        var e = r.IndexOf('E');
        if (e < 0) return r;
        var negative = r[0] == '-';
        var mantissa = r[(negative ? 1 : 0)..e].Replace(".", "", StringComparison.Ordinal);
        var exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        return (negative ? "-" : "") + mantissa.PadRight(exponent + 1, '0');
    }

    /// <summary>Two values equal as JSON (numbers as doubles, object key order ignored).</summary>
    public static bool Equal(AnyValue a, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
            {
                if (a.Kind != AnyKind.Object) return false;
                var o = a.AsObject();
                var count = 0;
                foreach (var p in e.EnumerateObject())
                {
                    count++;
                    if (!o.TryGetValue(p.Name, out var v) || !Equal(v, p.Value)) return false;
                }
                return count == o.Count(kv => !kv.Value.IsUndefined);
            }
            case JsonValueKind.Array:
            {
                if (a.Kind != AnyKind.Array) return false;
                var list = a.AsArray();
                if (list.Count != e.GetArrayLength()) return false;
                var i = 0;
                foreach (var x in e.EnumerateArray()) if (!Equal(list[i++], x)) return false;
                return true;
            }
            case JsonValueKind.String: return a.Kind == AnyKind.String && a.AsString() == e.GetString();
            case JsonValueKind.Number: return a.Kind == AnyKind.Number && a.AsNumber() == e.GetDouble();
            case JsonValueKind.True: return a.Kind == AnyKind.Boolean && a.AsBoolean();
            case JsonValueKind.False: return a.Kind == AnyKind.Boolean && !a.AsBoolean();
            default: return a.IsNull;
        }
    }
}
