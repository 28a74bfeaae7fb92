namespace JupyterRtc.Crdt.Encoding;

public enum AnyKind : byte { Undefined, Null, Boolean, Number, BigInt, String, Bytes, Array, Object }

/// <summary>
/// A value of lib0's Any model: what Y.Map/Y.Array hold and what writeAny encodes. Numbers are doubles like
/// in JavaScript (the wire form is chosen from the value); undefined and null are distinct; bigint is a long.
/// Instances are immutable once shared; objects and arrays compare by reference, as in JS (see <see cref="JsEquals"/>).
/// </summary>
public sealed class AnyValue
{
    public static readonly AnyValue Undefined = new(AnyKind.Undefined, 0, null);
    public static readonly AnyValue Null = new(AnyKind.Null, 0, null);
    public static readonly AnyValue True = new(AnyKind.Boolean, 1, null);
    public static readonly AnyValue False = new(AnyKind.Boolean, 0, null);

    public AnyKind Kind { get; }
    private readonly double _num;
    private readonly long _big;
    private readonly object? _ref;

    private AnyValue(AnyKind kind, double num, object? r) { Kind = kind; _num = num; _ref = r; }
    private AnyValue(long big) { Kind = AnyKind.BigInt; _big = big; }

    public static AnyValue Number(double d) => new(AnyKind.Number, d, null);
    public static AnyValue BigInt(long v) => new(v);
    public static AnyValue Boolean(bool b) => b ? True : False;
    public static AnyValue String(string s) => new(AnyKind.String, 0, s ?? throw new ArgumentNullException(nameof(s)));
    public static AnyValue Bytes(byte[] b) => new(AnyKind.Bytes, 0, b ?? throw new ArgumentNullException(nameof(b)));
    public static AnyValue Array(IEnumerable<AnyValue> items) => new(AnyKind.Array, 0, items as List<AnyValue> ?? items.ToList());
    public static AnyValue Array(params AnyValue[] items) => new(AnyKind.Array, 0, items.ToList());
    public static AnyValue Object(JsObject o) => new(AnyKind.Object, 0, o);
    public static AnyValue Object(IEnumerable<KeyValuePair<string, AnyValue>> entries) => new(AnyKind.Object, 0, new JsObject(entries));

    public static implicit operator AnyValue(double d) => Number(d);
    public static implicit operator AnyValue(int i) => Number(i);
    public static implicit operator AnyValue(long l) => Number(l);
    public static implicit operator AnyValue(bool b) => Boolean(b);
    public static implicit operator AnyValue(string? s) => s is null ? Null : String(s);
    public static implicit operator AnyValue(byte[] b) => Bytes(b);

    public bool IsUndefined => Kind == AnyKind.Undefined;
    public bool IsNull => Kind == AnyKind.Null;
    public bool AsBoolean() => Kind == AnyKind.Boolean ? _num != 0 : throw Wrong(AnyKind.Boolean);
    public double AsNumber() => Kind == AnyKind.Number ? _num : throw Wrong(AnyKind.Number);
    public long AsBigInt() => Kind == AnyKind.BigInt ? _big : throw Wrong(AnyKind.BigInt);
    public string AsString() => Kind == AnyKind.String ? (string)_ref! : throw Wrong(AnyKind.String);
    public byte[] AsBytes() => Kind == AnyKind.Bytes ? (byte[])_ref! : throw Wrong(AnyKind.Bytes);
    public IReadOnlyList<AnyValue> AsArray() => Kind == AnyKind.Array ? (List<AnyValue>)_ref! : throw Wrong(AnyKind.Array);
    public JsObject AsObject() => Kind == AnyKind.Object ? (JsObject)_ref! : throw Wrong(AnyKind.Object);

    private InvalidOperationException Wrong(AnyKind want) => new($"AnyValue is {Kind}, not {want}");

    /// <summary>JavaScript <c>===</c>: primitives by value (NaN ≠ NaN, 0 === -0), objects/arrays/bytes by reference.</summary>
    public static bool JsEquals(AnyValue? a, AnyValue? b)
    {
        if (ReferenceEquals(a, b)) return a is null || a.Kind != AnyKind.Number || !double.IsNaN(a._num);
        if (a is null || b is null || a.Kind != b.Kind) return false;
        return a.Kind switch
        {
            AnyKind.Undefined or AnyKind.Null => true,
            AnyKind.Boolean or AnyKind.Number => a._num == b._num,
            AnyKind.BigInt => a._big == b._big,
            AnyKind.String => string.Equals((string)a._ref!, (string)b._ref!, StringComparison.Ordinal),
            _ => ReferenceEquals(a._ref, b._ref),
        };
    }

    /// <summary>Deep structural equality (for tests and change detection; not JS semantics).</summary>
    public static bool DeepEquals(AnyValue a, AnyValue b)
    {
        if (a.Kind != b.Kind) return false;
        switch (a.Kind)
        {
            case AnyKind.Number: return a._num.Equals(b._num);
            case AnyKind.Bytes: return a.AsBytes().AsSpan().SequenceEqual(b.AsBytes());
            case AnyKind.Array:
            {
                var x = a.AsArray(); var y = b.AsArray();
                if (x.Count != y.Count) return false;
                for (var i = 0; i < x.Count; i++) if (!DeepEquals(x[i], y[i])) return false;
                return true;
            }
            case AnyKind.Object:
            {
                var x = a.AsObject(); var y = b.AsObject();
                if (x.Count != y.Count) return false;
                foreach (var kv in x)
                    if (!y.TryGetValue(kv.Key, out var other) || !DeepEquals(kv.Value, other)) return false;
                return true;
            }
            default: return JsEquals(a, b);
        }
    }

    /// <summary>JSON.stringify of this value (undefined → "undefined" at top level, as ContentJSON writes it).</summary>
    public string ToJson() => Json.Stringify(this) ?? "undefined";

    public override string ToString() => Json.Stringify(this, true) ?? "undefined";
}
