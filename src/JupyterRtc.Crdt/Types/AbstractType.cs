using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Types;

/// <summary>
/// The shared part of every Yjs type: a list of items (<see cref="Start"/>), a map of keys to their latest item,
/// the visible length, the item that holds the type (null for a root), and observers.
/// </summary>
public abstract class AbstractType
{
    internal Item? ItemField;
    internal Item? Start;
    private Dictionary<string, Item>? _map;
    internal int LengthField;
    internal Doc? DocField;
    internal string? RootName;
    internal readonly SearchMarkers? Markers;

    protected AbstractType(bool useMarkers) => Markers = useMarkers ? new SearchMarkers() : null;

    /// <summary>The document this type belongs to, or null before it is inserted.</summary>
    public Doc? Doc => DocField;

    /// <summary>The type that contains this one, or null for a root type.</summary>
    public AbstractType? Parent => ItemField?.Parent;

    /// <summary>Whether this type, or a type that contains it, was deleted (the outputs of a removed cell, say).</summary>
    public bool IsDeleted
    {
        get
        {
            for (var item = ItemField; item is not null; item = item.Parent?.ItemField)
                if (item.Deleted) return true;
            return false;
        }
    }

    internal abstract int TypeRef { get; }

    /// <summary>Raised at the end of a transaction that changed this type.</summary>
    public event Action<YEvent, Transaction>? Observe;
    /// <summary>Raised once per transaction with the events of this type and of all types nested in it.</summary>
    public event Action<IReadOnlyList<YEvent>, Transaction>? ObserveDeep;

    internal bool HasDeepObservers => ObserveDeep is not null;

    internal Item? MapGet(string key) => _map is not null && _map.TryGetValue(key, out var i) ? i : null;

    internal void MapSet(string key, Item item) => (_map ??= new Dictionary<string, Item>())[key] = item;

    // Dictionary keeps insertion order as long as nothing is removed, and nothing is (ClearMap replaces it);
    // that is the JS Map order that Y.Map iteration follows.
    internal IEnumerable<Item> MapItems => _map?.Values ?? Enumerable.Empty<Item>();
    internal IEnumerable<KeyValuePair<string, Item>> MapEntries => _map ?? Enumerable.Empty<KeyValuePair<string, Item>>();
    internal void ClearMap() => _map = null;

    internal void AdoptFrom(AbstractType other)
    {
        _map = other._map;
        foreach (var head in MapItems)
            for (Item? n = head; n is not null; n = n.Left) n.Parent = this;
        Start = other.Start;
        for (var n = Start; n is not null; n = n.Right) n.Parent = this;
        LengthField = other.LengthField;
    }

    internal virtual void IntegrateInto(Doc doc, Item? item)
    {
        DocField = doc;
        ItemField = item;
    }

    internal virtual void WriteType(UpdateEncoder enc) => enc.WriteTypeRef(TypeRef);

    internal static AbstractType ReadType(UpdateDecoder dec)
    {
        var typeRef = dec.ReadTypeRef();
        return typeRef switch
        {
            0 => new YArray(),
            1 => new YMap(),
            2 => new YText(),
            3 => new YXmlElement(dec.ReadKey()),
            4 => new YXmlFragment(),
            5 => new YXmlHook(dec.ReadKey()),
            6 => new YXmlText(),
            _ => throw new CrdtFormatException($"Unknown type ref {typeRef}"),
        };
    }

    internal void OnItemMerged(Item left, Item right) => Markers?.OnMerged(left, right);

    internal virtual void CallObserver(Transaction tr, HashSet<string?> subs)
    {
        if (!tr.Local) Markers?.Clear();
    }

    internal void CallTypeObservers(Transaction tr, YEvent ev)
    {
        var type = this;
        while (true)
        {
            if (!tr.ChangedParentTypes.TryGetValue(type, out var list))
            {
                list = new List<YEvent>();
                tr.ChangedParentTypes[type] = list;
            }
            list.Add(ev);
            if (type.ItemField is null) break;
            type = type.ItemField.Parent!;
        }
        Observe?.Invoke(ev, tr);
    }

