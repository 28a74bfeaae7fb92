using System.Text;
using System.Text.Json;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Collaboration.Documents;

using Contents = JupyterRtc.Contents;

/// <summary>
/// A notebook (<c>json:notebook:&lt;id&gt;</c>) in jupyter_ydoc's schema 2.0.0, whose key names the frontend relies on:
/// <c>meta</c> {<c>nbformat</c>, <c>nbformat_minor</c>, <c>metadata</c>: map of plain values} and <c>cells</c>, an array
/// of maps {<c>id</c>, <c>cell_type</c>, <c>source</c>: text, <c>metadata</c>: map, <c>attachments</c>,
/// <c>execution_count</c>, <c>execution_state</c>, <c>outputs</c>: array of maps whose stream <c>text</c> is a text}.
/// Outputs written as plain objects (older clients, other servers) are read as well. See schema/notebook.ydoc.md.
/// </summary>
public sealed class NotebookDocument : SharedDocument
{
    public const string SchemaVersion = "2.0.0";

    public NotebookDocument(Doc doc) : base(doc)
    {
        Meta = doc.GetMap("meta");
        Cells = doc.GetArray("cells");
    }

    public YMap Meta { get; }
    public YArray Cells { get; }
    public override string Format => "json";
    public override string ContentType => "notebook";

    private int NbformatMinor => Meta.Get("nbformat_minor") is AnyValue { Kind: AnyKind.Number } m ? (int)m.AsNumber() : 5;

    // ---- nbformat → shared document ---------------------------------------------------------------------------------

    public override void Load(JsonElement nb, object? origin = null) => Doc.Transact(_ =>
    {
        SetMeta(nb);
        var cells = nb.TryGetProperty("cells", out var c) && c.ValueKind == JsonValueKind.Array ? c.EnumerateArray().ToList() : [];
        var created = cells.Count == 0 ? [DefaultCell()] : cells.Select(CreateCell).ToArray();
        if (created.Length > 0) Cells.Insert(0, created);
    }, origin);

