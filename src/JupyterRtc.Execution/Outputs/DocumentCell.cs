using JupyterRtc.Collaboration.Documents;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Execution.Outputs;

/// <summary>
/// A cell of a shared notebook, found by its id: the room is held open while the server works on it, and the cell is
/// found again if it was moved (JupyterLab moves a cell by deleting it and inserting a copy with the same id).
/// Used only under the room's gate.
/// </summary>
internal sealed class DocumentCell(RoomHold hold, string cellId)
{
    private YMap? _cell;

    public RoomHold Hold { get; } = hold;
    public DocumentRoom Room => Hold.Room;
    public string CellId { get; } = cellId;

    public YMap? Resolve()
    {
        if (_cell is { IsDeleted: false }) return _cell;
        _cell = Find((NotebookDocument)Room.Document, CellId);
        return _cell;
    }

    public static YMap? Find(NotebookDocument nb, string cellId) => Find(nb, cellId, out _);

    /// <summary>The cell with this id and its position in the notebook (-1 if there is none).</summary>
    public static YMap? Find(NotebookDocument nb, string cellId, out int index)
    {
        var cells = nb.Cells;
        for (index = 0; index < cells.Length; index++)
            if (cells.Get(index) is YMap cell && cell.Get("id") is AnyValue { Kind: AnyKind.String } id && id.AsString() == cellId)
                return cell;
        index = -1;
        return null;
    }

    /// <summary>The cell's outputs array (made if a writer left it out).</summary>
    public YArray? Outputs()
    {
        var cell = Resolve();
        if (cell == null) return null;
        if (cell.Get("outputs") is YArray outputs) return outputs;
        var created = new YArray();
        cell.Set("outputs", created);
        return created;
    }

    public void ClearOutputs()
    {
        if (Resolve()?.Get("outputs") is YArray { Length: > 0 } outputs) outputs.Delete(0, outputs.Length);
    }
}
