namespace JupyterRtc.Crdt.Types;

internal static class TextEventDelta
{
    public static List<DeltaOp> Compute(YTextEvent ev) => new();
}