    private void SetMeta(JsonElement nb)
    {
        var nbformat = nb.TryGetProperty("nbformat", out var f) && f.ValueKind == JsonValueKind.Number ? f.GetDouble() : 4;
        var minor = nb.TryGetProperty("nbformat_minor", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : 5;
        if (Meta.Get("nbformat") is not AnyValue { Kind: AnyKind.Number } of || of.AsNumber() != nbformat) Meta.Set("nbformat", AnyValue.Number(nbformat));
        if (Meta.Get("nbformat_minor") is not AnyValue { Kind: AnyKind.Number } om || om.AsNumber() != minor) Meta.Set("nbformat_minor", AnyValue.Number(minor));
        var metadata = nb.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object ? md : default;
        if (Meta.Get("metadata") is YMap existing)
        {
            PatchMap(existing, metadata);
            return;
        }
        var map = new YMap();
        if (metadata.ValueKind == JsonValueKind.Object)
            foreach (var p in metadata.EnumerateObject()) map.Set(p.Name, JsonAny.FromJson(p.Value));
        Meta.Set("metadata", map);
    }

    private static YMap DefaultCell()
    {
        var cell = new YMap();
        cell.Set("id", AnyValue.String(Guid.NewGuid().ToString()));
        cell.Set("cell_type", AnyValue.String("code"));
        cell.Set("source", new YText());
        var metadata = new YMap();
        metadata.Set("trusted", AnyValue.True);
        cell.Set("metadata", metadata);
        cell.Set("execution_count", AnyValue.Null);
        cell.Set("execution_state", AnyValue.String("idle"));
        cell.Set("outputs", new YArray());
        return cell;
    }

    private static YMap CreateCell(JsonElement cell)
    {
        var map = new YMap();
        if (cell.ValueKind != JsonValueKind.Object) return map;
        var type = cell.TryGetProperty("cell_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "code";
        map.Set("id", AnyValue.String(cell.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : Guid.NewGuid().ToString()));
        foreach (var p in cell.EnumerateObject())
        {
            switch (p.Name)
            {
                case "id": break;
                case "source": map.Set("source", new YText(Joined(p.Value))); break;
                case "metadata":
                {
                    var metadata = new YMap();
                    if (p.Value.ValueKind == JsonValueKind.Object)
                        foreach (var mp in p.Value.EnumerateObject()) metadata.Set(mp.Name, JsonAny.FromJson(mp.Value));
                    map.Set("metadata", metadata);
                    break;
                }
                case "outputs" when type == "code" && p.Value.ValueKind == JsonValueKind.Array:
                {
                    var outputs = new YArray();
                    var items = p.Value.EnumerateArray().Select(o => (object?)CreateOutput(o)).ToArray();
                    if (items.Length > 0) outputs.Insert(0, items);
                    map.Set("outputs", outputs);
                    break;
                }
                case "attachments" when p.Value.ValueKind == JsonValueKind.Object && !p.Value.EnumerateObject().Any():
                    break;   // empty attachments are dropped, as nbformat does on save
                default: map.Set(p.Name, JsonAny.FromJson(p.Value)); break;
            }
        }
        if (!map.ContainsKey("source")) map.Set("source", new YText());
        if (!map.ContainsKey("metadata")) map.Set("metadata", new YMap());
        if (type == "code")
        {
            if (!map.ContainsKey("outputs")) map.Set("outputs", new YArray());
            if (!map.ContainsKey("execution_count")) map.Set("execution_count", AnyValue.Null);
            map.Set("execution_state", AnyValue.String("idle"));
        }
        return map;
    }

    private static object CreateOutput(JsonElement output)
    {
        if (output.ValueKind != JsonValueKind.Object) return JsonAny.FromJson(output);
        var map = new YMap();
        var isStream = output.TryGetProperty("output_type", out var ot) && ot.ValueEquals("stream");
        foreach (var p in output.EnumerateObject())
        {
            // Stream text is a text so that streaming appends are small edits; always one joined string.
            if (isStream && p.Name == "text") map.Set("text", new YText(Joined(p.Value)));
            else map.Set(p.Name, JsonAny.FromJson(p.Value));
        }
        return map;
    }

    /// <summary>A multi-line string as the client has it: a string, or nbformat's list of lines joined.</summary>
    private static string Joined(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
        if (value.ValueKind != JsonValueKind.Array) return "";
        var sb = new StringBuilder();
        foreach (var line in value.EnumerateArray()) if (line.ValueKind == JsonValueKind.String) sb.Append(line.GetString());
        return sb.ToString();
    }

    /// <summary>Sets every code cell that says it is running back to idle; returns how many did.</summary>
    public int SettleExecutionStates(object? origin = null)
    {
        var running = new List<YMap>();
        for (var i = 0; i < Cells.Length; i++)
            if (Cells.Get(i) is YMap cell && cell.Get("execution_state") is AnyValue { Kind: AnyKind.String } state && state.AsString() != "idle")
                running.Add(cell);
        if (running.Count > 0)
            Doc.Transact(_ => { foreach (var cell in running) cell.Set("execution_state", AnyValue.String("idle")); }, origin);
        return running.Count;
    }

    // ---- granular reload --------------------------------------------------------------------------------------------

    public override bool Reload(JsonElement nb, object? origin = null)
    {
        if (ContentEquals(nb)) return false;
        Doc.Transact(_ =>
        {
            SetMeta(nb);
            var target = nb.TryGetProperty("cells", out var c) && c.ValueKind == JsonValueKind.Array ? c.EnumerateArray().ToList() : [];
            var targetIds = target.Select(CellId).ToList();
            // Files without cell ids (nbformat <= 4.4) match by position; files with ids by id.
            var byPosition = targetIds.All(id => id == null);
            var keep = new HashSet<string>(targetIds.Where(id => id != null)!, StringComparer.Ordinal);
            if (!byPosition)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = Cells.Length - 1; i >= 0; i--)
                {
                    var id = (Cells.Get(i) as YMap)?.Get("id") is AnyValue { Kind: AnyKind.String } s ? s.AsString() : null;
                    if (id == null || !keep.Contains(id)) Cells.Delete(i);
                }
                for (var i = 0; i < Cells.Length; i++)
                {
                    var id = ((YMap)Cells.Get(i)!).Get("id") is AnyValue s ? s.AsString() : "";
                    if (!seen.Add(id)) { Cells.Delete(i); i--; }
                }
            }
            for (var i = 0; i < target.Count; i++)
            {
                var want = target[i];
                var current = i < Cells.Length ? Cells.Get(i) as YMap : null;
                if (current != null && (byPosition || CellIdOf(current) == targetIds[i]) && PatchCell(current, want)) continue;
                if (current != null && (byPosition || CellIdOf(current) == targetIds[i]))
                {
                    Cells.Delete(i);   // same cell, but its type changed: recreate it
                    Cells.Insert(i, [CreateCell(want)]);
                    continue;
                }
                // Moved cells are deleted and inserted again, as the frontend itself moves them.
                if (!byPosition)
                    for (var j = i + 1; j < Cells.Length; j++)
                        if (CellIdOf(Cells.Get(j) as YMap) == targetIds[i]) { Cells.Delete(j); break; }
                Cells.Insert(i, [CreateCell(want)]);
            }
            if (Cells.Length > target.Count) Cells.Delete(target.Count, Cells.Length - target.Count);
            if (Cells.Length == 0) Cells.Insert(0, [DefaultCell()]);
        }, origin);
        return true;
    }

