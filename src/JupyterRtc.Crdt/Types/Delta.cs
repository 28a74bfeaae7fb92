using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Types;

/// <summary>One Quill-style delta operation: insert (a string, an embed or a nested type), retain or delete.</summary>
public sealed class DeltaOp
{
    public object? Insert { get; init; }
    public int? Retain { get; init; }
    public int? Delete { get; init; }
    public JsObject? Attributes { get; init; }

    /// <summary>The op as Yjs would JSON.stringify it.</summary>
    public AnyValue ToAny()
    {
        var o = new JsObject();
        if (Insert is not null)
            o.Set("insert", Insert switch
            {
                string s => AnyValue.String(s),
                IEnumerable<object?> list => AnyValue.Array(list.Select(AbstractType.ValueToJson)),
                _ => AbstractType.ValueToJson(Insert),
            });
        if (Retain is { } r) o.Set("retain", r);
        if (Delete is { } d) o.Set("delete", d);
        if (Attributes is not null) o.Set("attributes", AnyValue.Object(Attributes));
        return AnyValue.Object(o);
    }

    public static AnyValue ToAny(IEnumerable<DeltaOp> delta) => AnyValue.Array(delta.Select(d => d.ToAny()));
}

/// <summary>A small insertion-ordered map (a JS Map) for the current formatting attributes.</summary>
internal sealed class AttrMap
{
    private readonly List<KeyValuePair<string, AnyValue>> _list = new();

    public int Count => _list.Count;

    public AnyValue? Get(string key)
    {
        foreach (var kv in _list) if (kv.Key == key) return kv.Value;
        return null;
    }

    public void Set(string key, AnyValue v)
    {
        for (var i = 0; i < _list.Count; i++)
            if (_list[i].Key == key) { _list[i] = new(key, v); return; }
        _list.Add(new(key, v));
    }

    public bool Remove(string key)
    {
        for (var i = 0; i < _list.Count; i++)
            if (_list[i].Key == key) { _list.RemoveAt(i); return true; }
        return false;
    }

    public AttrMap Copy()
    {
        var c = new AttrMap();
        c._list.AddRange(_list);
        return c;
    }

    public List<KeyValuePair<string, AnyValue>> Entries => _list;

    public JsObject ToObject()
    {
        var o = new JsObject();
        foreach (var kv in _list) o.Set(kv.Key, kv.Value);
        return o;
    }
}
