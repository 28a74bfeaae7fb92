using System.Text;
using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Types;

/// <summary>
/// Shared text with formatting attributes and embeds. Indices and lengths are UTF-16 code units, as in JavaScript.
/// Formatting is stored as format items (key/value markers) between the characters, exactly as Yjs does.
/// </summary>
public class YText : AbstractType
{
    internal bool HasFormatting;
    private List<Action>? _pending;

    public YText() : base(true) { }

    public YText(string initial) : this()
    {
        if (initial.Length > 0) _pending = [() => Insert(0, initial)];
    }

    internal override int TypeRef => 2;

    /// <summary>Length in UTF-16 code units.</summary>
    public int Length => LengthField;

    internal override void IntegrateInto(Doc doc, Item? item)
    {
        base.IntegrateInto(doc, item);
        var pending = _pending;
        _pending = null;
        if (pending is not null) foreach (var f in pending) f();
    }

    internal void OnFormatIntegrated()
    {
        Markers?.Disable();
        HasFormatting = true;
    }

    internal override void CallObserver(Transaction tr, HashSet<string?> subs)
    {
        base.CallObserver(tr, subs);
        CallTypeObservers(tr, new YTextEvent(this, tr, subs));
        if (!tr.Local && HasFormatting) tr.NeedFormattingCleanup = true;
    }

    private void Run(Action<Transaction> f)
    {
        if (DocField is null)
        {
            (_pending ??= new List<Action>()).Add(() => Run(f));
            return;
        }
        DocField.Transact(f);
    }

    public override string ToString()
    {
        var sb = new StringBuilder(LengthField);
        for (var n = Start; n is not null; n = n.Right)
            if (!n.Deleted && n.Countable && n.Content is ContentString cs) cs.AppendTo(sb);
        return sb.ToString();
    }

    public override AnyValue ToJson() => AnyValue.String(ToString());

    /// <summary>Inserts text. Without <paramref name="attributes"/> the text takes the formatting at that position.</summary>
    public void Insert(int index, string text, IEnumerable<KeyValuePair<string, AnyValue>>? attributes = null)
    {
        if (text.Length == 0) return;
        Run(tr =>
        {
            var pos = TextOps.FindPosition(tr, this, index, attributes is null);
            var attrs = attributes is null ? pos.CurrentAttributes.ToObject() : new JsObject(attributes);
            TextOps.InsertText(tr, this, pos, text, attrs);
        });
    }

    /// <summary>Inserts an embed (any JSON value) or a nested type as one element.</summary>
    public void InsertEmbed(int index, object embed, IEnumerable<KeyValuePair<string, AnyValue>>? attributes = null)
    {
        Run(tr =>
        {
            var pos = TextOps.FindPosition(tr, this, index, attributes is null);
            TextOps.InsertText(tr, this, pos, embed, attributes is null ? new JsObject() : new JsObject(attributes));
        });
    }

    public void Delete(int index, int length)
    {
        if (length == 0) return;
        Run(tr => TextOps.DeleteText(tr, TextOps.FindPosition(tr, this, index, true), length));
    }

    /// <summary>Sets formatting attributes on a range; a null value removes the attribute.</summary>
    public void Format(int index, int length, IEnumerable<KeyValuePair<string, AnyValue>> attributes)
    {
        if (length == 0) return;
        Run(tr =>
        {
            var pos = TextOps.FindPosition(tr, this, index, false);
            if (pos.Right is null) return;
            TextOps.FormatText(tr, this, pos, length, new JsObject(attributes));
        });
    }

    /// <summary>Applies a Quill delta (insert / retain / delete ops).</summary>
    public void ApplyDelta(IEnumerable<DeltaOp> delta)
    {
        var ops = delta.ToList();
        Run(tr =>
        {
            var pos = new TextPosition(null, Start, 0, new AttrMap());
            foreach (var op in ops)
            {
                if (op.Insert is not null)
                {
                    if (op.Insert is not string s || s.Length > 0)
                        TextOps.InsertText(tr, this, pos, op.Insert, op.Attributes is null ? new JsObject() : new JsObject(op.Attributes));
                }
                else if (op.Retain is { } r) TextOps.FormatText(tr, this, pos, r, op.Attributes is null ? new JsObject() : new JsObject(op.Attributes));
                else if (op.Delete is { } d) TextOps.DeleteText(tr, pos, d);
            }
        });
    }

    /// <summary>The content as a Quill delta.</summary>
    public List<DeltaOp> ToDelta()
    {
        var ops = new List<DeltaOp>();
        var current = new AttrMap();
        var sb = new StringBuilder();
        void PackStr()
        {
            if (sb.Length == 0) return;
            ops.Add(new DeltaOp { Insert = sb.ToString(), Attributes = current.Count > 0 ? current.ToObject() : null });
            sb.Clear();
        }
        for (var n = Start; n is not null; n = n.Right)
        {
            if (n.Deleted) continue;
            switch (n.Content)
            {
                case ContentString cs: cs.AppendTo(sb); break;
                case ContentType or ContentEmbed:
                    PackStr();
                    ops.Add(new DeltaOp
                    {
                        Insert = n.Content is ContentType ct ? ct.Type : ((ContentEmbed)n.Content).Embed,
                        Attributes = current.Count > 0 ? current.ToObject() : null,
                    });
                    break;
                case ContentFormat cf:
                    PackStr();
                    TextOps.UpdateCurrentAttributes(current, cf);
                    break;
            }
        }
        PackStr();
        return ops;
    }

    /// <summary>Text-level attributes (stored in the map part of the type).</summary>
    public void SetAttribute(string name, AnyValue value) => Run(tr => MapSetValue(tr, name, value));
    public void RemoveAttribute(string name) => Run(tr => MapDelete(tr, name));
    public object? GetAttribute(string name) => MapGetValue(name);

    internal static void CleanupAfterTransaction(Transaction tr) => TextOps.CleanupAfterTransaction(tr);
}
