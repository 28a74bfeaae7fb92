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
internal sealed class CellOutputSink : IOutputSink
{
    private readonly List<YMap?> _maps = [];
    private readonly DocumentCell cell;
    private readonly Action<DocumentRoom, Action> edit;
    private readonly DisplayRegistry displays;

    public CellOutputSink(DocumentCell cell, Action<DocumentRoom, Action> edit, DisplayRegistry displays)
    {
        this.cell = cell;
        this.edit = edit;
        this.displays = displays;
        displays.Replaced += OnReplaced;
    }

    /// <summary>The execution ended: no more outputs to follow.</summary>
    public void Detach() => displays.Replaced -= OnReplaced;

    // A display update replaced outputs of this execution (the updated one and those after it): keep writing to the copies.
    private void OnReplaced(YMap old, YMap copy)
    {
        for (var i = 0; i < _maps.Count; i++)
            if (ReferenceEquals(_maps[i], old)) _maps[i] = copy;
    }

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
/// update an output of an earlier execution (<c>update_display_data</c>), as JupyterLab does. JupyterLab redraws an
/// output only when the outputs array changes, not when a key inside an output does, so an update replaces the output;
/// and since JupyterLab appends whatever is inserted, the outputs after it are replaced too, to keep their order
/// (copies of the same content: nothing is lost, streams keep their text). Who held the old maps is told.
/// </summary>
internal sealed class DisplayRegistry
{
    private readonly Dictionary<string, List<(DocumentRoom Room, YMap Map)>> _byId = [];

    /// <summary>An output map was replaced by a copy (under the room's gate): follow it.</summary>
    public event Action<YMap, YMap>? Replaced;

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
        List<DocumentRoom> rooms;
        lock (_byId)
        {
            if (!_byId.TryGetValue(displayId, out var list)) return;
            rooms = list.Select(e => e.Room).Distinct().ToList();
        }
        foreach (var room in rooms)
            edit(room, () =>
            {
                // The targets are read when the edit runs: an earlier edit of the same batch may have replaced them.
                List<YMap> targets;
                lock (_byId)
                {
                    if (!_byId.TryGetValue(displayId, out var list)) return;
                    list.RemoveAll(e => e.Map.IsDeleted);
                    targets = list.Where(e => e.Room == room).Select(e => e.Map).ToList();
                }
                using var data = JsonDocument.Parse(dataJson);
                using var metadata = JsonDocument.Parse(metadataJson);
                foreach (var target in targets)
                {
                    if (target.IsDeleted) continue;   // replaced already, as the tail of another target
                    ReplaceFrom(target, data.RootElement, metadata.RootElement);
                }
            });
    }

    /// <summary>Replaces <paramref name="target"/> (with new data and metadata) and every output after it by copies.</summary>
    private void ReplaceFrom(YMap target, JsonElement data, JsonElement metadata)
    {
        if (target.Parent is not YArray outputs) return;
        var index = -1;
        for (var i = 0; i < outputs.Length; i++)
            if (ReferenceEquals(outputs.Get(i), target)) { index = i; break; }
        if (index < 0) return;
        var tail = new List<(object? Old, object? New)>();
        for (var i = index; i < outputs.Length; i++)
        {
            var old = outputs.Get(i);
            var copy = old is YMap m ? Copy(m, ReferenceEquals(m, target) ? (data, metadata) : null) : old;
            tail.Add((old, copy));
        }
        outputs.Delete(index, tail.Count);
        outputs.Insert(index, tail.Select(t => t.New).ToArray());
        foreach (var (old, copy) in tail)
        {
            if (old is not YMap o || copy is not YMap n) continue;
            lock (_byId)
                foreach (var list in _byId.Values)
                    for (var i = 0; i < list.Count; i++)
                        if (ReferenceEquals(list[i].Map, o)) list[i] = (list[i].Room, n);
            Replaced?.Invoke(o, n);
        }
    }

    private static YMap Copy(YMap source, (JsonElement Data, JsonElement Metadata)? display)
    {
        var copy = new YMap();
        foreach (var (key, value) in source.Entries)
        {
            if (display is { } d && key == "data") { copy.Set(key, JsonAny.FromJson(d.Data)); continue; }
            if (display is { } dm && key == "metadata") { copy.Set(key, JsonAny.FromJson(dm.Metadata)); continue; }
            copy.Set(key, value switch
            {
                YText text => new YText(text.ToString()),
                AbstractType other => other.ToJson(),
                _ => value,
            });
        }
        return copy;
    }

    public void Clear() { lock (_byId) _byId.Clear(); }
}
