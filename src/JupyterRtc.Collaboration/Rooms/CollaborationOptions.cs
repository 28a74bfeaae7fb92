namespace JupyterRtc.Collaboration.Rooms;

/// <summary>Settings of collaborative rooms (the <c>YDocExtension</c> traits of jupyter-collaboration, where they exist).</summary>
public sealed class CollaborationOptions
{
    /// <summary>Autosave: a document is saved this long after its last change (a trailing debounce). Null: never autosave.</summary>
    public TimeSpan? SaveDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A document that keeps changing is still saved at least this often.</summary>
    public TimeSpan MaxSaveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the file is checked for changes made outside the server. Zero: only when saving.</summary>
    public TimeSpan FilePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a room stays in memory after its last client left (short disconnects keep it).</summary>
    public TimeSpan CleanupDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest websocket message a client may send (a full notebook's first sync can be tens of MB).</summary>
    public long MaxMessageSize { get; set; } = 256L * 1024 * 1024;

    /// <summary>Frames queued for one client beyond which it is disconnected (it will reconnect and resync).</summary>
    public long MaxQueuedBytesPerClient { get; set; } = 512L * 1024 * 1024;

    public static readonly TimeSpan DefaultBroadcastIntervalPerClient = TimeSpan.FromMicroseconds(20);

    /// <summary>Least time between two broadcasts of a room, per client in it (see <see cref="Room.BroadcastIntervalPerClient"/>).</summary>
    public TimeSpan BroadcastIntervalPerClient { get; set; } = DefaultBroadcastIntervalPerClient;

    /// <summary>How long a held sync step 1 waits for the client's awareness (its own id) before the history check.</summary>
    public TimeSpan OwnIdWait { get; set; } = TimeSpan.FromSeconds(2);
}
