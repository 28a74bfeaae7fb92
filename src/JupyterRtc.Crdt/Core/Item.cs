using JupyterRtc.Crdt.Types;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Core;

/// <summary>
/// An inserted run of elements of one client, linked into its parent's list (or a map key's chain).
/// origin = the last id of the left neighbour at insertion time, rightOrigin = the first id of the right one.
/// </summary>
internal sealed class Item : StructBase
{
    private const byte KeepFlag = 1, CountableFlag = 2, DeletedFlag = 4, MarkerFlag = 8;

    public Id? Origin;
    public Id? RightOrigin;
    public Item? Left;
    public Item? Right;
    public AbstractType? Parent;
    // Unresolved parent, as read from an update: a root name or the id of the item holding the parent type.
    public string? ParentName;
    public Id? ParentId;
    public string? ParentSub;
    public Content Content;
    public Id? Redone;
    private byte _info;

    public Item(Id id, Item? left, Id? origin, Item? right, Id? rightOrigin, AbstractType? parent, string? parentSub, Content content)
        : base(id.Client, id.Clock, content.Length)
    {
        Left = left;
        Origin = origin;
        Right = right;
        RightOrigin = rightOrigin;
        Parent = parent;
        ParentSub = parentSub;
        Content = content;
        _info = content.Countable ? CountableFlag : (byte)0;
    }

    public bool Keep
    {
        get => (_info & KeepFlag) != 0;
        set => _info = value ? (byte)(_info | KeepFlag) : (byte)(_info & ~KeepFlag);
    }

    public bool Countable => (_info & CountableFlag) != 0;
    public override bool Deleted => (_info & DeletedFlag) != 0;
    public void MarkDeleted() => _info |= DeletedFlag;

    public bool Marker
    {
        get => (_info & MarkerFlag) != 0;
        set => _info = value ? (byte)(_info | MarkerFlag) : (byte)(_info & ~MarkerFlag);
    }

    public Id LastId => Length == 1 ? new Id(Client, Clock) : new Id(Client, Clock + Length - 1);

    /// <summary>The value a map entry shows: the last element (undefined for contents without values, as in Yjs).</summary>
    public object? LastValue => Content.GetValues().LastOrDefault() ?? Encoding.AnyValue.Undefined;

    /// <summary>The next visible item to the right.</summary>
    public Item? Next
    {
        get
        {
            var n = Right;
            while (n is not null && n.Deleted) n = n.Right;
            return n;
        }
    }

    /// <summary>The previous visible item to the left.</summary>
    public Item? Prev
    {
        get
        {
            var n = Left;
            while (n is not null && n.Deleted) n = n.Left;
            return n;
        }
    }

    /// <summary>
    /// Returns the client this item depends on that is not integrated yet, or null; in the latter case
    /// the references (left, right, parent) are resolved, splitting neighbours as needed.
    /// </summary>
    public ulong? GetMissing(Transaction tr, StructStore store)
    {
        if (Origin is { } o && o.Client != Client && o.Clock >= store.GetState(o.Client)) return o.Client;
        if (RightOrigin is { } ro && ro.Client != Client && ro.Clock >= store.GetState(ro.Client)) return ro.Client;
        if (ParentId is { } pid && pid.Client != Client && pid.Clock >= store.GetState(pid.Client)) return pid.Client;

        StructBase? left = null, right = null;
        if (Origin is { } origin)
        {
            left = store.GetItemCleanEnd(tr, origin);
            Left = left as Item;
            Origin = new Id(left.Client, left.Clock + left.Length - 1);
        }
        if (RightOrigin is { } rightOrigin)
        {
            right = store.GetItemCleanStart(tr, rightOrigin);
            Right = right as Item;
            RightOrigin = right.Id;
        }
        if (left is GcStruct || right is GcStruct)
        {
            Parent = null;
            ParentName = null;
            ParentId = null;
        }
        else if (ParentName is null && ParentId is null && Parent is null)
        {
            if (Left is not null)
            {
                Parent = Left.Parent;
                ParentSub = Left.ParentSub;
            }
            else if (Right is not null)
            {
                Parent = Right.Parent;
                ParentSub = Right.ParentSub;
            }
        }
        else if (ParentId is { } parentId)
        {
            var parentItem = store.GetStruct(parentId);
            // a GC'd parent, or a parent whose content was replaced by ContentDeleted, makes this item a GC
            Parent = parentItem is Item { Content: ContentType ct } ? ct.Type : null;
            ParentId = null;
        }
        else if (ParentName is { } name)
        {
            Parent = tr.Doc.GetOrCreateRoot(name);
            ParentName = null;
        }
        return null;
    }

