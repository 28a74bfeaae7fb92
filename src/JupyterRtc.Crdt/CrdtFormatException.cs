namespace JupyterRtc.Crdt;

/// <summary>
/// The one exception type thrown for malformed input: truncated buffers, out-of-range varints,
/// invalid UTF-8, unknown content references, inconsistent structs. When <see cref="Doc.ApplyUpdate"/>
/// throws it, the document has not been changed (updates are decoded and validated before they are integrated).
/// </summary>
public sealed class CrdtFormatException : Exception
{
    public CrdtFormatException(string message) : base(message) { }
    public CrdtFormatException(string message, Exception inner) : base(message, inner) { }
}
