using System.Diagnostics.CodeAnalysis;

namespace JupyterRtc.Crdt.Core;

/// <summary>
/// A dictionary that iterates in insertion order even after removals, like a JavaScript Map (a removed key that is
/// added again goes to the end). A .NET Dictionary reuses freed slots, so its order after a removal differs, and
/// Yjs's event order and y-protocols' state order follow Map order.
/// </summary>
internal sealed class OrderedMap<TKey, TValue> : IReadOnlyDictionary<TKey, TValue> where TKey : notnull
{
    private readonly Dictionary<TKey, int> _index;
    private readonly List<(TKey Key, TValue Value, bool Alive)> _entries = new();
    private int _dead;

    public OrderedMap(IEqualityComparer<TKey>? comparer = null) => _index = new Dictionary<TKey, int>(comparer);

    public int Count => _index.Count;

    public bool ContainsKey(TKey key) => _index.ContainsKey(key);

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = default!;
        return false;
    }

    public TValue this[TKey key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException();
        set
        {
            if (_index.TryGetValue(key, out var i)) _entries[i] = (key, value, true);
            else
            {
                _index[key] = _entries.Count;
                _entries.Add((key, value, true));
            }
        }
    }

    public bool Remove(TKey key)
    {
        if (!_index.Remove(key, out var i)) return false;
        _entries[i] = (default!, default!, false);
        if (++_dead > 16 && _dead > _entries.Count / 2) Compact();
        return true;
    }

    private void Compact()
    {
        var alive = _entries.Where(e => e.Alive).ToList();
        _entries.Clear();
        _index.Clear();
        foreach (var e in alive)
        {
            _index[e.Key] = _entries.Count;
            _entries.Add(e);
        }
        _dead = 0;
    }

    public IEnumerable<TKey> Keys => this.Select(kv => kv.Key);
    public IEnumerable<TValue> Values => this.Select(kv => kv.Value);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (e.Alive) yield return new KeyValuePair<TKey, TValue>(e.Key, e.Value);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