    private static string? CellId(JsonElement cell) =>
        cell.ValueKind == JsonValueKind.Object && cell.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    private static string? CellIdOf(YMap? cell) => cell?.Get("id") is AnyValue { Kind: AnyKind.String } s ? s.AsString() : null;

    /// <summary>Edits a cell in place to match; false when it cannot (the cell type changed).</summary>
    private static bool PatchCell(YMap cell, JsonElement want)
    {
        if (want.ValueKind != JsonValueKind.Object) return false;
        var type = want.TryGetProperty("cell_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "code";
        if (cell.Get("cell_type") is not AnyValue ct || ct.Kind != AnyKind.String || ct.AsString() != type) return false;
        var seen = new HashSet<string>(StringComparer.Ordinal) { "id", "execution_state" };
        foreach (var p in want.EnumerateObject())
        {
            seen.Add(p.Name);
            var value = cell.Get(p.Name);
            switch (p.Name)
            {
                case "id": break;
                case "source":
                    if (value is YText text) PatchText(text, Joined(p.Value));
                    else cell.Set("source", new YText(Joined(p.Value)));
                    break;
                case "metadata":
                    if (value is YMap md) PatchMap(md, p.Value);
                    else cell.Set("metadata", CreateCell(want).Get("metadata"));
                    break;
                case "outputs" when type == "code":
                    if (!OutputsEqual(value, p.Value))
                    {
                        if (value is YArray outputs)
                        {
                            if (outputs.Length > 0) outputs.Delete(0, outputs.Length);
                            var items = p.Value.EnumerateArray().Select(o => (object?)CreateOutput(o)).ToArray();
                            if (items.Length > 0) outputs.Insert(0, items);
                        }
                        else cell.Set("outputs", CreateCell(want).Get("outputs"));
                    }
                    break;
                case "attachments" when p.Value.ValueKind == JsonValueKind.Object && !p.Value.EnumerateObject().Any():
                    if (cell.ContainsKey("attachments")) cell.Delete("attachments");
                    break;
                default:
                    if (value is not AnyValue a || !JsonAny.Equal(a, p.Value)) cell.Set(p.Name, JsonAny.FromJson(p.Value));
                    break;
            }
        }
        foreach (var key in cell.Keys.ToList())
            if (!seen.Contains(key) && key is not "source" and not "metadata" and not "outputs" and not "execution_count") cell.Delete(key);
        return true;
    }

    private static void PatchMap(YMap map, JsonElement want)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (want.ValueKind == JsonValueKind.Object)
            foreach (var p in want.EnumerateObject())
            {
                keys.Add(p.Name);
                if (map.Get(p.Name) is not AnyValue a || !JsonAny.Equal(a, p.Value)) map.Set(p.Name, JsonAny.FromJson(p.Value));
            }
        foreach (var key in map.Keys.ToList()) if (!keys.Contains(key)) map.Delete(key);
    }

