namespace JupyterRtc.Crdt.Encoding;

/// <summary>
/// A string-keyed dictionary that iterates like a JavaScript object: integer-like keys
/// ("0".."4294967294") first in ascending numeric order, then the other keys in insertion order.
/// writeAny and JSON.stringify both follow that order, so byte equality with Yjs depends on it.
/// </summary>
public sealed class JsObject : IEnumerable<KeyValuePair<string, AnyValue>>
{
    private readonly List<KeyValuePair<string, AnyValue>> _entries;

    public JsObject(int capacity = 4) => _entries = new List<KeyValuePair<string, AnyValue>>(capacity);

    public JsObject(IEnumerable<KeyValuePair<string, AnyValue>> entries) : this()
    {
        foreach (var kv in entries) Set(kv.Key, kv.Value);
    }

    public int Count => _entries.Count;

    public static bool IsArrayIndex(string key, out uint index)
    {
        index = 0;
        if (key.Length == 0 || key.Length > 10) return false;
        if (key.Length > 1 && key[0] == '0') return false;
        ulong v = 0;
        foreach (var c in key)
        {
            if (c < '0' || c > '9') return false;
            v = v * 10 + (uint)(c - '0');
        }
        if (v > 4294967294UL) return false;
        index = (uint)v;
        return true;
    }

    private int IndexOf(string key)
    {
        for (var i = 0; i < _entries.Count; i++)
            if (string.Equals(_entries[i].Key, key, StringComparison.Ordinal)) return i;
        return -1;
    }

    public bool TryGetValue(string key, out AnyValue value)
    {
        var i = IndexOf(key);
        if (i < 0) { value = AnyValue.Undefined; return false; }
        value = _entries[i].Value;
        return true;
    }

    public AnyValue? this[string key]
    {
        get => TryGetValue(key, out var v) ? v : null;
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <summary>Assignment semantics of JS: an existing key keeps its position.</summary>
    public void Set(string key, AnyValue value)
    {
        var i = IndexOf(key);
        if (i >= 0) { _entries[i] = new(key, value); return; }
        if (IsArrayIndex(key, out var idx))
        {
            // insert among the leading integer keys in ascending order
            var p = 0;
            while (p < _entries.Count && IsArrayIndex(_entries[p].Key, out var other) && other < idx) p++;
            _entries.Insert(p, new(key, value));
        }
        else _entries.Add(new(key, value));
    }

    public bool Remove(string key)
    {
        var i = IndexOf(key);
        if (i < 0) return false;
        _entries.RemoveAt(i);
        return true;
    }

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerator<KeyValuePair<string, AnyValue>> GetEnumerator() => _entries.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
