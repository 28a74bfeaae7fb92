using System.Text.Json;
using JupyterRtc.Execution.Outputs;

namespace JupyterRtc.Execution;

/// <summary>An <c>input()</c> the kernel is waiting on, shown only to the request's submitter.</summary>
public sealed record PendingInput(string Prompt, bool Password, byte[] RequestHeader, byte[] ParentHeader);

/// <summary>What a client asked to run, from <c>POST /api/kernels/&lt;id&gt;/execute</c>.</summary>
public sealed record ExecutionSubmission
{
    public required string KernelId { get; init; }
    /// <summary>The user who asked (their name), who alone may answer its <c>input()</c> and see it when the kernel is private.</summary>
    public required string User { get; init; }
    /// <summary>The source to run; null to read it from the cell in the shared document.</summary>
    public string? Code { get; init; }
    public string? CellId { get; init; }
    /// <summary>The room of the notebook, <c>json:notebook:&lt;fileId&gt;</c> (the document's <c>state.document_id</c>).</summary>
    public string? DocumentId { get; init; }
    public string? DocumentPath { get; init; }
    public bool RecordTiming { get; init; }
    /// <summary>Whether the submitter polls for the result and can answer <c>input()</c> (the nbmodel client does).</summary>
    public bool Polling { get; init; }
}

/// <summary>
/// One execution, from the queue to its end. Its outputs are kept here too (the polling API returns them, and a
/// private kernel's outputs live nowhere else). Mutated by its kernel's executor only; read by anyone.
/// </summary>
public sealed class ExecutionRequest
{
    internal ExecutionRequest(ExecutionSubmission s, string code, string? documentId, string? path, bool writesDocument)
    {
        Submission = s;
        Code = code;
        DocumentId = documentId;
        DocumentPath = path;
        WritesDocument = writesDocument;
        LastPolled = Submitted;
    }

    public string Id { get; } = Guid.NewGuid().ToString();
    public ExecutionSubmission Submission { get; }
    public string KernelId => Submission.KernelId;
    public string User => Submission.User;
    public string? CellId => Submission.CellId;
    public string Code { get; }
    /// <summary>SHA-256 of the code, hex: what the record keeps instead of the code (computed once).</summary>
    public string SourceSha256 => _sha256 ??= Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Code)));
    private string? _sha256;
    public string? DocumentId { get; }
    public string? DocumentPath { get; internal set; }
    /// <summary>Whether the outputs go into the shared document (not for private kernels or code without a cell).</summary>
    public bool WritesDocument { get; }
    /// <summary>Runs on a private kernel: its outputs, record and events are its owner's only.</summary>
    public bool IsPrivate { get; init; }
    public string? KernelName { get; init; }

    public DateTime Submitted { get; } = DateTime.UtcNow;
    public DateTime? Started { get; internal set; }
    public DateTime? Ended { get; internal set; }
    /// <summary>queued, running, input, complete, or error (ended without a kernel reply: cancelled, kernel died).</summary>
    public string Status { get; internal set; } = "queued";
    /// <summary>The kernel's reply status: ok, error or abort.</summary>
    public string? ReplyStatus { get; internal set; }
    public int? ExecutionCount { get; internal set; }
    /// <summary>Why a request ended without a reply.</summary>
    public string? Error { get; internal set; }
    /// <summary>How it ended, for the record: ok, error, abort, cancelled, interrupted, restarted, kernel_died, shutdown, empty.</summary>
    public string? Outcome { get; internal set; }
    public PendingInput? Input { get => Volatile.Read(ref _input); internal set => Volatile.Write(ref _input, value); }
    private PendingInput? _input;

    /// <summary>
    /// Takes the pending input for an answer, on the answering thread: one answer per <c>input_request</c>, and from
    /// the moment the answer is accepted the request no longer asks (a poll right after it is 202, not the prompt again).
    /// </summary>
    internal PendingInput? ClaimInput()
    {
        var input = Interlocked.Exchange(ref _input, null);
        if (input != null) Status = "running";
        return input;
    }
    public DateTime LastPolled { get; private set; }
    /// <summary>The submitter polled: its input() is not abandoned.</summary>
    public void MarkPolled() => LastPolled = DateTime.UtcNow;
    internal bool InputRequestedInterrupt { get; set; }

    internal OutputLog Outputs { get; } = new();
    internal string? MsgId { get; set; }
    internal bool ReplySeen { get; set; }
    internal bool IdleSeen { get; set; }

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Completes when the request has ended, whichever way.</summary>
    public Task Completion => _done.Task;
    public bool IsFinished => Status is "complete" or "error";
    /// <summary>
    /// Not yet on record as ended. A request is finished as soon as the kernel is done with it, but its final record is
    /// written only after its last outputs reach the document (<see cref="Finish"/>): until then the listing must show
    /// it from here, or a client that saw the cell go idle could read the record of its start.
    /// </summary>
    public bool IsLive => !_done.Task.IsCompleted;
    internal void Finish() => _done.TrySetResult();

    /// <summary>The outputs so far as nbformat JSON (an array).</summary>
    public string OutputsJson() { lock (Outputs) return Outputs.ToJson(); }

    public void WriteOutputs(Utf8JsonWriter w) { lock (Outputs) Outputs.WriteTo(w); }
}
