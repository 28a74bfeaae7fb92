using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Crdt.Tests;

/// <summary>
/// One seeded random editing session, played here while it is generated, then replayed by npm yjs
/// (tests/node/crdt/session.js); <see cref="Run"/> returns null when both agree, else a description of the first difference.
/// </summary>
internal sealed class DiffSession
{
    private readonly Random _rng;
    private readonly int _seed;
    private readonly List<ulong> _peers;
    private readonly bool _gc;
    private readonly List<Doc> _docs = new();
    private readonly List<(int Peer, byte[] V1, byte[] V2)> _log = new();
    private readonly JsonArray _steps = new();
    private JsonArray _sink;
    private byte[]? _pendingV1;
    private readonly bool _observe;
    private readonly List<List<string>> _events = new();

    public DiffSession(int seed, int? peerCount = null, bool? gc = null)
    {
        _seed = seed;
        _sink = _steps;
        _rng = new Random(seed);
        var peers = peerCount ?? 2 + _rng.Next(4);
        _gc = gc ?? _rng.Next(4) != 0;
        _observe = _rng.Next(2) == 0;
        _peers = Enumerable.Range(0, peers).Select(i => (ulong)(_rng.Next(2) == 0 ? i + 1 : _rng.NextInt64(1, 1L << 53))).Distinct().ToList();
        foreach (var id in _peers)
        {
            var d = new Doc(id, _gc);
            var peer = _docs.Count;
            d.Update += (u, _, _) => _pendingV1 = u;
            d.UpdateV2 += (u, _, _) => { _log.Add((peer, _pendingV1!, u)); _pendingV1 = null; };
            _docs.Add(d);
            var events = new List<string>();
            _events.Add(events);
            if (_observe)
            {
                foreach (var root in new AbstractType[] { d.GetText("t"), d.GetArray("a"), d.GetMap("m") })
                    root.ObserveDeep += (evs, _) => events.Add(EventsJson(evs));
            }
        }
    }

    // The long ASCII chunks make texts that the library keeps compact (one byte per character), so their splits,
    // merges with short and non-ASCII neighbours and encodings are compared with Yjs too; the 3,000-character one makes
    // merges pass the length from which a growing text is kept in a builder.
    private static readonly string[] Chunks = ["a", "b", "xy", "😀", "é", "\n", "🎉z", "q", "\u00e9t\u00e9",
        "for i in range(100):  print(i * i)  # squares\n", "0123456789abcdefghijklmnopqrstuvwxyzABCDEF", new string('w', 3000)];

    private string RandomText()
    {
        var n = _rng.Next(1, 4);
        return string.Concat(Enumerable.Range(0, n).Select(_ => Chunks[_rng.Next(Chunks.Length)]));
    }

    // ---- values: a tagged JSON form that session.js understands (numbers as strings keep -0, NaN, Infinity) ----

    private static JsonNode? Tag(AnyValue v) => v.Kind switch
    {
        AnyKind.Null => null,
        AnyKind.Undefined => new JsonObject { ["undef"] = 1 },
        AnyKind.Boolean => JsonValue.Create(v.AsBoolean()),
        AnyKind.String => JsonValue.Create(v.AsString()),
        AnyKind.Number => new JsonObject { ["num"] = NumRepr(v.AsNumber()) },
        AnyKind.BigInt => new JsonObject { ["big"] = v.AsBigInt().ToString(CultureInfo.InvariantCulture) },
        AnyKind.Bytes => new JsonObject { ["bytes"] = new JsonArray(v.AsBytes().Select(b => (JsonNode?)JsonValue.Create((int)b)).ToArray()) },
        AnyKind.Array => new JsonObject { ["arr"] = new JsonArray(v.AsArray().Select(Tag).ToArray()) },
        _ => new JsonObject { ["obj"] = new JsonArray(v.AsObject().Select(kv => (JsonNode?)new JsonArray(JsonValue.Create(kv.Key), Tag(kv.Value))).ToArray()) },
    };

