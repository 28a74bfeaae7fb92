namespace JupyterRtc.Crdt.Core;

/// <summary>
/// The identity of one element: the client that inserted it and that client's clock at the time.
/// Clients go up to 2^53−1 (Yjs 14 and yrs make 53-bit ids); clocks are capped at int.MaxValue here
/// (two billion elements per client) and larger values are rejected when decoding.
/// </summary>
public readonly record struct Id(ulong Client, int Clock)
{
    public override string ToString() => $"({Client},{Clock})";
}
