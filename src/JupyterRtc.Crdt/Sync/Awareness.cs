using JupyterRtc.Crdt.Core;
using JupyterRtc.Crdt.Encoding;

namespace JupyterRtc.Crdt.Sync;

/// <summary>Which clients an awareness change added, updated or removed.</summary>
public sealed record AwarenessChange(IReadOnlyList<ulong> Added, IReadOnlyList<ulong> Updated, IReadOnlyList<ulong> Removed);

/// <summary>
/// The y-protocols awareness CRDT: per client a JSON state (null = gone) and a clock. Same wire format and
/// rules as y-protocols 1.0.7. There are no timers here: the host calls <see cref="CheckTimeouts"/> periodically
/// (y-protocols does it every 3 s) to renew the local state after 15 s and drop remote clients silent for 30 s.
/// </summary>
public sealed class Awareness
{
    public const long OutdatedTimeoutMs = 30_000;

    private readonly Func<long> _now;
    // JS Maps in y-protocols: iteration order is insertion order, also after removals
    private readonly OrderedMap<ulong, AnyValue> _states = new();
    private readonly OrderedMap<ulong, (int Clock, long LastUpdated)> _meta = new();

    public ulong ClientId { get; }

    /// <summary>Raised when states were added, removed or changed in content (the y-protocols 'change' event).</summary>
    public event Action<AwarenessChange, object?>? Change;
    /// <summary>Raised on every accepted update, even when the content is the same (the 'update' event).</summary>
    public event Action<AwarenessChange, object?>? Update;

    /// <param name="clientId">Usually the document's client id.</param>
    /// <param name="now">Milliseconds clock; defaults to Unix time.</param>
    /// <param name="startWithEmptyState">Start with the local state {} and clock 0, as y-protocols does.</param>
    public Awareness(ulong clientId, Func<long>? now = null, bool startWithEmptyState = true)
    {
        ClientId = clientId;
        _now = now ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (startWithEmptyState) SetLocalState(AnyValue.Object(new JsObject()));
    }

    /// <summary>The current states, iterated in the order of y-protocols' Map (insertion order, also after removals).</summary>
    public IReadOnlyDictionary<ulong, AnyValue> States => _states;

    public int? GetClock(ulong client) => _meta.TryGetValue(client, out var m) ? m.Clock : null;
    public long? GetLastUpdated(ulong client) => _meta.TryGetValue(client, out var m) ? m.LastUpdated : null;

    public AnyValue? LocalState => _states.TryGetValue(ClientId, out var s) ? s : null;

    /// <summary>Sets (or with null removes) the local state and bumps the local clock.</summary>
    public void SetLocalState(AnyValue? state)
    {
        var clock = _meta.TryGetValue(ClientId, out var m) ? m.Clock + 1 : 0;
        _states.TryGetValue(ClientId, out var prev);
        if (state is null || state.Kind == AnyKind.Null) _states.Remove(ClientId);
        else _states[ClientId] = state;
        _meta[ClientId] = (clock, _now());
        var added = new List<ulong>();
        var updated = new List<ulong>();
        var filteredUpdated = new List<ulong>();
        var removed = new List<ulong>();
        if (state is null || state.Kind == AnyKind.Null) removed.Add(ClientId);
        else if (prev is null) added.Add(ClientId);
        else
        {
            updated.Add(ClientId);
            if (!AnyValue.DeepEquals(prev, state)) filteredUpdated.Add(ClientId);
        }
        if (added.Count > 0 || filteredUpdated.Count > 0 || removed.Count > 0) Change?.Invoke(new AwarenessChange(added, filteredUpdated, removed), "local");
        Update?.Invoke(new AwarenessChange(added, updated, removed), "local");
    }