    // ---- three-way merge of a change on disk -------------------------------------------------------------------------

    public override int Merge(JsonElement baseNb, JsonElement diskNb, object? origin = null)
    {
        static List<JsonElement> CellsOf(JsonElement nb) =>
            nb.TryGetProperty("cells", out var c) && c.ValueKind == JsonValueKind.Array ? c.EnumerateArray().ToList() : [];
        var baseCells = CellsOf(baseNb);
        var diskCells = CellsOf(diskNb);
        if (baseCells.Concat(diskCells).Any(c => CellId(c) == null) || Cells.ToList().Any(c => CellIdOf(c as YMap) == null))
            return ContentEquals(baseNb) ? (Reload(diskNb, origin) ? 0 : 0) : 1;   // no ids to match by: only a clean document can follow the disk
        var baseById = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var c in baseCells) baseById.TryAdd(CellId(c)!, c);
        var diskIds = diskCells.Select(c => CellId(c)!).ToHashSet(StringComparer.Ordinal);
        var conflicts = 0;
        Doc.Transact(_ =>
        {
            conflicts += MergeMetadata(baseNb, diskNb);
            foreach (var key in new[] { "nbformat", "nbformat_minor" })
                if (diskNb.TryGetProperty(key, out var dv) && dv.ValueKind == JsonValueKind.Number &&
                    (!baseNb.TryGetProperty(key, out var bv) || bv.ValueKind != JsonValueKind.Number || bv.GetDouble() != dv.GetDouble()))
                    Meta.Set(key, AnyValue.Number(dv.GetDouble()));
            // Deleted on disk: removed here too unless the document changed that cell.
            foreach (var (id, b) in baseById)
            {
                if (diskIds.Contains(id) || IndexOfCell(id) is not { } i) continue;
                if (CellEquals((YMap)Cells.Get(i)!, b)) Cells.Delete(i); else conflicts++;
            }
            string? previous = null;
            foreach (var d in diskCells)
            {
                var id = CellId(d)!;
                var at = IndexOfCell(id);
                if (baseById.TryGetValue(id, out var b))
                {
                    if (JsonEqual(CellToJson(d), b)) { }                                  // unchanged on disk
                    else if (at is not { } i) conflicts++;                                  // deleted here, changed there
                    else if (CellEquals((YMap)Cells.Get(i)!, b))
                    {
                        if (!PatchCell((YMap)Cells.Get(i)!, d)) { Cells.Delete(i); Cells.Insert(i, [CreateCell(d)]); }
                    }
                    else conflicts++;                                                       // changed on both sides
                }
                else if (at is { } j) { if (!CellEquals((YMap)Cells.Get(j)!, d)) conflicts++; }   // added on both sides
                else
                {
                    // Added on disk: after the cell that precedes it on disk, if the document still has it.
                    var after = previous == null ? -1 : IndexOfCell(previous) ?? -1;
                    Cells.Insert(after + 1, [CreateCell(d)]);
                }
                previous = id;
            }
        }, origin);
        return conflicts;
    }

    private int MergeMetadata(JsonElement baseNb, JsonElement diskNb)
    {
        static Dictionary<string, JsonElement> Props(JsonElement nb) =>
            nb.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
                ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value) : [];
        var b = Props(baseNb);
        var d = Props(diskNb);
        if (Meta.Get("metadata") is not YMap mine) return 0;
        var conflicts = 0;
        foreach (var key in b.Keys.Union(d.Keys).ToList())
        {
            var inBase = b.TryGetValue(key, out var bv);
            var inDisk = d.TryGetValue(key, out var dv);
            if (inBase == inDisk && (!inBase || JsonEqual(bv, dv))) continue;          // the disk did not change it
            var current = mine.Get(key) as AnyValue;
            var unchangedHere = inBase ? current != null && JsonAny.Equal(current, bv) : current == null;
            if (!unchangedHere) { conflicts++; continue; }
            if (inDisk) mine.Set(key, JsonAny.FromJson(dv)); else mine.Delete(key);
        }
        return conflicts;
    }

    private int? IndexOfCell(string id)
    {
        for (var i = 0; i < Cells.Length; i++) if (CellIdOf(Cells.Get(i) as YMap) == id) return i;
        return null;
    }

    private static bool CellEquals(YMap cell, JsonElement json)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 1024 })) WriteCell(w, cell, keepIds: true);
        using var mine = JsonDocument.Parse(buffer.WrittenMemory, Contents.Notebooks.NotebookFormat.DocumentOptions);
        return JsonEqual(mine.RootElement, json);
    }

    private static JsonElement CellToJson(JsonElement cell) => cell;

    // ---- shared document → nbformat ---------------------------------------------------------------------------------

    /// <summary>
    /// The notebook as the Contents API saves it: <c>execution_state</c> stripped, ids dropped for nbformat 4.0–4.4,
    /// empty attachments dropped, duplicate ids resolved (an exact duplicate cell is dropped, a different cell with a
    /// taken id gets a new id, written back into the document), plain-object outputs accepted.
    /// </summary>
    public override void WriteContent(Utf8JsonWriter w)
    {
        var keepIds = KeepIds;
        var cells = Cells.ToList();
        var seen = new Dictionary<string, YMap>(StringComparer.Ordinal);
        var renames = new List<YMap>();
        var drop = new HashSet<int>();
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not YMap cell || CellIdOf(cell) is not { } id) continue;
            if (!seen.TryGetValue(id, out var first)) { seen[id] = cell; continue; }
            if (CellJson(first, true) == CellJson(cell, true)) drop.Add(i); else renames.Add(cell);
        }
        if (renames.Count > 0)
            Doc.Transact(_ => { foreach (var cell in renames) cell.Set("id", AnyValue.String(Guid.NewGuid().ToString())); });
        WriteNotebook(w, cells, drop, keepIds);
    }

    private bool KeepIds => !(Meta.Get("nbformat") is AnyValue { Kind: AnyKind.Number } nbf && nbf.AsNumber() == 4 && NbformatMinor <= 4);

    /// <summary>The notebook object: cells (but those in <paramref name="drop"/>), metadata, nbformat, nbformat_minor.</summary>
    private void WriteNotebook(Utf8JsonWriter w, List<object?> cells, HashSet<int>? drop, bool keepIds)
    {
        w.WriteStartObject();
        w.WritePropertyName("cells");
        w.WriteStartArray();
        for (var i = 0; i < cells.Count; i++)
        {
            if (drop != null && drop.Contains(i)) continue;
            if (cells[i] is YMap cell) WriteCell(w, cell, keepIds);
            else JsonAny.Write(w, cells[i]);
        }
        w.WriteEndArray();
        w.WritePropertyName("metadata");
        if (Meta.Get("metadata") is { } metadata) JsonAny.Write(w, metadata); else { w.WriteStartObject(); w.WriteEndObject(); }
        w.WritePropertyName("nbformat");
        JsonAny.WriteNumber(w, Meta.Get("nbformat") is AnyValue { Kind: AnyKind.Number } n ? n.AsNumber() : 4);
        w.WritePropertyName("nbformat_minor");
        JsonAny.WriteNumber(w, NbformatMinor);
        w.WriteEndObject();
    }

    private static string CellJson(YMap cell, bool keepIds)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 1024 })) WriteCell(w, cell, keepIds);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCell(Utf8JsonWriter w, YMap cell, bool keepIds)
    {
        var type = cell.Get("cell_type") is AnyValue { Kind: AnyKind.String } t ? t.AsString() : "code";
        w.WriteStartObject();
        foreach (var (key, value) in cell.Entries)
        {
            if (key == "execution_state" || (key == "id" && !keepIds)) continue;
            if (key == "attachments" && type != "code" && value is AnyValue { Kind: AnyKind.Object } att && att.AsObject().Count == 0) continue;
            if (key == "attachments" && value is AnyValue { Kind: AnyKind.Null }) continue;
            w.WritePropertyName(key);
            if (key == "outputs" && value is YArray outputs) WriteOutputs(w, outputs);
            else JsonAny.Write(w, value);
        }
        w.WriteEndObject();
    }

    private static void WriteOutputs(Utf8JsonWriter w, YArray outputs)
    {
        w.WriteStartArray();
        foreach (var o in outputs.ToList())
        {
            if (o is AnyValue { Kind: AnyKind.Object } plain && plain.AsObject().TryGetValue("text", out var text) && text.Kind == AnyKind.Array)
            {
                // A plain stream output with its text as a list of lines: written joined, as a client reads it.
                w.WriteStartObject();
                foreach (var (k, v) in plain.AsObject())
                {
                    w.WritePropertyName(k);
                    if (k == "text") w.WriteStringValue(string.Concat(v.AsArray().Where(x => x.Kind == AnyKind.String).Select(x => x.AsString())));
                    else JsonAny.Write(w, v);
                }
                w.WriteEndObject();
            }
            else JsonAny.Write(w, o);
        }
        w.WriteEndArray();
    }

    public override bool ContentEquals(JsonElement nb)
    {
        using var mine = JsonDocument.Parse(ContentJsonWithoutSideEffects(), Contents.Notebooks.NotebookFormat.DocumentOptions);
        return JsonEqual(mine.RootElement, nb);
    }

    /// <summary>The content as written, but without resolving duplicate ids (comparisons must not edit the document).</summary>
    private byte[] ContentJsonWithoutSideEffects()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 1024 })) WriteNotebook(w, Cells.ToList(), null, KeepIds);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// JSON equality with the conventions of the two sides: numbers as doubles, multi-line strings as a string or a list
    /// of lines, the transient <c>trusted</c> cell flag and empty attachments ignored, ids ignored where the file has none.
    /// </summary>
    private static bool JsonEqual(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.String && b.ValueKind == JsonValueKind.Array) return a.GetString() == Joined(b);
        if (a.ValueKind == JsonValueKind.Array && b.ValueKind == JsonValueKind.String) return Joined(a) == b.GetString();
        if (a.ValueKind != b.ValueKind && !(IsBool(a) && IsBool(b))) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var ap = a.EnumerateObject().Where(p => !Ignored(p)).ToDictionary(p => p.Name, p => p.Value);
                var bp = b.EnumerateObject().Where(p => !Ignored(p)).ToDictionary(p => p.Name, p => p.Value);
                if (ap.Count != bp.Count) return false;
                foreach (var (k, v) in ap) if (!bp.TryGetValue(k, out var other) || !JsonEqual(v, other)) return false;
                return true;
            }
            case JsonValueKind.Array:
            {
                if (a.GetArrayLength() != b.GetArrayLength()) return false;
                using var ea = a.EnumerateArray();
                using var eb = b.EnumerateArray();
                while (ea.MoveNext() && eb.MoveNext()) if (!JsonEqual(ea.Current, eb.Current)) return false;
                return true;
            }
            case JsonValueKind.String: return a.GetString() == b.GetString();
            case JsonValueKind.Number: return a.GetDouble() == b.GetDouble();
            case JsonValueKind.True or JsonValueKind.False: return a.ValueKind == b.ValueKind;
            default: return true;
        }
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static bool Ignored(JsonProperty p) =>
        p.Name == "trusted" ||
        (p.Name == "attachments" && p.Value.ValueKind == JsonValueKind.Object && !p.Value.EnumerateObject().Any());

    private static bool OutputsEqual(object? current, JsonElement want)
    {
        if (current is not YArray outputs) return false;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 1024 })) WriteOutputs(w, outputs);
        using var mine = JsonDocument.Parse(buffer.WrittenMemory, Contents.Notebooks.NotebookFormat.DocumentOptions);
        return JsonEqual(mine.RootElement, want);
    }
}