    internal void CallDeepObservers(IReadOnlyList<YEvent> events, Transaction tr) => ObserveDeep?.Invoke(events, tr);

    protected Doc RequireDoc() => DocField ?? throw new InvalidOperationException("The type is not part of a document yet");

    /// <summary>The JSON-compatible value of this type (strings for text and XML, arrays, objects).</summary>
    public abstract AnyValue ToJson();

    internal static AnyValue ValueToJson(object? v) => v switch
    {
        // documents can nest types arbitrarily deep: fail with InsufficientExecutionStackException, never overflow the stack
        AbstractType t => EnsureStack(t).ToJson(),
        AnyValue a => a,
        null => AnyValue.Null,
        _ => AnyValue.String(v.ToString() ?? ""),
    };

    /// <summary>The item list, for debugging: one line per item.</summary>
    internal string DebugDump()
    {
        var sb = new System.Text.StringBuilder();
        for (var n = Start; n is not null; n = n.Right)
            sb.Append($"{n.Id} len={n.Length} del={n.Deleted} o={n.Origin} ro={n.RightOrigin} {n.Content.GetType().Name} {(n.Content is ContentString cs ? cs.Str : n.Content is ContentFormat cf ? cf.Key + "=" + cf.Value : "")}\n");
        return sb.ToString();
    }

