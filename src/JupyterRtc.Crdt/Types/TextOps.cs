using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Types;

/// <summary>A position between two items of a text, with the formatting attributes in effect there.</summary>
internal sealed class TextPosition(Item? left, Item? right, int index, AttrMap currentAttributes)
{
    public Item? Left = left;
    public Item? Right = right;
    public int Index = index;
    public AttrMap CurrentAttributes = currentAttributes;

    public void Forward()
    {
        var r = Right ?? throw new InvalidOperationException("cannot move past the end");
        if (r.Content is ContentFormat cf)
        {
            if (!r.Deleted) TextOps.UpdateCurrentAttributes(CurrentAttributes, cf);
        }
        else if (!r.Deleted) Index += r.Length;
        Left = r;
        Right = r.Right;
    }
}

/// <summary>
/// The text algorithms of Yjs (insertText, formatText, deleteText and the formatting cleanups). Where a new item
/// goes (tombstones and matching formats are skipped) and which format items exist decide the bytes, so this
/// follows Yjs step by step.
/// </summary>
internal static class TextOps
{
    public static void UpdateCurrentAttributes(AttrMap current, ContentFormat f)
    {
        if (f.Value.Kind == AnyKind.Null) current.Remove(f.Key);
        else current.Set(f.Key, f.Value);
    }

    /// <summary>Yjs equalAttrs: ===, or a shallow comparison of two objects/arrays. A C# null is JS undefined (a missing key), which equals only undefined.</summary>
    public static bool EqualAttrs(AnyValue? a, AnyValue? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (AnyValue.JsEquals(a, b)) return true;
        if (a.Kind == AnyKind.Object && b.Kind == AnyKind.Object)
        {
            var x = a.AsObject(); var y = b.AsObject();
            if (x.Count != y.Count) return false;
            foreach (var kv in x)
            {
                if (!y.TryGetValue(kv.Key, out var other)) { if (kv.Value.Kind != AnyKind.Undefined) return false; continue; }
                if (!AnyValue.JsEquals(kv.Value, other)) return false;
            }
            return true;
        }
        if (a.Kind == AnyKind.Array && b.Kind == AnyKind.Array)
        {
            var x = a.AsArray(); var y = b.AsArray();
            if (x.Count != y.Count) return false;
            for (var i = 0; i < x.Count; i++) if (!AnyValue.JsEquals(x[i], y[i])) return false;
            return true;
        }
        if (a.Kind == AnyKind.Bytes && b.Kind == AnyKind.Bytes) return a.AsBytes().AsSpan().SequenceEqual(b.AsBytes());
        return false;
    }

    private static AnyValue AttrOrNull(JsObject attrs, string key) => attrs[key] ?? AnyValue.Null;

    public static TextPosition FindNextPosition(Transaction tr, TextPosition pos, int count)
    {
        var store = tr.Doc.Store;
        while (pos.Right is not null && count > 0)
        {
            var r = pos.Right;
            if (r.Content is ContentFormat cf)
            {
                if (!r.Deleted) UpdateCurrentAttributes(pos.CurrentAttributes, cf);
            }
            else if (!r.Deleted)
            {
                if (count < r.Length) store.GetItemCleanStart(tr, new Id(r.Client, r.Clock + count));
                pos.Index += r.Length;
                count -= r.Length;
            }
            pos.Left = r;
            pos.Right = r.Right;
        }
        return pos;
    }

    public static TextPosition FindPosition(Transaction tr, YText parent, int index, bool useSearchMarker)
    {
        if (index < 0 || index > parent.LengthField) throw new ArgumentOutOfRangeException(nameof(index));
        var attrs = new AttrMap();
        var marker = useSearchMarker ? parent.Markers?.Find(parent, index) : null;
        if (marker is not null)
            return FindNextPosition(tr, new TextPosition(marker.P.Left, marker.P, marker.Index, attrs), index - marker.Index);
        return FindNextPosition(tr, new TextPosition(null, parent.Start, 0, attrs), index);
    }

    private static Item NewItem(Transaction tr, TextPosition pos, YText parent, Content content)
    {
        var doc = tr.Doc;
        var left = pos.Left;
        var right = pos.Right;
        var item = new Item(new Id(doc.ClientId, doc.Store.GetState(doc.ClientId)), left, left?.LastId, right, right?.Id, parent, null, content);
        item.Integrate(tr, 0);
        return item;
    }

