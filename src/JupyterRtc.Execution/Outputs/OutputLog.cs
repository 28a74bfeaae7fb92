using System.Text;
using System.Text.Json;

namespace JupyterRtc.Execution.Outputs;

/// <summary>
/// Receives the changes an execution makes to its cell's outputs, to mirror them somewhere (the shared document).
/// Indexes are positions in the execution's own output list.
/// </summary>
internal interface IOutputSink
{
    void Clear();
    void AddStream(int index, string name, string text);
    /// <summary>The stream text at <paramref name="index"/> keeps its first <paramref name="keep"/> characters, loses
    /// <paramref name="delete"/> after them, and gets <paramref name="insert"/> there.</summary>
    void EditStream(int index, int keep, int delete, string insert);
    /// <summary>A rich output (display_data, execute_result, error) as nbformat JSON.</summary>
    void Add(int index, byte[] outputJson, string? displayId);
    void UpdateDisplay(string displayId, byte[] dataJson, byte[] metadataJson);
}

/// <summary>
/// The outputs of one execution as nbformat has them, built from the kernel's iopub messages the way JupyterLab's
/// output area builds them: consecutive stream messages of one name make one output, whose text gets the terminal
/// controls applied (<see cref="StreamText"/>); <c>clear_output</c> with <c>wait</c> clears when the next output comes;
/// <c>update_display_data</c> updates every output with that display id. Every change is told to a sink as well.
/// </summary>
internal sealed class OutputLog
{
    private abstract class Entry;
    private sealed class StreamEntry(string name, StreamText state, string text) : Entry
    {
        public string Name { get; } = name;
        public StreamText State { get; } = state;
        public StringBuilder Text { get; } = new(text);
    }
    private sealed class RichEntry(byte[] json, string? displayId) : Entry
    {
        public byte[] Json { get; set; } = json;
        public string? DisplayId { get; } = displayId;
    }

    private readonly List<Entry> _entries = [];
    private bool _clearNext;

    public int Count => _entries.Count;

    /// <summary>Forgets the outputs (they live in the document, and nobody polls for them): the memory goes back at once.</summary>
    public void Release()
    {
        _entries.Clear();
        _clearNext = false;
    }

    /// <summary>Applies one iopub message of the execution. Returns false for message types that are not outputs.</summary>
    public bool Apply(string msgType, JsonElement content, IOutputSink? sink)
    {
        switch (msgType)
        {
            case "stream":
            {
                var name = content.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "stdout";
                var text = content.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                Stream(name, text, sink);
                return true;
            }
            case "display_data" or "execute_result" or "error":
            {
                ClearIfPending(sink);
                var displayId = DisplayId(content);
                var json = OutputJson(msgType, content);
                _entries.Add(new RichEntry(json, displayId));
                sink?.Add(_entries.Count - 1, json, displayId);
                return true;
            }
            case "update_display_data":
            {
                if (DisplayId(content) is not { } id) return true;
                var data = content.TryGetProperty("data", out var d) ? Encoding.UTF8.GetBytes(d.GetRawText()) : "{}"u8.ToArray();
                var metadata = content.TryGetProperty("metadata", out var m) ? Encoding.UTF8.GetBytes(m.GetRawText()) : "{}"u8.ToArray();
                foreach (var e in _entries)
                    if (e is RichEntry r && r.DisplayId == id) r.Json = WithDisplay(r.Json, data, metadata);
                sink?.UpdateDisplay(id, data, metadata);
                return true;
            }
            case "clear_output":
            {
                var wait = content.TryGetProperty("wait", out var w) && w.ValueKind == JsonValueKind.True;
                if (wait) _clearNext = true;
                else Clear(sink);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>An output the server adds itself (the error that says a kernel died).</summary>
    public void AddRich(byte[] json, IOutputSink? sink)
    {
        ClearIfPending(sink);
        _entries.Add(new RichEntry(json, null));
        sink?.Add(_entries.Count - 1, json, null);
    }

    private void Stream(string name, string text, IOutputSink? sink)
    {
        ClearIfPending(sink);
        if (_entries.Count > 0 && _entries[^1] is StreamEntry last && last.Name == name)
        {
            var sb = last.Text;
            var edit = last.State.Append(text, (start, length) => sb.ToString(start, length));
            if (edit.IsNoOp) return;
            if (edit.Delete > 0) sb.Remove(edit.Keep, edit.Delete);
            if (edit.Keep == sb.Length) sb.Append(edit.Insert); else sb.Insert(edit.Keep, edit.Insert);
            sink?.EditStream(_entries.Count - 1, edit.Keep, edit.Delete, edit.Insert);
            return;
        }
        var state = StreamText.Start(text, out var initial);
        _entries.Add(new StreamEntry(name, state, initial));
        sink?.AddStream(_entries.Count - 1, name, initial);
    }

    private void ClearIfPending(IOutputSink? sink)
    {
        if (!_clearNext) return;
        _clearNext = false;
        Clear(sink);
    }

    private void Clear(IOutputSink? sink)
    {
        _clearNext = false;
        _entries.Clear();
        sink?.Clear();
    }

    private static string? DisplayId(JsonElement content) =>
        content.TryGetProperty("transient", out var tr) && tr.ValueKind == JsonValueKind.Object
        && tr.TryGetProperty("display_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    /// <summary>nbformat's output for an iopub message (nbformat.v4.output_from_msg).</summary>
    internal static byte[] OutputJson(string msgType, JsonElement content) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("output_type", msgType);
        switch (msgType)
        {
            case "execute_result":
                if (content.TryGetProperty("execution_count", out var ec)) { w.WritePropertyName("execution_count"); ec.WriteTo(w); }
                else w.WriteNull("execution_count");
                goto case "display_data";
            case "display_data":
                w.WritePropertyName("data");
                if (content.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object) d.WriteTo(w); else w.WriteRawValue("{}");
                w.WritePropertyName("metadata");
                if (content.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object) m.WriteTo(w); else w.WriteRawValue("{}");
                break;
            case "error":
                w.WriteString("ename", content.TryGetProperty("ename", out var en) && en.ValueKind == JsonValueKind.String ? en.GetString() : "");
                w.WriteString("evalue", content.TryGetProperty("evalue", out var ev) && ev.ValueKind == JsonValueKind.String ? ev.GetString() : "");
                w.WritePropertyName("traceback");
                if (content.TryGetProperty("traceback", out var tb) && tb.ValueKind == JsonValueKind.Array) tb.WriteTo(w); else w.WriteRawValue("[]");
                break;
        }
        w.WriteEndObject();
    });

    private static byte[] WithDisplay(byte[] json, byte[] data, byte[] metadata)
    {
        using var doc = JsonDocument.Parse(json);
        return Json(w =>
        {
            w.WriteStartObject();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "data") { w.WritePropertyName("data"); w.WriteRawValue(data); }
                else if (p.Name == "metadata") { w.WritePropertyName("metadata"); w.WriteRawValue(metadata); }
                else p.WriteTo(w);
            }
            w.WriteEndObject();
        });
    }

    internal static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return buffer.WrittenSpan.ToArray();
    }

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var e in _entries)
        {
            if (e is RichEntry r) { w.WriteRawValue(r.Json); continue; }
            var s = (StreamEntry)e;
            w.WriteStartObject();
            w.WriteString("output_type", "stream");
            w.WriteString("name", s.Name);
            w.WriteString("text", s.Text.ToString());
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public string ToJson() => Encoding.UTF8.GetString(Json(WriteTo));
}