    /// <summary>Removes the states of <paramref name="clients"/> (removeAwarenessStates).</summary>
    public void RemoveStates(IEnumerable<ulong> clients, object? origin)
    {
        var removed = new List<ulong>();
        foreach (var client in clients)
        {
            if (!_states.Remove(client)) continue;
            if (client == ClientId)
            {
                var cur = _meta[client];
                _meta[client] = (cur.Clock + 1, _now());
            }
            removed.Add(client);
        }
        if (removed.Count == 0) return;
        var change = new AwarenessChange([], [], removed);
        Change?.Invoke(change, origin);
        Update?.Invoke(change, origin);
    }

    /// <summary>Renews the local state after 15 s and removes remote clients not heard from for 30 s (origin "timeout").</summary>
    public void CheckTimeouts()
    {
        var now = _now();
        if (LocalState is { } local && OutdatedTimeoutMs / 2 <= now - _meta[ClientId].LastUpdated) SetLocalState(local);
        var remove = _meta.Where(kv => kv.Key != ClientId && OutdatedTimeoutMs <= now - kv.Value.LastUpdated && _states.ContainsKey(kv.Key))
            .Select(kv => kv.Key).ToList();
        if (remove.Count > 0) RemoveStates(remove, "timeout");
    }

    /// <summary>encodeAwarenessUpdate: varUint(n), then per client varUint(id), varUint(clock), varString(JSON state).</summary>
    public byte[] EncodeUpdate(IEnumerable<ulong> clients)
    {
        var list = clients.ToList();
        var w = new Lib0Writer();
        w.WriteVarUint((ulong)list.Count);
        foreach (var client in list)
        {
            var state = _states.TryGetValue(client, out var s) ? s : AnyValue.Null;
            var clock = _meta.TryGetValue(client, out var m) ? m.Clock : throw new ArgumentException($"unknown client {client}");
            w.WriteVarUint(client);
            w.WriteVarUint((ulong)clock);
            w.WriteVarString(Json.Stringify(state) ?? "null");
        }
        return w.ToArray();
    }

    /// <summary>Decodes an awareness update into (client, clock, state) entries without applying it.</summary>
    public static List<(ulong Client, int Clock, AnyValue State)> DecodeUpdate(byte[] update)
    {
        var r = new Lib0Reader(update);
        var n = r.ReadCount();
        var list = new List<(ulong, int, AnyValue)>(n);
        for (var i = 0; i < n; i++)
        {
            var client = r.ReadVarUint();
            var clock = r.ReadVarUintAsInt();
            list.Add((client, clock, Json.Parse(r.ReadVarString())));
        }
        return list;
    }

    /// <summary>applyAwarenessUpdate. The update is decoded completely before anything changes.</summary>
    public void ApplyUpdate(byte[] update, object? origin)
    {
        var entries = DecodeUpdate(update);
        var timestamp = _now();
        var added = new List<ulong>();
        var updated = new List<ulong>();
        var filteredUpdated = new List<ulong>();
        var removed = new List<ulong>();
        foreach (var (client, clockIn, state) in entries)
        {
            var clock = clockIn;
            var known = _meta.TryGetValue(client, out var meta);
            _states.TryGetValue(client, out var prev);
            var currClock = known ? meta.Clock : 0;
            var isNull = state.Kind == AnyKind.Null;
            if (currClock < clock || (currClock == clock && isNull && _states.ContainsKey(client)))
            {
                if (isNull)
                {
                    // a remote peer may not remove our own state: bump our clock so that we are re-announced
                    if (client == ClientId && LocalState is not null) clock++;
                    else _states.Remove(client);
                }
                else _states[client] = state;
                _meta[client] = (clock, timestamp);
                if (!known && !isNull) added.Add(client);
                else if (known && isNull) removed.Add(client);
                else if (!isNull)
                {
                    if (prev is null || !AnyValue.DeepEquals(state, prev)) filteredUpdated.Add(client);
                    updated.Add(client);
                }
            }
        }
        if (added.Count > 0 || filteredUpdated.Count > 0 || removed.Count > 0) Change?.Invoke(new AwarenessChange(added, filteredUpdated, removed), origin);
        if (added.Count > 0 || updated.Count > 0 || removed.Count > 0) Update?.Invoke(new AwarenessChange(added, updated, removed), origin);
    }
}