    private static void InsertNegatedAttributes(Transaction tr, YText parent, TextPosition pos, AttrMap negated)
    {
        while (pos.Right is { } r && (r.Deleted || (r.Content is ContentFormat cf && EqualAttrs(negated.Get(cf.Key), cf.Value))))
        {
            if (!r.Deleted) negated.Remove(((ContentFormat)r.Content).Key);
            pos.Forward();
        }
        foreach (var (key, val) in negated.Entries.ToList())
        {
            pos.Right = NewItem(tr, pos, parent, new ContentFormat(key, val));
            pos.Forward();
        }
    }

    private static void MinimizeAttributeChanges(TextPosition pos, JsObject attrs)
    {
        while (pos.Right is { } r)
        {
            if (r.Deleted || (r.Content is ContentFormat cf && EqualAttrs(AttrOrNull(attrs, cf.Key), cf.Value))) pos.Forward();
            else break;
        }
    }

    private static AttrMap InsertAttributes(Transaction tr, YText parent, TextPosition pos, JsObject attrs)
    {
        var negated = new AttrMap();
        foreach (var (key, val) in attrs.ToList())
        {
            var currentVal = pos.CurrentAttributes.Get(key) ?? AnyValue.Null;
            if (!EqualAttrs(currentVal, val))
            {
                negated.Set(key, currentVal);
                pos.Right = NewItem(tr, pos, parent, new ContentFormat(key, val));
                pos.Forward();
            }
        }
        return negated;
    }

    public static void InsertText(Transaction tr, YText parent, TextPosition pos, object text, JsObject attrs)
    {
        foreach (var (key, _) in pos.CurrentAttributes.Entries)
            if (!attrs.ContainsKey(key)) attrs.Set(key, AnyValue.Null);
        MinimizeAttributeChanges(pos, attrs);
        var negated = InsertAttributes(tr, parent, pos, attrs);
        Content content = text switch
        {
            string s => new ContentString(s),
            AbstractType t => new ContentType(t),
            AnyValue a => new ContentEmbed(a),
            _ => new ContentEmbed(AbstractType.ToAny(text)),
        };
        var index = pos.Index;
        parent.Markers?.UpdateChanges(pos.Index, content.Length);
        pos.Right = NewItem(tr, pos, parent, content);
        pos.Index = index;
        pos.Forward();
        InsertNegatedAttributes(tr, parent, pos, negated);
    }

    public static void FormatText(Transaction tr, YText parent, TextPosition pos, int length, JsObject attrs)
    {
        var store = tr.Doc.Store;
        MinimizeAttributeChanges(pos, attrs);
        var negated = InsertAttributes(tr, parent, pos, attrs);
        while (pos.Right is { } r && (length > 0 || (negated.Count > 0 && (r.Deleted || r.Content is ContentFormat))))
        {
            if (!r.Deleted)
            {
                if (r.Content is ContentFormat cf)
                {
                    var attr = attrs[cf.Key];
                    if (attr is not null)
                    {
                        if (EqualAttrs(attr, cf.Value)) negated.Remove(cf.Key);
                        else
                        {
                            if (length == 0) break; // no need to extend the negated attributes further
                            negated.Set(cf.Key, cf.Value);
                        }
                        r.Delete(tr);
                    }
                    else pos.CurrentAttributes.Set(cf.Key, cf.Value);
                }
                else
                {
                    if (length < r.Length) store.GetItemCleanStart(tr, new Id(r.Client, r.Clock + length));
                    length -= r.Length;
                }
            }
            pos.Forward();
        }
        // Quill assumes a trailing newline: formatting past the end inserts newlines
        if (length > 0)
        {
            pos.Right = NewItem(tr, pos, parent, new ContentString(new string('\n', length)));
            pos.Forward();
        }
        InsertNegatedAttributes(tr, parent, pos, negated);
    }

    public static TextPosition DeleteText(Transaction tr, TextPosition pos, int length)
    {
        var store = tr.Doc.Store;
        var startLength = length;
        var startAttrs = pos.CurrentAttributes.Copy();
        var start = pos.Right;
        while (length > 0 && pos.Right is { } r)
        {
            if (!r.Deleted && r.Content is ContentType or ContentEmbed or ContentString)
            {
                if (length < r.Length) store.GetItemCleanStart(tr, new Id(r.Client, r.Clock + length));
                length -= r.Length;
                r.Delete(tr);
            }
            pos.Forward();
        }
        if (start is not null) CleanupFormattingGap(tr, start, pos.Right, startAttrs, pos.CurrentAttributes);
        var parent = (pos.Left ?? pos.Right)?.Parent;
        parent?.Markers?.UpdateChanges(pos.Index, -startLength + length);
        return pos;
    }