    private static string NumRepr(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity"
        : d == 0 && double.IsNegative(d) ? "-0" : d.ToString("R", CultureInfo.InvariantCulture);

    private static readonly double[] Numbers = [0, -0.0, 1, -1, 63, 64, -8192, 2147483647, 2147483648, 1e10, 9007199254740991, 1.5, 0.1, -2.5e-10, double.NaN, double.PositiveInfinity, 1e21];

    private AnyValue RandomAny(int depth, bool allowUndefinedAndBigInt)
    {
        var k = _rng.Next(depth > 1 ? 7 : 10);
        switch (k)
        {
            case 0: return AnyValue.Null;
            case 1: return AnyValue.Boolean(_rng.Next(2) == 0);
            case 2: case 3: return AnyValue.Number(Numbers[_rng.Next(Numbers.Length)]);
            case 4: return AnyValue.String(RandomText());
            case 5: return allowUndefinedAndBigInt ? (_rng.Next(2) == 0 ? AnyValue.Undefined : AnyValue.BigInt(_rng.NextInt64(long.MinValue, long.MaxValue))) : AnyValue.String("u");
            case 6: return AnyValue.Bytes(Enumerable.Range(0, _rng.Next(3)).Select(_ => (byte)_rng.Next(256)).ToArray());
            case 7: return AnyValue.Array(Enumerable.Range(0, _rng.Next(3)).Select(_ => RandomAny(depth + 1, false)));
            default:
            {
                var o = new JsObject();
                foreach (var key in new[] { "b", "a", "10", "2", "é" }.Where(_ => _rng.Next(2) == 0))
                    o.Set(key, RandomAny(depth + 1, true));
                return AnyValue.Object(o);
            }
        }
    }

    /// <summary>A value for Y.Array/Y.Map: an Any value, or sometimes a new nested type.</summary>
    private (object? Value, JsonNode? Tagged) RandomValue(bool forMap)
    {
        if (_rng.Next(8) == 0)
        {
            switch (_rng.Next(3))
            {
                case 0: return (new YArray(), new JsonObject { ["type"] = "array" });
                case 1: return (new YMap(), new JsonObject { ["type"] = "map" });
                default: return (new YText(), new JsonObject { ["type"] = "text" });
            }
        }
        var v = RandomAny(0, forMap);
        return (v, Tag(v));
    }

    // ---- targets: root types and nested types reachable from them ----

    private static void Collect(AbstractType t, JsonArray path, string root, List<(AbstractType, string, JsonArray)> acc, int depth)
    {
        acc.Add((t, root, path));
        if (depth >= 3) return;
        switch (t)
        {
            case YMap m:
                foreach (var (k, v) in m.Entries)
                    if (v is AbstractType c) Collect(c, Append(path, k), root, acc, depth + 1);
                break;
            case YArray a:
                var list = a.ToList();
                for (var i = 0; i < list.Count; i++)
                    if (list[i] is AbstractType c) Collect(c, Append(path, i), root, acc, depth + 1);
                break;
        }
    }

    private static JsonArray Append(JsonArray path, JsonNode n)
    {
        var p = JsonNode.Parse(path.ToJsonString())!.AsArray();
        p.Add(n);
        return p;
    }

    private (JsObject Attrs, JsonNode Tagged) RandomAttrs(bool forFormat)
    {
        var o = new JsObject();
        if (_rng.Next(2) == 0) o.Set("bold", forFormat && _rng.Next(3) == 0 ? AnyValue.Null : AnyValue.True);
        if (_rng.Next(3) == 0) o.Set("color", _rng.Next(2) == 0 ? "red" : "blue");
        if (_rng.Next(4) == 0) o.Set("size", forFormat && _rng.Next(2) == 0 ? AnyValue.Null : AnyValue.Number(_rng.Next(3) + 0.5));
        return (o, Tag(AnyValue.Object(o))!);
    }

    public void Step()
    {
        var peer = _rng.Next(_docs.Count);
        var doc = _docs[peer];
        if (_log.Count > 0 && _rng.Next(3) == 0)
        {
            var entry = _rng.Next(_log.Count);
            var v2 = _rng.Next(2) == 0;
            _steps.Add(new JsonObject { ["op"] = "deliver", ["peer"] = peer, ["entry"] = entry, ["v2"] = v2 });
            if (v2) doc.ApplyUpdateV2(_log[entry].V2); else doc.ApplyUpdate(_log[entry].V1);
            return;
        }
        if (_rng.Next(6) == 0)
        {
            // several edits in one transaction: one update, one batch of events, merging at the end only
            var sub = new JsonArray();
            _sink = sub;
            try
            {
                // Either edits only, or several updates applied in one transaction. (Mixing both makes the transaction
                // remote with local changes, which Yjs takes for a client-id collision and answers with a random new id.)
                var deliveries = _log.Count > 0 && _rng.Next(5) == 0;
                doc.Transact(_ =>
                {
                    for (var k = _rng.Next(2, 6); k > 0; k--)
                    {
                        if (deliveries)
                        {
                            var entry = _rng.Next(_log.Count);
                            var v2 = _rng.Next(2) == 0;
                            sub.Add(new JsonObject { ["op"] = "deliver", ["peer"] = peer, ["entry"] = entry, ["v2"] = v2 });
                            if (v2) doc.ApplyUpdateV2(_log[entry].V2); else doc.ApplyUpdate(_log[entry].V1);
                        }
                        else Edit(peer);
                    }
                });
            }
            finally
            {
                _sink = _steps;
            }
            _steps.Add(new JsonObject { ["op"] = "batch", ["peer"] = peer, ["steps"] = sub });
            return;
        }
        Edit(peer);
    }

    private void Edit(int peer)
    {
        var doc = _docs[peer];
        var targets = new List<(AbstractType, string, JsonArray)>();
        Collect(doc.GetText("t"), new JsonArray(), "t", targets, 0);
        Collect(doc.GetArray("a"), new JsonArray(), "a", targets, 0);
        Collect(doc.GetMap("m"), new JsonArray(), "m", targets, 0);
        var (target, root, path) = targets[_rng.Next(targets.Count)];
        var step = new JsonObject { ["peer"] = peer, ["root"] = root, ["path"] = JsonNode.Parse(path.ToJsonString()) };
        switch (target)
        {
            case YText t:
            {
                var len = t.Length;
                var r = _rng.Next(10);
                if (len > 0 && r < 3)
                {
                    var index = _rng.Next(len);
                    var n = _rng.Next(1, Math.Min(len - index, 4) + 1);
                    step["op"] = "deleteText"; step["index"] = index; step["len"] = n;
                    _sink.Add(step);
                    t.Delete(index, n);
                }
                else if (len > 0 && r < 5)
                {
                    var index = _rng.Next(len);
                    var n = _rng.Next(1, Math.Min(len - index + 2, 6));
                    var (attrs, tagged) = RandomAttrs(true);
                    step["op"] = "format"; step["index"] = index; step["len"] = n; step["attrs"] = tagged;
                    _sink.Add(step);
                    t.Format(index, n, attrs);
                }
                else if (r == 9 && _rng.Next(2) == 0)
                {
                    // a Quill delta: retain (maybe formatting), insert (maybe with attributes), delete
                    var ops = new List<DeltaOp>();
                    var tagged = new JsonArray();
                    var pos = 0;
                    for (var k = _rng.Next(1, 4); k > 0; k--)
                    {
                        var kind = _rng.Next(3);
                        if (kind == 0 && pos < len)
                        {
                            var n = _rng.Next(1, len - pos + 1);
                            var withAttrs = _rng.Next(2) == 0;
                            var (attrs, tAttrs) = RandomAttrs(true);
                            ops.Add(new DeltaOp { Retain = n, Attributes = withAttrs ? attrs : null });
                            var o = new JsonObject { ["retain"] = n };
                            if (withAttrs) o["attributes"] = tAttrs;
                            tagged.Add(o);
                            pos += n;
                        }
                        else if (kind == 1 && pos < len)
                        {
                            var n = _rng.Next(1, Math.Min(len - pos, 3) + 1);
                            ops.Add(new DeltaOp { Delete = n });
                            tagged.Add(new JsonObject { ["delete"] = n });
                            len -= n;
                        }
                        else
                        {
                            var str = RandomText();
                            var withAttrs = _rng.Next(2) == 0;
                            var (attrs, tAttrs) = RandomAttrs(false);
                            ops.Add(new DeltaOp { Insert = str, Attributes = withAttrs ? attrs : null });
                            var o = new JsonObject { ["insert"] = str };
                            if (withAttrs) o["attributes"] = tAttrs;
                            tagged.Add(o);
                            pos += str.Length;
                            len += str.Length;
                        }
                    }
                    step["op"] = "applyDelta"; step["delta"] = tagged;
                    _sink.Add(step);
                    t.ApplyDelta(ops);
                }
                else if (r == 5)
                {
                    var index = _rng.Next(len + 1);
                    if (_rng.Next(4) == 0)
                    {
                        // a shared type embedded in the text
                        var (value, taggedType) = _rng.Next(2) == 0 ? ((object)new YMap(), new JsonObject { ["type"] = "map" }) : (new YArray(), new JsonObject { ["type"] = "array" });
                        step["op"] = "insertEmbed"; step["index"] = index; step["embed"] = taggedType;
                        _sink.Add(step);
                        t.InsertEmbed(index, value);
                    }
                    else
                    {
                        var embed = AnyValue.Object([new("image", RandomText())]);
                        step["op"] = "insertEmbed"; step["index"] = index; step["embed"] = Tag(embed);
                        _sink.Add(step);
                        t.InsertEmbed(index, embed);
                    }
                }
                else
                {
                    var index = _rng.Next(len + 1);
                    var text = RandomText();
                    step["op"] = "insertText"; step["index"] = index; step["text"] = text;
                    if (_rng.Next(3) == 0)
                    {
                        var (attrs, tagged) = RandomAttrs(false);
                        step["attrs"] = tagged;
                        _sink.Add(step);
                        t.Insert(index, text, attrs);
                    }
                    else
                    {
                        _sink.Add(step);
                        t.Insert(index, text);
                    }
                }
                break;
            }
            case YArray a:
            {
                var len = a.Length;
                if (len > 0 && _rng.Next(3) == 0)
                {
                    var index = _rng.Next(len);
                    var n = _rng.Next(1, Math.Min(len - index, 3) + 1);
                    step["op"] = "arrayDelete"; step["index"] = index; step["len"] = n;
                    _sink.Add(step);
                    a.Delete(index, n);
                }
                else
                {
                    var index = _rng.Next(len + 1);
                    var values = Enumerable.Range(0, _rng.Next(1, 4)).Select(_ => RandomValue(false)).ToList();
                    step["op"] = "arrayInsert"; step["index"] = index; step["values"] = new JsonArray(values.Select(v => v.Tagged).ToArray());
                    _sink.Add(step);
                    a.Insert(index, values.Select(v => v.Value).ToArray());
                }
                break;
            }
            case YMap m:
            {
                var key = new[] { "a", "b", "c", "10", "2", "😀" }[_rng.Next(6)];
                step["key"] = key;
                if (m.ContainsKey(key) && _rng.Next(4) == 0)
                {
                    step["op"] = "mapDelete";
                    _sink.Add(step);
                    m.Delete(key);
                }
                else
                {
                    var (value, tagged) = RandomValue(true);
                    step["op"] = "mapSet"; step["value"] = tagged;
                    _sink.Add(step);
                    m.Set(key, value);
                }
                break;
            }
        }
    }

    /// <summary>Plays steps until update #<paramref name="entry"/> is emitted; returns the steps and the item list of the text before it.</summary>
    public string RunDebug(int steps, int entry)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < steps && _log.Count <= entry; i++)
        {
            var before = string.Join("\n", _docs.Select((d, k) => $"peer {k} ({d.ClientId}):\n" + d.GetText("t").DebugDump()));
            var n = _steps.Count;
            Step();
            if (_log.Count > entry)
            {
                sb.Append(before).Append('\n');
                var input = new JsonObject { ["peers"] = new JsonArray(_peers.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()), ["gc"] = _gc, ["steps"] = _steps, ["stopAt"] = n };
                File.WriteAllText("/tmp/session-debug.json", input.ToJsonString());
            }
            for (var k = n; k < _steps.Count; k++) sb.Append(_steps[k]!.ToJsonString()).Append('\n');
        }
        return sb.ToString();
    }

    private void SyncAll()
    {
        _steps.Add(new JsonObject { ["op"] = "syncAll", ["peer"] = 0 });
        var states = _docs.Select(d => d.EncodeStateAsUpdate()).ToList();
        for (var i = 0; i < _docs.Count; i++)
            for (var j = 0; j < states.Count; j++)
                if (i != j) _docs[i].ApplyUpdate(states[j]);
    }

    private static string Canonical(string json)
    {
        static JsonNode? Sort(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, Sort(kv.Value?.DeepClone())))),
            JsonArray a => new JsonArray(a.Select(x => Sort(x?.DeepClone())).ToArray()),
            _ => n?.DeepClone(),
        };
        return Sort(JsonNode.Parse(json))!.ToJsonString();
    }

    private static string EventsJson(IReadOnlyList<YEvent> evs)
    {
        var list = new List<AnyValue>();
        foreach (var e in evs)
        {
            var keys = new JsObject();
            foreach (var k in e.Keys.Keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                var c = e.Keys[k];
                var o = new JsObject();
                o.Set("action", c.Action.ToString().ToLowerInvariant());
                o.Set("oldValue", c.Action == KeyAction.Add ? AnyValue.Undefined : AbstractType.ValueToJson(c.OldValue));
                keys.Set(k, AnyValue.Object(o));
            }
            var ev = new JsObject();
            ev.Set("path", AnyValue.Array(e.Path.Select(p => p is string s ? AnyValue.String(s) : AnyValue.Number((int)p))));
            ev.Set("delta", DeltaOp.ToAny(e.Delta));
            ev.Set("keys", AnyValue.Object(keys));
            list.Add(AnyValue.Object(ev));
        }
        return Json.Stringify(AnyValue.Array(list), true)!;
    }

    private static string B64(byte[] b) => Convert.ToBase64String(b);

    private JsonObject PeerState(Doc d) => new()
    {
        ["json"] = "{\"t\":" + Json.Stringify(d.GetText("t").ToJson(), true) + ",\"a\":" + Json.Stringify(d.GetArray("a").ToJson(), true) + ",\"m\":" + Json.Stringify(d.GetMap("m").ToJson(), true) + "}",
        ["delta"] = Json.Stringify(DeltaOp.ToAny(d.GetText("t").ToDelta()), true),
        ["sv"] = B64(d.EncodeStateVector()),
        ["v1"] = B64(d.EncodeStateAsUpdate()),
        ["v2"] = B64(d.EncodeStateAsUpdateV2()),
        ["snapshot"] = B64(Snapshot.Of(d).Encode()),
        ["snapshotV2"] = B64(Snapshot.Of(d).EncodeV2()),
        ["events"] = Json.Stringify(AnyValue.Array(_events[_docs.IndexOf(d)].Select(AnyValue.String)))!,
    };

    /// <summary>Plays <paramref name="steps"/> random steps and a final full sync; null if npm yjs agrees, else the first difference.</summary>
    public int EventCount => _events.Sum(e => e.Count);

    public string? Run(int steps)
    {
        try
        {
            for (var i = 0; i < steps; i++) Step();
        }
        catch (Exception e)
        {
            return $"seed {_seed}: C# threw at step {_steps.Count}: {e}";
        }
        SyncAll();
        if (_observe && _events.Sum(e => e.Count) == 0) return $"seed {_seed}: observed session recorded no events";
        var input = new JsonObject
        {
            ["peers"] = new JsonArray(_peers.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["gc"] = _gc,
            ["observe"] = _observe,
            ["steps"] = _steps,
            ["csUpdates"] = new JsonArray(_log.Select(l => (JsonNode?)new JsonObject { ["v1"] = B64(l.V1), ["v2"] = B64(l.V2) }).ToArray()),
        };
        // update utilities: random subsets of the log, merged, diffed against a peer's state vector, converted
        var toolTests = new List<(List<int> Entries, byte[] Sv)>();
        for (var i = 0; i < 4 && _log.Count > 0; i++)
        {
            var entries = Enumerable.Range(0, _rng.Next(1, Math.Min(_log.Count, 8) + 1)).Select(_ => _rng.Next(_log.Count)).ToList();
            toolTests.Add((entries, _docs[_rng.Next(_docs.Count)].EncodeStateVector()));
        }
        input["toolTests"] = new JsonArray(toolTests.Select(t => (JsonNode?)new JsonObject
        {
            ["entries"] = new JsonArray(t.Entries.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray()),
            ["sv"] = B64(t.Sv),
        }).ToArray());
        var inputText = input.ToJsonString();
        string outText;
        try
        {
            outText = TestEnv.Node("session.js", "", inputText);
        }
        catch (Exception e)
        {
            return $"seed {_seed}: yjs failed to replay the session: {e.Message}";
        }
        var result = JsonNode.Parse(outText)!;
        var ours = _docs.Select(PeerState).ToList();
        foreach (var set in new[] { "a", "b" })
        {
            var yjs = result[set]!;
            var log = yjs["log"]!.AsArray();
            if (log.Count != _log.Count) return $"seed {_seed} set {set}: yjs emitted {log.Count} updates, we emitted {_log.Count}";
            if (set == "a")
            {
                for (var i = 0; i < log.Count; i++)
                {
                    if ((string)log[i]!["v1"]! != B64(_log[i].V1)) return $"seed {_seed}: update #{i} v1 differs: yjs {log[i]!["v1"]} ours {B64(_log[i].V1)}";
                    if ((string)log[i]!["v2"]! != B64(_log[i].V2)) return $"seed {_seed}: update #{i} v2 differs: yjs {log[i]!["v2"]} ours {B64(_log[i].V2)}";
                }
            }
            if (set == "a")
            {
                var tools = yjs["tools"]!.AsArray();
                for (var i = 0; i < toolTests.Count; i++)
                {
                    var (entries, sv) = toolTests[i];
                    var merged = UpdateTools.MergeUpdates(entries.Select(e => _log[e].V1).ToList());
                    var mergedV2 = UpdateTools.MergeUpdatesV2(entries.Select(e => _log[e].V2).ToList());
                    var ours2 = new Dictionary<string, byte[]>
                    {
                        ["merge"] = merged,
                        ["mergeV2"] = mergedV2,
                        ["diff"] = UpdateTools.DiffUpdate(merged, sv),
                        ["diffV2"] = UpdateTools.DiffUpdateV2(mergedV2, sv),
                        ["toV2"] = UpdateTools.ConvertUpdateFormatV1ToV2(merged),
                        ["toV1"] = UpdateTools.ConvertUpdateFormatV2ToV1(mergedV2),
                        ["sv"] = UpdateTools.EncodeStateVectorFromUpdate(merged),
                        ["svV2"] = UpdateTools.EncodeStateVectorFromUpdateV2(mergedV2),
                    };
                    foreach (var (k, v) in ours2)
                        if ((string)tools[i]![k]! != B64(v)) return $"seed {_seed}: update tool {k} (#{i}, entries {string.Join(",", entries)}) differs\n yjs:  {tools[i]![k]}\n ours: {B64(v)}";
                }
            }
            var peers = yjs["peers"]!.AsArray();
            for (var p = 0; p < ours.Count; p++)
                foreach (var field in new[] { "json", "delta", "sv", "v1", "v2", "snapshot", "snapshotV2", "events" })
                {
                    var y = (string)peers[p]![field]!;
                    var o = (string)ours[p][field]!;
                    if (y != o) return $"seed {_seed} set {set} peer {p}: {field} differs\n yjs:  {y}\n ours: {o}";
                }
        }
        // all peers have the same state. (Their contents may still differ where a surrogate pair was split on one
        // replica only: Yjs turns the halves into U+FFFD locally. Each replica matching Yjs above is the real check.)
        for (var p = 1; p < ours.Count; p++)
            if ((string)ours[p]["sv"]! != (string)ours[0]["sv"]!) return $"seed {_seed}: peers 0 and {p} have different state vectors";
        return null;
    }
}
