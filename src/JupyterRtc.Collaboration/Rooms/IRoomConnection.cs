namespace JupyterRtc.Collaboration.Rooms;

/// <summary>
/// One client of a room, as the server hands it over (a websocket in production, a queue in tests). Sending never
/// waits for the network: a connection queues frames and writes them in its own task, so one slow client cannot hold
/// up a room; a connection whose queue overflows closes itself.
/// </summary>
public interface IRoomConnection
{
    /// <summary>For logs: the user and a connection number, never a token.</summary>
    string Name { get; }

    /// <summary>A client that may read but not change the document (its sync updates are dropped).</summary>
    bool ReadOnly { get; }

    /// <summary>Queues a binary frame. The same array may be queued on many connections and must not be changed.</summary>
    void Send(byte[] frame);

    /// <summary>Closes with a websocket close code and a reason of at most 123 UTF-8 bytes.</summary>
    void Close(int code, string reason);
}

/// <summary>Close codes the jupyter-collaboration client understands (rtc-protocol §2.8).</summary>
public static class CloseCodes
{
    /// <summary>Session problem; the reason is JSON <c>{reason, sessionId, reloadable}</c> and the client offers a reload.</summary>
    public const int SessionExpired = 1003;
    public const int MessageTooBig = 1009;
    public const int TryAgainLater = 1013;
    public const int BadRequest = 4400;
    public const int NotFound = 4404;
    public const int ServerError = 4500;
}
