namespace JupyterRtc.Execution;

/// <summary>Settings of server-side execution (section <c>JupyterRtc.Execution</c> of the configuration).</summary>
public sealed class ExecutionOptions
{
    /// <summary>How long the result of a finished request waits for its submitter's poll before it is dropped.</summary>
    public TimeSpan CompletedRequestLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// An <c>input()</c> whose submitter has stopped polling for this long is abandoned: the kernel is interrupted rather
    /// than left waiting forever (the deadlock of jupyter-server-nbmodel when the submitter's browser goes away).
    /// </summary>
    public TimeSpan AbandonedInputTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// JupyterLab's "Run All" with the collaboration extension's executor sends one request per cell at once, over
    /// several connections, so they can arrive out of order. Requests for cells of one notebook from one user that
    /// arrive within this window of each other run in the notebook's order; the first waits this long before it starts,
    /// so that the rest of its burst can arrive. Zero turns the reordering off (pure arrival order).
    /// </summary>
    public TimeSpan OrderWindow { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Requests waiting on one kernel at most; more are refused (HTTP 429).</summary>
    public int MaxQueuedPerKernel { get; set; } = 10_000;

    /// <summary>Largest source accepted in a request, in characters.</summary>
    public int MaxCodeLength { get; set; } = 16 * 1024 * 1024;

    /// <summary>Where the record of who ran what is kept (JSON lines); null keeps it in memory only.</summary>
    public string? RecordsPath { get; set; }

    /// <summary>Records kept in memory for listing (the file keeps all of them).</summary>
    public int MaxRecordsInMemory { get; set; } = 100_000;
}