    public static int CleanupFormattingGap(Transaction tr, Item start, Item? curr, AttrMap startAttributes, AttrMap currAttributes)
    {
        Item? end = start;
        var endFormats = new Dictionary<string, ContentFormat>();
        while (end is not null && (!end.Countable || end.Deleted))
        {
            if (!end.Deleted && end.Content is ContentFormat cf) endFormats[cf.Key] = cf;
            end = end.Right;
        }
        var cleanups = 0;
        var reachedCurr = false;
        Item? s = start;
        while (s != end)
        {
            if (curr == s) reachedCurr = true;
            if (!s!.Deleted && s.Content is ContentFormat cf)
            {
                var startAttrValue = startAttributes.Get(cf.Key) ?? AnyValue.Null;
                if (!endFormats.TryGetValue(cf.Key, out var endFormat) || endFormat != cf || AnyValue.JsEquals(startAttrValue, cf.Value))
                {
                    // either overwritten later in the gap, or not needed because the attribute already had this value
                    s.Delete(tr);
                    cleanups++;
                    if (!reachedCurr && AnyValue.JsEquals(currAttributes.Get(cf.Key) ?? AnyValue.Null, cf.Value) && !AnyValue.JsEquals(startAttrValue, cf.Value))
                    {
                        if (startAttrValue.Kind == AnyKind.Null) currAttributes.Remove(cf.Key);
                        else currAttributes.Set(cf.Key, startAttrValue);
                    }
                }
                if (!reachedCurr && !s.Deleted) UpdateCurrentAttributes(currAttributes, cf);
            }
            s = s.Right;
        }
        return cleanups;
    }

    private static void CleanupContextlessFormattingGap(Transaction tr, Item? item)
    {
        while (item is not null && item.Right is not null && (item.Right.Deleted || !item.Right.Countable)) item = item.Right;
        var attrs = new HashSet<string>();
        while (item is not null && (item.Deleted || !item.Countable))
        {
            if (!item.Deleted && item.Content is ContentFormat cf)
            {
                if (!attrs.Add(cf.Key)) item.Delete(tr);
            }
            item = item.Left;
        }
    }

    public static int CleanupYTextFormatting(YText type)
    {
        var res = 0;
        type.Doc!.Transact(tr =>
        {
            var start = type.Start!;
            var end = type.Start;
            var startAttributes = new AttrMap();
            var currentAttributes = startAttributes.Copy();
            while (end is not null)
            {
                if (!end.Deleted)
                {
                    if (end.Content is ContentFormat cf) UpdateCurrentAttributes(currentAttributes, cf);
                    else
                    {
                        res += CleanupFormattingGap(tr, start, end, startAttributes, currentAttributes);
                        startAttributes = currentAttributes.Copy();
                        start = end;
                    }
                }
                end = end.Right;
            }
        });
        return res;
    }

    /// <summary>After a remote transaction on formatted text, delete format items that became redundant (in a new local transaction).</summary>
    public static void CleanupAfterTransaction(Transaction tr)
    {
        var needFullCleanup = new List<YText>();
        var doc = tr.Doc;
        foreach (var (client, afterClock) in tr.AfterState)
        {
            var clock = tr.BeforeStateOf(client);
            if (afterClock == clock) continue;
            // Yjs passes afterClock as the length here, which in effect iterates to the end of the client's structs
            StructStore.IterateStructs(tr, doc.Store.Clients[client], clock, afterClock, s =>
            {
                if (s is Item { Deleted: false, Content: ContentFormat } item && item.Parent is YText t && !needFullCleanup.Contains(t))
                    needFullCleanup.Add(t);
            });
        }
        doc.Transact(t =>
        {
            foreach (var (client, ranges) in tr.DeleteSet.Clients)
            {
                var structs = doc.Store.Clients[client];
                foreach (var range in ranges)
                {
                    StructStore.IterateStructs(tr, structs, range.Clock, range.Len, s =>
                    {
                        if (s is not Item item || item.Parent is not YText parent || !parent.HasFormatting || needFullCleanup.Contains(parent)) return;
                        if (item.Content is ContentFormat) needFullCleanup.Add(parent);
                        else CleanupContextlessFormattingGap(t, item);
                    });
                }
            }
            foreach (var yText in needFullCleanup) CleanupYTextFormatting(yText);
        });
    }
}
