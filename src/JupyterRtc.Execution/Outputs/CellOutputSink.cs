using System.Text.Json;
using JupyterRtc.Collaboration.Documents;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Execution.Outputs;

/// <summary>
/// Mirrors an execution's outputs into its shared cell, in the schema JupyterLab reads (rtc-protocol §3.3): every
/// output a map, a stream's text a text that grows by small edits. Changes are queued as edits the executor applies
/// in one transaction per batch of kernel messages, so a flood of output is a few updates, not one per message.
/// Outputs already in the document are only extended or updated, never replaced (a replaced map briefly shows
/// JupyterLab an output without its text).
/// </summary>
internal sealed class CellOutputSink(DocumentCell cell, Action<DocumentRoom, Action> edit, DisplayRegistry displays) : IOutputSink
{
    private readonly List<YMap?> _maps = [];

    public void Clear() => edit(cell.Room, () =>
    {
        _maps.Clear();
        cell.ClearOutputs();
    });

    public void AddStream(int index, string name, string text) => edit(cell.Room, () =>
    {
        if (cell.Outputs() is not { } outputs) return;
        var map = new YMap();
        map.Set("output_type", AnyValue.String("stream"));
        map.Set("name", AnyValue.String(name));
        map.Set("text", new YText(text));
        outputs.Push(map);
        Remember(index, map);
    });

    public void EditStream(int index, int keep, int delete, string insert) => edit(cell.Room, () =>
    {
        if (index >= _maps.Count || _maps[index] is not { IsDeleted: false } map || map.Get("text") is not YText text) return;
        keep = Math.Min(keep, text.Length);
        var gone = Math.Min(delete, text.Length - keep);
        if (gone > 0) text.Delete(keep, gone);
        if (insert.Length > 0) text.Insert(keep, insert);
    });

    public void Add(int index, byte[] outputJson, string? displayId) => edit(cell.Room, () =>
    {
        if (cell.Outputs() is not { } outputs) return;
        var map = new YMap();
        using (var doc = JsonDocument.Parse(outputJson))
            foreach (var p in doc.RootElement.EnumerateObject()) map.Set(p.Name, JsonAny.FromJson(p.Value));
        outputs.Push(map);
        Remember(index, map);
        if (displayId != null) displays.Add(displayId, cell.Room, map);
    });

    public void UpdateDisplay(string displayId, byte[] dataJson, byte[] metadataJson) => displays.Update(displayId, dataJson, metadataJson, edit);

    private void Remember(int index, YMap map)
    {
        while (_maps.Count <= index) _maps.Add(null);
        _maps[index] = map;
    }
}

/// <summary>
/// The outputs of a kernel that carry a display id, in whichever cell and notebook they are: a display handle may
/// update an output of an earlier execution (<c>update_display_data</c>), as JupyterLab does.
/// </summary>
internal sealed class DisplayRegistry
{
    private readonly Dictionary<string, List<(DocumentRoom Room, YMap Map)>> _byId = [];

    public void Add(string displayId, DocumentRoom room, YMap map)
    {
        lock (_byId)
        {
            if (!_byId.TryGetValue(displayId, out var list)) _byId[displayId] = list = [];
            list.Add((room, map));
        }
    }

    public void Update(string displayId, byte[] dataJson, byte[] metadataJson, Action<DocumentRoom, Action> edit)
    {
        List<(DocumentRoom Room, YMap Map)> targets;
        lock (_byId)
        {
            if (!_byId.TryGetValue(displayId, out var list)) return;
            targets = list.ToList();
        }
        foreach (var (room, map) in targets)
            edit(room, () =>
            {
                if (map.IsDeleted)
                {
                    lock (_byId) if (_byId.TryGetValue(displayId, out var list)) list.Remove((room, map));
                    return;
                }
                using var data = JsonDocument.Parse(dataJson);
                using var metadata = JsonDocument.Parse(metadataJson);
                map.Set("data", JsonAny.FromJson(data.RootElement));
                map.Set("metadata", JsonAny.FromJson(metadata.RootElement));
            });
    }

    public void Clear() { lock (_byId) _byId.Clear(); }
}
