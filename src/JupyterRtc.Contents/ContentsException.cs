namespace JupyterRtc.Contents;

/// <summary>
/// A request the contents service refuses, with the HTTP status and message Jupyter Server gives for it. The server's
/// thin handlers turn it into Jupyter's JSON error body; nothing on disk has changed when it is thrown.
/// </summary>
public sealed class ContentsException(int status, string message, string? reason = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Reason { get; } = reason;

    public static ContentsException NotFound(string message) => new(404, message);
    public static ContentsException BadRequest(string message, string? reason = null) => new(400, message, reason);
}