    internal static AbstractType EnsureStack(AbstractType t)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        return t;
    }

    // ---- list helpers shared by Array, Text and XML ----

    /// <summary>The visible values of the list part, in order.</summary>
    internal List<object?> ListToList()
    {
        var res = new List<object?>();
        for (var n = Start; n is not null; n = n.Right)
            if (n.Countable && !n.Deleted) res.AddRange(n.Content.GetValues());
        return res;
    }

    internal object? ListGet(int index)
    {
        for (var n = Start; n is not null; n = n.Right)
        {
            if (n.Deleted || !n.Countable) continue;
            if (index < n.Length) return n.Content.GetValues().ElementAt(index);
            index -= n.Length;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>Packs the values into items (runs of Any values share one item) and integrates them after <paramref name="reference"/>.</summary>
    internal void ListInsertAfter(Transaction tr, Item? reference, IEnumerable<object?> content)
    {
        var left = reference;
        var doc = tr.Doc;
        var store = doc.Store;
        var right = reference is null ? Start : reference.Right;
        List<AnyValue>? json = null;
        void Pack()
        {
            if (json is null || json.Count == 0) return;
            left = new Item(new Id(doc.ClientId, store.GetState(doc.ClientId)), left, left?.LastId, right, right?.Id, this, null, new ContentAny(json));
            left.Integrate(tr, 0);
            json = null;
        }
        foreach (var c in content)
        {
            switch (c)
            {
                case AbstractType t:
                    Pack();
                    left = new Item(new Id(doc.ClientId, store.GetState(doc.ClientId)), left, left?.LastId, right, right?.Id, this, null, new ContentType(t));
                    left.Integrate(tr, 0);
                    break;
                case byte[] bytes:
                    Pack();
                    left = new Item(new Id(doc.ClientId, store.GetState(doc.ClientId)), left, left?.LastId, right, right?.Id, this, null, new ContentBinary(bytes));
                    left.Integrate(tr, 0);
                    break;
                case AnyValue { Kind: AnyKind.Bytes } b:
                    Pack();
                    left = new Item(new Id(doc.ClientId, store.GetState(doc.ClientId)), left, left?.LastId, right, right?.Id, this, null, new ContentBinary(b.AsBytes()));
                    left.Integrate(tr, 0);
                    break;
                case AnyValue { Kind: AnyKind.Undefined or AnyKind.BigInt }:
                    throw new ArgumentException("Unexpected content type in insert operation");
                default:
                    (json ??= new List<AnyValue>()).Add(ToAny(c));
                    break;
            }
        }
        Pack();
    }

    internal static AnyValue ToAny(object? c) => c switch
    {
        null => AnyValue.Null,
        AnyValue a => a,
        string s => AnyValue.String(s),
        bool b => AnyValue.Boolean(b),
        int i => AnyValue.Number(i),
        long l => AnyValue.Number(l),
        double d => AnyValue.Number(d),
        float f => AnyValue.Number(f),
        byte[] bytes => AnyValue.Bytes(bytes),
        _ => throw new ArgumentException($"Unsupported value type {c.GetType().Name}"),
    };

    internal void ListInsert(Transaction tr, int index, IReadOnlyCollection<object?> content)
    {
        if (index > LengthField || index < 0) throw new ArgumentOutOfRangeException(nameof(index), "Length exceeded!");
        if (index == 0)
        {
            Markers?.UpdateChanges(index, content.Count);
            ListInsertAfter(tr, null, content);
            return;
        }
        var startIndex = index;
        var marker = Markers?.Find(this, index);
        var n = Start;
        if (marker is not null)
        {
            n = marker.P;
            index -= marker.Index;
            if (index == 0)
            {
                // step back to the previous visible item so that the walk below can stop on it
                n = n.Prev;
                index += n is not null && n.Countable && !n.Deleted ? n.Length : 0;
            }
        }
        for (; n is not null; n = n.Right)
        {
            if (!n.Deleted && n.Countable)
            {
                if (index <= n.Length)
                {
                    if (index < n.Length) tr.Doc.Store.GetItemCleanStart(tr, new Id(n.Client, n.Clock + index));
                    break;
                }
                index -= n.Length;
            }
        }
        Markers?.UpdateChanges(startIndex, content.Count);
        ListInsertAfter(tr, n, content);
    }

    internal void ListPush(Transaction tr, IReadOnlyCollection<object?> content)
    {
        var n = Markers?.MaxIndexItem() ?? Start;
        if (n is not null) while (n.Right is not null) n = n.Right;
        ListInsertAfter(tr, n, content);
    }

    internal void ListDelete(Transaction tr, int index, int length)
    {
        if (length == 0) return;
        if (index < 0 || length < 0) throw new ArgumentOutOfRangeException(nameof(index));
        var startIndex = index;
        var startLength = length;
        var marker = Markers?.Find(this, index);
        var n = Start;
        if (marker is not null)
        {
            n = marker.P;
            index -= marker.Index;
        }
        var store = tr.Doc.Store;
        for (; n is not null && index > 0; n = n.Right)
        {
            if (!n.Deleted && n.Countable)
            {
                if (index < n.Length) store.GetItemCleanStart(tr, new Id(n.Client, n.Clock + index));
                index -= n.Length;
            }
        }
        while (length > 0 && n is not null)
        {
            if (!n.Deleted)
            {
                if (length < n.Length) store.GetItemCleanStart(tr, new Id(n.Client, n.Clock + length));
                n.Delete(tr);
                length -= n.Length;
            }
            n = n.Right;
        }
        if (length > 0) throw new ArgumentOutOfRangeException(nameof(length), "Length exceeded!");
        Markers?.UpdateChanges(startIndex, -startLength + length);
    }

    // ---- map helpers ----

    internal void MapSetValue(Transaction tr, string key, object? value)
    {
        var left = MapGet(key);
        var doc = tr.Doc;
        Content content = value switch
        {
            AbstractType t => new ContentType(t),
            byte[] b => new ContentBinary(b),
            AnyValue { Kind: AnyKind.Bytes } b => new ContentBinary(b.AsBytes()),
            _ => new ContentAny([ToAny(value)]),
        };
        new Item(new Id(doc.ClientId, doc.Store.GetState(doc.ClientId)), left, left?.LastId, null, null, this, key, content).Integrate(tr, 0);
    }

    internal void MapDelete(Transaction tr, string key) => MapGet(key)?.Delete(tr);

    internal object? MapGetValue(string key)
    {
        var v = MapGet(key);
        return v is not null && !v.Deleted ? v.LastValue : null;
    }
}

/// <summary>A root type that updates referred to before the application asked for it with a typed getter.</summary>
internal sealed class UntypedRoot : AbstractType
{
    public UntypedRoot() : base(false) { }
    internal override int TypeRef => throw new InvalidOperationException("untyped root");
    public override AnyValue ToJson() => AnyValue.Undefined;
}
