using System.Text;
using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Updates;

namespace JupyterRtc.Crdt.Types;

// The XML types are decoded, kept and re-encoded intact, with read access; they have no editing API here.

public class YXmlFragment : AbstractType
{
    public YXmlFragment() : base(true) { }
    internal override int TypeRef => 4;

    internal override void CallObserver(Transaction tr, HashSet<string?> subs)
    {
        base.CallObserver(tr, subs);
        CallTypeObservers(tr, new YEvent(this, tr, subs));
    }

    public IReadOnlyList<object?> Children => ListToList();

    public override string ToString() => string.Concat(ListToList().Select(c => c is AbstractType t ? EnsureStack(t).ToString() : c?.ToString()));

    public override AnyValue ToJson() => AnyValue.String(ToString());
}

public sealed class YXmlElement : YXmlFragment
{
    public string NodeName { get; }
    public YXmlElement(string nodeName = "UNDEFINED") => NodeName = nodeName;
    internal override int TypeRef => 3;

    internal override void WriteType(UpdateEncoder enc)
    {
        enc.WriteTypeRef(3);
        enc.WriteKey(NodeName);
    }

    public IEnumerable<KeyValuePair<string, object?>> Attributes =>
        MapEntries.Where(e => !e.Value.Deleted).Select(e => new KeyValuePair<string, object?>(e.Key, e.Value.LastValue));

    public override string ToString()
    {
        var attrs = Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        var name = NodeName.ToLowerInvariant();
        sb.Append('<').Append(name);
        foreach (var (k, v) in attrs) sb.Append(' ').Append(k).Append("=\"").Append(v is AnyValue { Kind: AnyKind.String } s ? s.AsString() : v?.ToString()).Append('"');
        sb.Append('>').Append(base.ToString()).Append("</").Append(name).Append('>');
        return sb.ToString();
    }
}

public sealed class YXmlHook : AbstractType
{
    public string HookName { get; }
    public YXmlHook(string hookName) : base(false) => HookName = hookName;
    internal override int TypeRef => 5;

    internal override void WriteType(UpdateEncoder enc)
    {
        enc.WriteTypeRef(5);
        enc.WriteKey(HookName);
    }

    internal override void CallObserver(Transaction tr, HashSet<string?> subs)
    {
        base.CallObserver(tr, subs);
        CallTypeObservers(tr, new YEvent(this, tr, subs));
    }

    // Y.XmlHook is a Y.Map, which has no toString in JS
    public override string ToString() => "[object Object]";

    public override AnyValue ToJson()
    {
        var o = new JsObject();
        foreach (var e in MapEntries.Where(e => !e.Value.Deleted)) o.Set(e.Key, ValueToJson(e.Value.LastValue));
        return AnyValue.Object(o);
    }
}

public sealed class YXmlText : YText
{
    internal override int TypeRef => 6;

    /// <summary>Formatted runs become nested tags, as in Yjs (attributes sorted by name).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var op in ToDelta())
        {
            var nodes = (op.Attributes ?? new JsObject()).Select(kv => (Name: kv.Key,
                Attrs: kv.Value.Kind == AnyKind.Object ? kv.Value.AsObject().OrderBy(a => a.Key, StringComparer.Ordinal).ToList() : [])).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
            foreach (var (name, attrs) in nodes)
            {
                sb.Append('<').Append(name);
                foreach (var (k, v) in attrs) sb.Append(' ').Append(k).Append("=\"").Append(v.Kind == AnyKind.String ? v.AsString() : v.ToString()).Append('"');
                sb.Append('>');
            }
            sb.Append(op.Insert is string str ? str : op.Insert?.ToString());
            for (var i = nodes.Count - 1; i >= 0; i--) sb.Append("</").Append(nodes[i].Name).Append('>');
        }
        return sb.ToString();
    }

    public override AnyValue ToJson() => AnyValue.String(ToString());
}