    /// <summary>YATA integration (Item.integrate of Yjs).</summary>
    public void Integrate(Transaction tr, int offset)
    {
        var store = tr.Doc.Store;
        if (offset > 0)
        {
            Clock += offset;
            var l = store.GetItemCleanEnd(tr, new Id(Client, Clock - 1));
            Left = l as Item;
            Origin = new Id(l.Client, l.Clock + l.Length - 1);
            Content = Content.Splice(offset);
            Length -= offset;
        }
        var parent = Parent;
        if (parent is null)
        {
            store.AddStruct(new GcStruct(Client, Clock, Length));
            return;
        }

        if ((Left is null && (Right is null || Right.Left is not null)) || (Left is not null && Left.Right != Right))
        {
            var left = Left;
            Item? o;
            if (left is not null) o = left.Right;
            else if (ParentSub is not null)
            {
                o = parent.MapGet(ParentSub);
                while (o is not null && o.Left is not null) o = o.Left;
            }
            else o = parent.Start;

            HashSet<Item>? conflicting = null, beforeOrigin = null;
            while (o is not null && o != Right)
            {
                conflicting ??= new HashSet<Item>(ReferenceEqualityComparer.Instance);
                beforeOrigin ??= new HashSet<Item>(ReferenceEqualityComparer.Instance);
                beforeOrigin.Add(o);
                conflicting.Add(o);
                if (Origin == o.Origin)
                {
                    if (o.Client < Client)
                    {
                        left = o;
                        conflicting.Clear();
                    }
                    else if (RightOrigin == o.RightOrigin)
                    {
                        // this item goes before o
                        break;
                    }
                }
                else if (o.Origin is { } oo && store.GetStruct(oo) is Item oOrigin && beforeOrigin.Contains(oOrigin))
                {
                    if (!conflicting.Contains(oOrigin))
                    {
                        left = o;
                        conflicting.Clear();
                    }
                }
                else break;
                o = o.Right;
            }
            Left = left;
        }

        if (Left is not null)
        {
            Right = Left.Right;
            Left.Right = this;
        }
        else
        {
            Item? r;
            if (ParentSub is not null)
            {
                r = parent.MapGet(ParentSub);
                while (r is not null && r.Left is not null) r = r.Left;
            }
            else
            {
                r = parent.Start;
                parent.Start = this;
            }
            Right = r;
        }
        if (Right is not null) Right.Left = this;
        else if (ParentSub is not null)
        {
            parent.MapSet(ParentSub, this);
            // the previous value of this key is overwritten
            Left?.Delete(tr);
        }
        if (ParentSub is null && Countable && !Deleted) parent.LengthField += Length;
        store.AddStruct(this);
        Content.Integrate(tr, this);
        tr.AddChangedType(parent, ParentSub);
        if ((parent.ItemField is not null && parent.ItemField.Deleted) || (ParentSub is not null && Right is not null))
        {
            // the parent is deleted, or this is a concurrent map write that lost
            Delete(tr);
        }
    }

    public void Delete(Transaction tr)
    {
        if (Deleted) return;
        var parent = Parent!;
        if (Countable && ParentSub is null) parent.LengthField -= Length;
        MarkDeleted();
        tr.DeleteSet.Add(Client, Clock, Length);
        tr.AddChangedType(parent, ParentSub);
        Content.Delete(tr);
    }

    /// <summary>Replaces the content by a tombstone, or the whole struct by a GC when the parent was collected.</summary>
    public void Gc(StructStore store, bool parentGcd)
    {
        if (!Deleted) throw new InvalidOperationException("gc of a live item");
        Content.Gc(store);
        if (parentGcd) store.ReplaceStruct(this, new GcStruct(Client, Clock, Length));
        else Content = new ContentDeleted(Length);
    }

    /// <summary>Splits this item at <paramref name="diff"/>; returns the right part (Yjs splitItem).</summary>
    public Item Split(Transaction tr, int diff)
    {
        var right = new Item(new Id(Client, Clock + diff), this, new Id(Client, Clock + diff - 1), Right, RightOrigin, Parent, ParentSub, Content.Splice(diff));
        if (Deleted) right.MarkDeleted();
        if (Keep) right.Keep = true;
        if (Redone is { } rd) right.Redone = new Id(rd.Client, rd.Clock + diff);
        Right = right;
        if (right.Right is not null) right.Right.Left = right;
        tr.MergeStructs.Add(right);
        if (right.ParentSub is not null && right.Right is null) right.Parent!.MapSet(right.ParentSub, right);
        Length = diff;
        return right;
    }

    public override bool MergeWith(StructBase r)
    {
        if (r is not Item right) return false;
        if (right.Origin is { } ro && ro.Client == Client && ro.Clock == Clock + Length - 1
            && Right == right
            && RightOrigin == right.RightOrigin
            && Client == right.Client
            && Clock + Length == right.Clock
            && Deleted == right.Deleted
            && Redone is null && right.Redone is null
            && Content.GetType() == right.Content.GetType()
            && Content.MergeWith(right.Content))
        {
            Parent?.OnItemMerged(this, right);
            if (right.Keep) Keep = true;
            Right = right.Right;
            if (Right is not null) Right.Left = this;
            Length += right.Length;
            return true;
        }
        return false;
    }

    public override void Write(UpdateEncoder enc, int offset)
    {
        var origin = offset > 0 ? new Id(Client, Clock + offset - 1) : Origin;
        var rightOrigin = RightOrigin;
        var parentSub = ParentSub;
        var info = (byte)((Content.Ref & 0x1f) | (origin is null ? 0 : 0x80) | (rightOrigin is null ? 0 : 0x40) | (parentSub is null ? 0 : 0x20));
        enc.WriteInfo(info);
        if (origin is { } o) enc.WriteLeftId(o);
        if (rightOrigin is { } ro) enc.WriteRightId(ro);
        if (origin is null && rightOrigin is null)
        {
            if (Parent is { } p)
            {
                if (p.ItemField is null)
                {
                    enc.WriteParentInfo(true);
                    enc.WriteString(p.RootName ?? throw new InvalidOperationException("root type without a name"));
                }
                else
                {
                    enc.WriteParentInfo(false);
                    enc.WriteLeftId(p.ItemField.Id);
                }
            }
            else if (ParentName is not null)
            {
                enc.WriteParentInfo(true);
                enc.WriteString(ParentName);
            }
            else if (ParentId is { } pid)
            {
                enc.WriteParentInfo(false);
                enc.WriteLeftId(pid);
            }
            else throw new InvalidOperationException("item without parent information");
            if (parentSub is not null) enc.WriteString(parentSub);
        }
        Content.Write(enc, offset);
    }
}
