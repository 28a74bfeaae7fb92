using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// nbformat's conventions, on parsed JSON read in place (<see cref="JsonTape"/>) so a 20 MB notebook is read, checked
/// and written without a mutable object tree: on disk multi-line strings are lists of lines, keys sorted, one-space indent (byte-identical
/// with Jupyter); to clients they are single strings, with every code cell's <c>metadata.trusted</c> set.
/// </summary>
public static class NotebookFormat
{
    /// <summary>How deep a notebook's JSON may nest, as Jupyter's parser allows (and <see cref="DocumentOptions"/>).</summary>
    public const int MaxDepth = 512;
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };
    public static readonly JsonWriterOptions ClientWriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>
    /// Parses a notebook file and checks what nbformat's reader cannot do without (Jupyter answers 400 otherwise).
    /// From nbformat 4.5, missing or duplicated cell ids get fresh ones, in memory, as nbformat's reader does.
    /// </summary>
    public static JsonTape Read(ReadOnlyMemory<byte> utf8) => Read(utf8, out _);

    /// <param name="idsRepaired">whether cell ids were made up (they differ from one read of the same bytes to another)</param>
    public static JsonTape Read(ReadOnlyMemory<byte> utf8, out bool idsRepaired)
    {
        idsRepaired = false;
        var doc = JsonTape.Parse(utf8, MaxDepth);
        try
        {
            var nb = doc.Root;
            if (nb.ValueKind != JsonValueKind.Object) throw new FormatException("Notebook JSON is not an object");
            if (!nb.TryGetProperty("nbformat"u8, out var major) || major.ValueKind != JsonValueKind.Number || !major.TryGetInt64(out var m))
                throw new FormatException("Notebook does not appear to be JSON-based nbformat: no integer 'nbformat' key");
            if (m != 4) throw new FormatException($"Unsupported nbformat version {m} (only version 4 is read)");
            if (!nb.TryGetProperty("metadata"u8, out _)) throw new FormatException("The notebook is invalid and is missing an expected key: metadata");
            if (!nb.TryGetProperty("cells"u8, out var cells) || cells.ValueKind != JsonValueKind.Array)
                throw new FormatException("The notebook is invalid and is missing an expected key: cells");
            foreach (var cell in cells.EnumerateArray())
                if (cell.ValueKind != JsonValueKind.Object || !cell.TryGetProperty("metadata"u8, out _))
                    throw new FormatException("The notebook is invalid and is missing an expected key: metadata");
            if (nb.TryGetProperty("nbformat_minor"u8, out var minor) && minor.TryGetInt64(out var mi) && mi >= 5 && NeedsIdRepair(cells))
            {
                var repaired = RepairIds(utf8);
                idsRepaired = true;
                doc.Dispose();
                return JsonTape.Parse(repaired, MaxDepth);
            }
            return doc;
        }
        catch
        {
            doc.Dispose();
            throw;
        }
    }

    private static bool NeedsIdRepair(TapeValue cells)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in cells.EnumerateArray())
        {
            if (!cell.TryGetProperty("id"u8, out var id)) return true;
            if (id.ValueKind == JsonValueKind.String && !seen.Add(id.GetString()!)) return true;
        }
        return false;
    }

    private static byte[] RepairIds(ReadOnlyMemory<byte> utf8)
    {
        var node = JsonNode.Parse(utf8.Span, documentOptions: DocumentOptions)!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in node["cells"]!.AsArray())
        {
            var c = cell!.AsObject();
            var id = c["id"];
            if (id is JsonValue v && v.TryGetValue<string>(out var s) && seen.Add(s)) continue;
            if (id != null && id.GetValueKind() != JsonValueKind.String) continue; // a wrong type is reported by validation
            string fresh;
            do fresh = Guid.NewGuid().ToString("N")[..8]; while (!seen.Add(fresh));
            c["id"] = fresh;
        }
        return JsonSerializer.SerializeToUtf8Bytes(node);
    }

    // ---- to clients: lines joined, trust marked -----------------------------------------------------------------

    public static void WriteForClient(Utf8JsonWriter w, TapeValue nb, bool trusted) =>
        WriteForClientAsync(w, nb, trusted, afterCell: null).GetAwaiter().GetResult();   // no awaits without afterCell

    /// <summary>Writes the notebook for a client, calling <paramref name="afterCell"/> after each cell, where the caller may
    /// send what has been written so far (a large notebook streams to the client while the rest is written).</summary>
    public static async ValueTask WriteForClientAsync(Utf8JsonWriter w, TapeValue nb, bool trusted, Func<ValueTask>? afterCell)
    {
        w.WriteStartObject();
        foreach (var p in nb.EnumerateObject())
        {
            if (p.NameEquals("cells"u8) && p.Value.ValueKind == JsonValueKind.Array)
            {
                w.WritePropertyName("cells");
                w.WriteStartArray();
                foreach (var cell in p.Value.EnumerateArray())
                {
                    WriteCellForClient(w, cell, trusted);
                    if (afterCell != null) await afterCell();
                }
                w.WriteEndArray();
            }
            else p.WriteTo(w);
        }
        w.WriteEndObject();
    }

    private static void WriteCellForClient(Utf8JsonWriter w, TapeValue cell, bool trusted)
    {
        if (cell.ValueKind != JsonValueKind.Object) { cell.WriteTo(w); return; }
        var isCode = cell.TryGetProperty("cell_type"u8, out var ct) && ct.ValueEquals("code"u8);
        w.WriteStartObject();
        foreach (var p in cell.EnumerateObject())
        {
            if (p.NameEquals("source"u8) && IsStringArray(p.Value)) { WriteJoined(w, "source"u8, p.Value); }
            else if (p.NameEquals("metadata"u8) && isCode && p.Value.ValueKind == JsonValueKind.Object)
            {
                w.WritePropertyName("metadata");
                w.WriteStartObject();
                foreach (var mp in p.Value.EnumerateObject()) if (!mp.NameEquals("trusted"u8)) mp.WriteTo(w);
                w.WriteBoolean("trusted", trusted);
                w.WriteEndObject();
            }
            else if (p.NameEquals("attachments"u8) && p.Value.ValueKind == JsonValueKind.Object)
            {
                w.WritePropertyName("attachments");
                w.WriteStartObject();
                foreach (var a in p.Value.EnumerateObject())
                {
                    w.WritePropertyName(a.Name);
                    WriteBundleForClient(w, a.Value);
                }
                w.WriteEndObject();
            }
            else if (p.NameEquals("outputs"u8) && isCode && p.Value.ValueKind == JsonValueKind.Array)
            {
                w.WritePropertyName("outputs");
                w.WriteStartArray();
                foreach (var o in p.Value.EnumerateArray()) WriteOutputForClient(w, o);
                w.WriteEndArray();
            }
            else p.WriteTo(w);
        }
        w.WriteEndObject();
    }

    private static void WriteOutputForClient(Utf8JsonWriter w, TapeValue output)
    {
        if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("output_type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            output.WriteTo(w);
            return;
        }
        var rich = type.ValueEquals("execute_result"u8) || type.ValueEquals("display_data"u8);
        w.WriteStartObject();
        foreach (var p in output.EnumerateObject())
        {
            if (rich && p.NameEquals("data"u8)) { w.WritePropertyName("data"); WriteBundleForClient(w, p.Value); }
            else if (!rich && p.NameEquals("text"u8) && IsStringArray(p.Value)) WriteJoined(w, "text"u8, p.Value);
            else p.WriteTo(w);
        }
        w.WriteEndObject();
    }

    private static void WriteBundleForClient(Utf8JsonWriter w, TapeValue bundle)
    {
        if (bundle.ValueKind != JsonValueKind.Object) { bundle.WriteTo(w); return; }
        w.WriteStartObject();
        foreach (var p in bundle.EnumerateObject())
        {
            if (IsStringArray(p.Value) && !IsJsonMime(p.Name)) { w.WritePropertyName(p.Name); WriteJoinedValue(w, p.Value); }
            else p.WriteTo(w);
        }
        w.WriteEndObject();
    }

    // ---- to disk: nbformat's layout ---------------------------------------------------------------------------------

    /// <summary>
    /// <see cref="Write(TapeValue)"/> handed to <paramref name="sink"/> about a megabyte at a time (at a cell's end), so the
    /// file can be written while the rest is serialized, without the whole file in memory.
    /// </summary>
    public static void Write(TapeValue nb, ByteSink sink)
    {
        var pj = new PythonJson(SinkChunkBytes + (64 << 10), sink);
        WriteTopLevel(pj, nb);
        pj.Raw((byte)'\n');
        pj.FlushIfAbove(0);
    }

    private const int SinkChunkBytes = 1 << 20;

    /// <summary><see cref="Write(TapeValue)"/> of a notebook held in a JsonDocument (copied into a tape).</summary>
    public static byte[] Write(JsonElement nb)
    {
        using var tape = JsonTape.From(nb);
        return Write(tape.Root);
    }

    /// <summary>The file bytes nbformat writes for this notebook: lines split, transient keys stripped, trailing newline.</summary>
    public static byte[] Write(TapeValue nb)
    {
        // Sized from the parsed text (nbformat's indentation adds a little): no doubling of a 20 MB buffer.
        var pj = new PythonJson(nb.Raw.Length * 5 / 4 + 4096);
        WriteTopLevel(pj, nb);
        pj.Raw((byte)'\n');
        return pj.ToArray();
    }

    private static void WriteTopLevel(PythonJson pj, TapeValue nb)
    {
        if (nb.ValueKind != JsonValueKind.Object) { pj.Value(nb, 0); return; }
        WriteObject(pj, nb, 0, (name, value, level) =>
        {
            if (name.SequenceEqual("metadata"u8) && value.ValueKind == JsonValueKind.Object)
            {
                WriteObject(pj, value, level, null,
                    static n => n.SequenceEqual("signature"u8) || n.SequenceEqual("orig_nbformat"u8) || n.SequenceEqual("orig_nbformat_minor"u8));
                return true;
            }
            if (name.SequenceEqual("cells"u8) && value.ValueKind == JsonValueKind.Array)
            {
                WriteArray(pj, value, level, cell =>
                {
                    WriteCell(pj, cell, level + 1);
                    pj.FlushIfAbove(SinkChunkBytes);
                });
                return true;
            }
            return false;
        });
    }

    private static void WriteCell(PythonJson pj, TapeValue cell, int level)
    {
        if (cell.ValueKind != JsonValueKind.Object) { pj.Value(cell, level); return; }
        var isCode = cell.TryGetProperty("cell_type"u8, out var ct) && ct.ValueEquals("code"u8);
        WriteObject(pj, cell, level, (name, value, lvl) =>
        {
            if (name.SequenceEqual("source"u8) && value.ValueKind == JsonValueKind.String)
            {
                pj.Lines(value, lvl);
                return true;
            }
            if (name.SequenceEqual("metadata"u8) && value.ValueKind == JsonValueKind.Object)
            {
                WriteObject(pj, value, lvl, null, static n => n.SequenceEqual("trusted"u8));
                return true;
            }
            if (name.SequenceEqual("attachments"u8) && value.ValueKind == JsonValueKind.Object)
            {
                WriteObject(pj, value, lvl, (_, bundle, l2) => { WriteBundle(pj, bundle, l2); return true; });
                return true;
            }
            if (name.SequenceEqual("outputs"u8) && isCode && value.ValueKind == JsonValueKind.Array)
            {
                WriteArray(pj, value, lvl, o => WriteOutput(pj, o, lvl + 1));
                return true;
            }
            return false;
        });
    }

    private static void WriteOutput(PythonJson pj, TapeValue output, int level)
    {
        if (output.ValueKind != JsonValueKind.Object) { pj.Value(output, level); return; }
        var hasType = output.TryGetProperty("output_type"u8, out var t) && t.ValueKind == JsonValueKind.String;
        var rich = hasType && (t.ValueEquals("execute_result"u8) || t.ValueEquals("display_data"u8));
        var stream = hasType && t.ValueEquals("stream"u8);
        WriteObject(pj, output, level, (name, value, lvl) =>
        {
            if (rich && name.SequenceEqual("data"u8)) { WriteBundle(pj, value, lvl); return true; }
            if (stream && name.SequenceEqual("text"u8) && value.ValueKind == JsonValueKind.String) { pj.Lines(value, lvl); return true; }
            return false;
        });
    }

    private static void WriteBundle(PythonJson pj, TapeValue bundle, int level)
    {
        if (bundle.ValueKind != JsonValueKind.Object) { pj.Value(bundle, level); return; }
        WriteObject(pj, bundle, level, (mime, value, lvl) =>
        {
            if (value.ValueKind == JsonValueKind.String &&
                (mime.StartsWith("text/"u8) || mime.SequenceEqual("application/javascript"u8) || mime.SequenceEqual("image/svg+xml"u8)))
            {
                pj.Lines(value, lvl);
                return true;
            }
            return false;
        });
    }

    /// <summary>Writes a property's value itself and returns true, or returns false to leave it to the generic writer.
    /// The name is UTF-8 (<see cref="PythonJson.NameBytes"/>): no string per key of every cell and output.</summary>
    private delegate bool CustomValue(ReadOnlySpan<byte> name, TapeValue value, int level);

    private delegate bool SkippedName(ReadOnlySpan<byte> name);

    /// <summary>An object with sorted keys; <paramref name="custom"/> may write a value itself (returns true).</summary>
    private static void WriteObject(PythonJson pj, TapeValue obj, int level, CustomValue? custom, SkippedName? skip = null)
    {
        var props = PythonJson.SortedProperties(obj);
        if (skip != null) props.RemoveAll(p => skip(PythonJson.NameBytes(p)));
        if (props.Count == 0) { pj.Raw("{}"u8); return; }
        pj.Raw((byte)'{');
        for (var i = 0; i < props.Count; i++)
        {
            if (i > 0) pj.Raw((byte)',');
            pj.NewLine(level + 1);
            pj.Name(props[i]);
            if (custom == null || !custom(PythonJson.NameBytes(props[i]), props[i].Value, level + 1)) pj.Value(props[i].Value, level + 1);
        }
        pj.NewLine(level);
        pj.Raw((byte)'}');
    }

    private static void WriteArray(PythonJson pj, TapeValue arr, int level, Action<TapeValue> item)
    {
        if (arr.GetArrayLength() == 0) { pj.Raw("[]"u8); return; }
        pj.Raw((byte)'[');
        var first = true;
        foreach (var e in arr.EnumerateArray())
        {
            if (!first) pj.Raw((byte)',');
            first = false;
            pj.NewLine(level + 1);
            item(e);
        }
        pj.NewLine(level);
        pj.Raw((byte)']');
    }

    // ---- trust and helpers ------------------------------------------------------------------------------------------

    /// <summary>
    /// Whether the notebook may be signed on save (nbformat's <c>check_cells</c>): every code cell is either marked
    /// trusted or has no rich output (<c>execute_result</c> / <c>display_data</c> with data); streams and errors are
    /// always sanitised, so they need no trust.
    /// </summary>
    public static bool AllCodeCellsWithOutputsTrusted(TapeValue nb)
    {
        if (nb.ValueKind != JsonValueKind.Object || !nb.TryGetProperty("cells"u8, out var cells) || cells.ValueKind != JsonValueKind.Array) return false;
        foreach (var cell in cells.EnumerateArray())
        {
            if (cell.ValueKind != JsonValueKind.Object || !cell.TryGetProperty("cell_type"u8, out var ct) || !ct.ValueEquals("code"u8)) continue;
            if (cell.TryGetProperty("metadata"u8, out var meta) && meta.ValueKind == JsonValueKind.Object &&
                meta.TryGetProperty("trusted"u8, out var t) && t.ValueKind == JsonValueKind.True) continue;
            if (!cell.TryGetProperty("outputs"u8, out var outputs) || outputs.ValueKind != JsonValueKind.Array) continue;
            foreach (var o in outputs.EnumerateArray())
            {
                if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("output_type"u8, out var ot)) continue;
                if (!ot.ValueEquals("execute_result"u8) && !ot.ValueEquals("display_data"u8)) continue;
                foreach (var p in o.EnumerateObject())
                    if (!p.NameEquals("output_type"u8) && !p.NameEquals("execution_count"u8) && !p.NameEquals("metadata"u8)) return false;
            }
        }
        return true;
    }

    /// <summary>An empty nbformat 4.5 notebook, as a new untitled notebook gets it.</summary>
    public static readonly byte[] NewNotebook = Encoding.UTF8.GetBytes("{\n \"cells\": [],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n");

    private static bool IsJsonMime(string mime) =>
        mime == "application/json" || (mime.StartsWith("application/", StringComparison.Ordinal) && mime.EndsWith("+json", StringComparison.Ordinal));

    private static bool IsStringArray(TapeValue e)
    {
        if (e.ValueKind != JsonValueKind.Array) return false;
        foreach (var x in e.EnumerateArray()) if (x.ValueKind != JsonValueKind.String) return false;
        return true;
    }

    private static void WriteJoined(Utf8JsonWriter w, ReadOnlySpan<byte> name, TapeValue lines)
    {
        w.WritePropertyName(name);
        WriteJoinedValue(w, lines);
    }

    /// <summary>
    /// Writes a list of strings as one string by splicing their escaped bytes as they are in the file: an escape never
    /// spans two JSON strings, so the splice is the escaped form of the joined text, and nothing is decoded or re-escaped.
    /// </summary>
    private static void WriteJoinedValue(Utf8JsonWriter w, TapeValue lines)
    {
        var length = 2;
        foreach (var l in lines.EnumerateArray()) length += l.Raw.Length - 2;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            buffer[at++] = (byte)'"';
            foreach (var l in lines.EnumerateArray())
            {
                var raw = l.Raw;
                raw[1..^1].CopyTo(buffer.AsSpan(at));
                at += raw.Length - 2;
            }
            buffer[at++] = (byte)'"';
            w.WriteRawValue(buffer.AsSpan(0, at), skipInputValidation: true);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Python's <c>str.splitlines(keepends=True)</c>, with every line boundary Python recognises.</summary>
    public static List<string> Split(string text)
    {
        var result = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                result.Add(text.Substring(start, i + 1 - start));
                start = i + 1;
            }
        }
        if (start < text.Length) result.Add(text[start..]);
        return result;
    }
}
