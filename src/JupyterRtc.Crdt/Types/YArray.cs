using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Types;

/// <summary>
/// A shared list. Values are <see cref="AnyValue"/>s (or plain C# strings, numbers, booleans, null, byte[]),
/// or nested shared types. Consecutive plain values inserted together share one item, as in Yjs.
/// </summary>
public sealed class YArray : AbstractType
{
    private List<object?>? _prelim = new();

    public YArray() : base(true) { }

    internal override int TypeRef => 0;
    public int Length => DocField is null ? _prelim!.Count : LengthField;

    internal override void IntegrateInto(Doc doc, Item? item)
    {
        base.IntegrateInto(doc, item);
        var prelim = _prelim;
        _prelim = null;
        if (prelim is { Count: > 0 }) Insert(0, prelim.ToArray());
    }

    internal override void CallObserver(Transaction tr, HashSet<string?> subs)
    {
        base.CallObserver(tr, subs);
        CallTypeObservers(tr, new YEvent(this, tr, subs));
    }

    public void Insert(int index, params object?[] content)
    {
        if (DocField is null)
        {
            _prelim!.InsertRange(index, content);
            return;
        }
        DocField.Transact(tr => ListInsert(tr, index, content));
    }

    public void Push(params object?[] content)
    {
        if (DocField is null)
        {
            _prelim!.AddRange(content);
            return;
        }
        DocField.Transact(tr => ListPush(tr, content));
    }

    public void Unshift(params object?[] content) => Insert(0, content);

    public void Delete(int index, int length = 1)
    {
        if (DocField is null)
        {
            _prelim!.RemoveRange(index, length);
            return;
        }
        DocField.Transact(tr => ListDelete(tr, index, length));
    }

    public object? Get(int index) => DocField is null ? _prelim![index] : ListGet(index);

    public List<object?> ToList() => DocField is null ? new List<object?>(_prelim!) : ListToList();

    public override AnyValue ToJson() => AnyValue.Array(ToList().Select(ValueToJson));
}

/// <summary>A shared map from string keys to values or nested types. Concurrent writes to a key: the last integrated wins, as in Yjs.</summary>
public sealed class YMap : AbstractType
{
    private List<KeyValuePair<string, object?>>? _prelim = new();

    public YMap() : base(false) { }

    internal override int TypeRef => 1;

    internal override void IntegrateInto(Doc doc, Item? item)
    {
        base.IntegrateInto(doc, item);
        var prelim = _prelim;
        _prelim = null;
        if (prelim is { Count: > 0 })
            doc.Transact(tr => { foreach (var (k, v) in prelim) MapSetValue(tr, k, v); });
    }

    internal override void CallObserver(Transaction tr, HashSet<string?> subs)
    {
        base.CallObserver(tr, subs);
        CallTypeObservers(tr, new YEvent(this, tr, subs));
    }

    public void Set(string key, object? value)
    {
        if (DocField is null)
        {
            // a JS Map keeps the position of an existing key
            var i = _prelim!.FindIndex(kv => kv.Key == key);
            if (i >= 0) _prelim[i] = new(key, value);
            else _prelim.Add(new(key, value));
            return;
        }
        DocField.Transact(tr => MapSetValue(tr, key, value));
    }

    /// <summary>The value, or null when the key is absent. Use <see cref="ContainsKey"/> to tell absent from null.</summary>
    public object? Get(string key) => DocField is null ? _prelim!.FirstOrDefault(kv => kv.Key == key).Value : MapGetValue(key);

    public bool ContainsKey(string key) => DocField is null ? _prelim!.Any(kv => kv.Key == key) : MapGet(key) is { Deleted: false };

    public void Delete(string key)
    {
        if (DocField is null)
        {
            _prelim!.RemoveAll(kv => kv.Key == key);
            return;
        }
        DocField.Transact(tr => MapDelete(tr, key));
    }

    public IEnumerable<string> Keys => Entries.Select(e => e.Key);

    public IEnumerable<KeyValuePair<string, object?>> Entries
    {
        get
        {
            if (DocField is null) return _prelim!.ToList();
            return MapEntries.Where(e => !e.Value.Deleted)
                .Select(e => new KeyValuePair<string, object?>(e.Key, e.Value.LastValue)).ToList();
        }
    }

    public int Count => Entries.Count();

    public override AnyValue ToJson()
    {
        var o = new JsObject();
        foreach (var (k, v) in Entries) o.Set(k, ValueToJson(v));
        return AnyValue.Object(o);
    }
}
