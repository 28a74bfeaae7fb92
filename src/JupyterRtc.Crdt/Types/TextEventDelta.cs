using System.Text;
using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Types;

/// <summary>
/// YTextEvent.delta of Yjs: inserts with their attributes, retains carrying attribute changes, deletes.
/// Like Yjs, computing it deletes format items that turn out to be redundant (in a new transaction), so observed
/// and unobserved documents evolve exactly as they do with Yjs.
/// </summary>
internal static class TextEventDelta
{
    public static List<DeltaOp> Compute(YTextEvent ev)
    {
        var delta = new List<DeltaOp>();
        var doc = ev.Target.Doc ?? throw new InvalidOperationException("type without document");
        doc.Transact(tr =>
        {
            var currentAttributes = new AttrMap();
            var oldAttributes = new AttrMap();
            var item = ev.Target.Start;
            string? action = null;
            var attributes = new JsObject();
            object? insertObj = null;
            var insertStr = new StringBuilder();
            var retain = 0;
            var deleteLen = 0;
            void AddOp()
            {
                if (action is null) return;
                DeltaOp? op = null;
                switch (action)
                {
                    case "delete":
                        if (deleteLen > 0) op = new DeltaOp { Delete = deleteLen };
                        deleteLen = 0;
                        break;
                    case "insert":
                        if (insertObj is not null || insertStr.Length > 0)
                        {
                            JsObject? attrs = null;
                            if (currentAttributes.Count > 0)
                            {
                                attrs = new JsObject();
                                foreach (var (k, v) in currentAttributes.Entries)
                                    if (v.Kind != AnyKind.Null) attrs.Set(k, v);
                            }
                            op = new DeltaOp { Insert = insertObj ?? insertStr.ToString(), Attributes = attrs };
                        }
                        insertObj = null;
                        insertStr.Clear();
                        break;
                    case "retain":
                        if (retain > 0) op = new DeltaOp { Retain = retain, Attributes = attributes.Count > 0 ? new JsObject(attributes) : null };
                        retain = 0;
                        break;
                }
                if (op is not null) delta.Add(op);
                action = null;
            }
            while (item is not null)
            {
                switch (item.Content)
                {
                    case ContentType or ContentEmbed:
                        if (ev.Adds(item))
                        {
                            if (!ev.Deletes(item))
                            {
                                AddOp();
                                action = "insert";
                                insertObj = item.Content.GetValues().First();
                                AddOp();
                            }
                        }
                        else if (ev.Deletes(item))
                        {
                            if (action != "delete") { AddOp(); action = "delete"; }
                            deleteLen += 1;
                        }
                        else if (!item.Deleted)
                        {
                            if (action != "retain") { AddOp(); action = "retain"; }
                            retain += 1;
                        }
                        break;
                    case ContentString cs:
                        if (ev.Adds(item))
                        {
                            if (!ev.Deletes(item))
                            {
                                if (action != "insert") { AddOp(); action = "insert"; }
                                cs.AppendTo(insertStr);
                            }
                        }
                        else if (ev.Deletes(item))
                        {
                            if (action != "delete") { AddOp(); action = "delete"; }
                            deleteLen += item.Length;
                        }
                        else if (!item.Deleted)
                        {
                            if (action != "retain") { AddOp(); action = "retain"; }
                            retain += item.Length;
                        }
                        break;
                    case ContentFormat cf:
                    {
                        var key = cf.Key;
                        var value = cf.Value;
                        if (ev.Adds(item))
                        {
                            if (!ev.Deletes(item))
                            {
                                var curVal = currentAttributes.Get(key) ?? AnyValue.Null;
                                if (!TextOps.EqualAttrs(curVal, value))
                                {
                                    if (action == "retain") AddOp();
                                    if (TextOps.EqualAttrs(value, oldAttributes.Get(key) ?? AnyValue.Null)) attributes.Remove(key);
                                    else attributes.Set(key, value);
                                }
                                else if (value.Kind != AnyKind.Null) item.Delete(tr);
                            }
                        }
                        else if (ev.Deletes(item))
                        {
                            oldAttributes.Set(key, value);
                            var curVal = currentAttributes.Get(key) ?? AnyValue.Null;
                            if (!TextOps.EqualAttrs(curVal, value))
                            {
                                if (action == "retain") AddOp();
                                attributes.Set(key, curVal);
                            }
                        }
                        else if (!item.Deleted)
                        {
                            oldAttributes.Set(key, value);
                            if (attributes.TryGetValue(key, out var attr))
                            {
                                if (!TextOps.EqualAttrs(attr, value))
                                {
                                    if (action == "retain") AddOp();
                                    if (value.Kind == AnyKind.Null) attributes.Remove(key);
                                    else attributes.Set(key, value);
                                }
                                else if (attr.Kind != AnyKind.Null) item.Delete(tr);
                            }
                        }
                        if (!item.Deleted)
                        {
                            if (action == "insert") AddOp();
                            TextOps.UpdateCurrentAttributes(currentAttributes, cf);
                        }
                        break;
                    }
                }
                item = item.Right;
            }
            AddOp();
            while (delta.Count > 0 && delta[^1].Retain is not null && delta[^1].Attributes is null) delta.RemoveAt(delta.Count - 1);
        });
        return delta;
    }
}
