using JupyterRtc.Crdt.Core;

namespace JupyterRtc.Crdt.Types;

internal sealed class SearchMarker(Item p, int index, long timestamp)
{
    public Item P = p;
    public int Index = index;
    public long Timestamp = timestamp;
}

/// <summary>
/// Yjs's search markers: up to 80 remembered (item, index) pairs per list type, so that an edit near a recent
/// edit does not walk the list from the start. They only speed up lookups; where items end up never depends on them.
/// </summary>
internal sealed class SearchMarkers
{
    private const int MaxMarkers = 80;
    private readonly List<SearchMarker> _markers = new();
    private long _clock;
    private bool _disabled;

    public void Clear()
    {
        foreach (var m in _markers) m.P.Marker = false;
        _markers.Clear();
    }

    /// <summary>Formatting attributes are not tracked by markers, so a text with formats stops using them for good.</summary>
    public void Disable()
    {
        Clear();
        _disabled = true;
    }

    public bool Enabled => !_disabled;

    private void Overwrite(SearchMarker m, Item p, int index)
    {
        m.P.Marker = false;
        m.P = p;
        p.Marker = true;
        m.Index = index;
        m.Timestamp = _clock++;
    }

    private SearchMarker MarkPosition(Item p, int index)
    {
        if (_markers.Count >= MaxMarkers)
        {
            var oldest = _markers[0];
            foreach (var m in _markers) if (m.Timestamp < oldest.Timestamp) oldest = m;
            Overwrite(oldest, p, index);
            return oldest;
        }
        p.Marker = true;
        var pm = new SearchMarker(p, index, _clock++);
        _markers.Add(pm);
        return pm;
    }

    public Item? MaxIndexItem()
    {
        if (_disabled || _markers.Count == 0) return null;
        var best = _markers[0];
        foreach (var m in _markers) if (m.Index > best.Index) best = m;
        return best.Index > 0 ? best.P : null;
    }

    public SearchMarker? Find(AbstractType type, int index)
    {
        if (_disabled || type.Start is null || index == 0) return null;
        SearchMarker? marker = null;
        foreach (var m in _markers)
            if (marker is null || Math.Abs(index - m.Index) <= Math.Abs(index - marker.Index)) marker = m;
        var p = type.Start;
        var pindex = 0;
        if (marker is not null)
        {
            p = marker.P;
            pindex = marker.Index;
            marker.Timestamp = _clock++;
        }
        while (p.Right is not null && pindex < index)
        {
            if (!p.Deleted && p.Countable)
            {
                if (index < pindex + p.Length) break;
                pindex += p.Length;
            }
            p = p.Right;
        }
        while (p.Left is not null && pindex > index)
        {
            p = p.Left;
            if (!p.Deleted && p.Countable) pindex -= p.Length;
        }
        // p must not be mergeable into its left neighbour at cleanup, or the marker would dangle
        while (p.Left is not null && p.Left.Client == p.Client && p.Left.Clock + p.Left.Length == p.Clock)
        {
            p = p.Left;
            if (!p.Deleted && p.Countable) pindex -= p.Length;
        }
        if (marker is not null && Math.Abs(marker.Index - pindex) < (double)type.LengthField / MaxMarkers)
        {
            Overwrite(marker, p, pindex);
            return marker;
        }
        return MarkPosition(p, pindex);
    }

    public void UpdateChanges(int index, int len)
    {
        if (_disabled) return;
        for (var i = _markers.Count - 1; i >= 0; i--)
        {
            var m = _markers[i];
            if (len > 0)
            {
                Item? p = m.P;
                p.Marker = false;
                while (p is not null && (p.Deleted || !p.Countable))
                {
                    p = p.Left;
                    if (p is not null && !p.Deleted && p.Countable) m.Index -= p.Length;
                }
                if (p is null || p.Marker)
                {
                    _markers.RemoveAt(i);
                    continue;
                }
                m.P = p;
                p.Marker = true;
            }
            if (index < m.Index || (len > 0 && index == m.Index)) m.Index = Math.Max(index, m.Index + len);
        }
    }

    public void OnMerged(Item left, Item right)
    {
        foreach (var m in _markers)
        {
            if (m.P != right) continue;
            m.P = left;
            if (!left.Deleted && left.Countable) m.Index -= left.Length;
        }
    }
}
