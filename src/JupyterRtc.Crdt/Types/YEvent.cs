using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Types;

public enum KeyAction { Add, Update, Delete }

/// <summary>How one map key changed in a transaction; <see cref="OldValue"/> is the value before it.</summary>
public readonly record struct KeyChange(KeyAction Action, object? OldValue);

/// <summary>
/// The change of one type in one transaction, shaped like Yjs's YEvent: <see cref="Delta"/> for the list part,
/// <see cref="Keys"/> for map keys, <see cref="Path"/> from the observed type to the changed one.
/// Read it inside the handler: the transaction's bookkeeping is gone afterwards.
/// </summary>
public class YEvent
{
    public AbstractType Target { get; }
    public AbstractType CurrentTarget { get; private set; }
    public Transaction Transaction { get; }
    /// <summary>The changed map keys (null stands for the list part and is not included).</summary>
    public IReadOnlySet<string> KeysChanged { get; }
    public bool ChildListChanged { get; }
    private List<DeltaOp>? _delta;
    private Dictionary<string, KeyChange>? _keys;

    internal YEvent(AbstractType target, Transaction tr, HashSet<string?> subs)
    {
        Target = target;
        CurrentTarget = target;
        Transaction = tr;
        var keys = new HashSet<string>();
        foreach (var s in subs)
        {
            if (s is null) ChildListChanged = true;
            else keys.Add(s);
        }
        KeysChanged = keys;
    }

    internal void SetCurrentTarget(AbstractType t) => CurrentTarget = t;

    internal bool Adds(StructBase s) => Transaction.Adds(s);
    internal bool Deletes(StructBase s) => Transaction.DeleteSet.IsDeleted(s.Id);

    /// <summary>Keys (map parents) or indices (list parents) from <see cref="CurrentTarget"/> down to <see cref="Target"/>.</summary>
    public IReadOnlyList<object> Path
    {
        get
        {
            var path = new List<object>();
            var child = Target;
            while (child.ItemField is not null && child != CurrentTarget)
            {
                var item = child.ItemField;
                if (item.ParentSub is not null) path.Insert(0, item.ParentSub);
                else
                {
                    var i = 0;
                    for (var c = item.Parent!.Start; c != item && c is not null; c = c.Right)
                        if (!c.Deleted && c.Countable) i += c.Length;
                    path.Insert(0, i);
                }
                child = item.Parent!;
            }
            return path;
        }
    }

    /// <summary>The list change as insert (values) / retain / delete ops; a trailing retain is dropped.</summary>
    public virtual IReadOnlyList<DeltaOp> Delta => _delta ??= ComputeListDelta();

    private List<DeltaOp> ComputeListDelta()
    {
        var delta = new List<DeltaOp>();
        if (!ChildListChanged) return delta;
        string? kind = null;
        var count = 0;
        var inserts = new List<object?>();
        void Pack()
        {
            switch (kind)
            {
                case "insert": delta.Add(new DeltaOp { Insert = inserts.ToList() }); inserts.Clear(); break;
                case "retain": delta.Add(new DeltaOp { Retain = count }); break;
                case "delete": delta.Add(new DeltaOp { Delete = count }); break;
            }
            count = 0;
        }
        for (var item = Target.Start; item is not null; item = item.Right)
        {
            if (item.Deleted)
            {
                if (Deletes(item) && !Adds(item))
                {
                    if (kind != "delete") { Pack(); kind = "delete"; }
                    count += item.Length;
                }
            }
            else if (Adds(item))
            {
                if (kind != "insert") { Pack(); kind = "insert"; }
                inserts.AddRange(item.Content.GetValues());
            }
            else
            {
                if (kind != "retain") { Pack(); kind = "retain"; }
                count += item.Length;
            }
        }
        if (kind is not null and not "retain") Pack();
        return delta;
    }

    /// <summary>Per changed key: added, updated or deleted, with the old value.</summary>
    public IReadOnlyDictionary<string, KeyChange> Keys => _keys ??= ComputeKeys();

    private Dictionary<string, KeyChange> ComputeKeys()
    {
        var keys = new Dictionary<string, KeyChange>();
        foreach (var key in KeysChanged)
        {
            var item = Target.MapGet(key);
            if (item is null) continue;
            if (Adds(item))
            {
                var prev = item.Left;
                while (prev is not null && Adds(prev)) prev = prev.Left;
                if (Deletes(item))
                {
                    if (prev is not null && Deletes(prev)) keys[key] = new KeyChange(KeyAction.Delete, prev.Content.GetValues().LastOrDefault());
                }
                else if (prev is not null && Deletes(prev)) keys[key] = new KeyChange(KeyAction.Update, prev.Content.GetValues().LastOrDefault());
                else keys[key] = new KeyChange(KeyAction.Add, null);
            }
            else if (Deletes(item)) keys[key] = new KeyChange(KeyAction.Delete, item.Content.GetValues().LastOrDefault());
        }
        return keys;
    }
}

/// <summary>A text change: <see cref="YEvent.Delta"/> is a Quill delta with inserted strings and attribute changes.</summary>
public sealed class YTextEvent : YEvent
{
    private List<DeltaOp>? _textDelta;

    internal YTextEvent(YText target, Transaction tr, HashSet<string?> subs) : base(target, tr, subs) { }

    public override IReadOnlyList<DeltaOp> Delta => _textDelta ??= TextEventDelta.Compute(this);
}
