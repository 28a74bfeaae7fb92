using System.Collections.Concurrent;
using JupyterRtc.Collaboration.Documents;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;
using JupyterRtc.Execution.Outputs;
using JupyterRtc.Execution.Records;
using JupyterRtc.Kernels;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Execution;

/// <summary>A request that cannot be run, with the HTTP status that says why (404 unknown kernel, document or cell).</summary>
public sealed class ExecutionException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Server-side execution: runs cells on kernels and writes what the kernels say into the shared notebooks, so every
/// collaborator sees it as it happens and nothing depends on a browser staying open (rtc-protocol §5). One
/// <see cref="KernelExecutor"/> per kernel keeps the order; requests are found by id for polling; every ended execution
/// is recorded. Private kernels' outputs stay in their requests and never reach a document.
/// </summary>
public sealed class ExecutionService : IAsyncDisposable
{
    /// <summary>The transaction origin of everything the server writes into documents for executions.</summary>
    public static readonly object Origin = new();

    private readonly IKernelManager _kernels;
    private readonly RoomManager _rooms;
    private readonly ExecutionRecordStore _records;
    private readonly ExecutionOptions _options;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, KernelExecutor> _executors = new();
    private readonly ConcurrentDictionary<string, ExecutionRequest> _requests = new();
    private readonly Timer _sweeper;

    public ExecutionService(IKernelManager kernels, RoomManager rooms, ExecutionRecordStore records, ExecutionOptions options, ILogger log)
    {
        _kernels = kernels;
        _rooms = rooms;
        _records = records;
        _options = options;
        _log = log;
        kernels.KernelRemoved += k =>
        {
            if (_executors.TryRemove(k.Id, out var executor)) _ = executor.DisposeAsync().AsTask();
        };
        _sweeper = new Timer(_ => Sweep(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public ExecutionOptions Options => _options;
    public ExecutionRecordStore Records => _records;

    /// <summary>Queues an execution. Throws <see cref="ExecutionException"/> (nothing changed) when it cannot run.</summary>
    public async Task<ExecutionRequest> SubmitAsync(ExecutionSubmission s)
    {
        var kernel = _kernels.Get(s.KernelId) ?? throw new ExecutionException(404, $"Kernel does not exist: {s.KernelId}");
        if (s.Code is { Length: var n } && n > _options.MaxCodeLength)
            throw new ExecutionException(413, $"The code is {n} characters; at most {_options.MaxCodeLength} are accepted (JupyterRtc.Execution.max_code_length)");
        if (s.Code == null && (s.CellId == null || (s.DocumentId == null && s.DocumentPath == null)))
            throw new ExecutionException(400, "The body must have 'code', or 'cell_id' with 'document_id' (or 'document_path')");

        RoomHold? hold = null;
        var code = s.Code;
        var writes = false;
        string? documentId = s.DocumentId, path = s.DocumentPath;
        var cellIndex = -1;
        try
        {
            if (s.DocumentId != null || s.DocumentPath != null)
            {
                hold = await HoldDocumentAsync(s);
                documentId = hold.Room.Id;
                path = hold.Room.ApiPath;
                if (s.CellId != null)
                {
                    string? source = null, type = null;
                    var room = hold.Room;
                    await room.EditAsync(() =>
                    {
                        if (DocumentCell.Find((NotebookDocument)room.Document, s.CellId, out cellIndex) is not { } cell) return;
                        type = cell.Get("cell_type") is AnyValue { Kind: AnyKind.String } t ? t.AsString() : "code";
                        source = cell.Get("source") switch { YText text => text.ToString(), AnyValue { Kind: AnyKind.String } str => str.AsString(), _ => "" };
                    });
                    if (source == null) throw new ExecutionException(404, $"No cell {s.CellId} in document {documentId}");
                    if (type != "code") throw new ExecutionException(400, $"Cell {s.CellId} is a {type} cell; only code cells run");
                    code ??= source;
                    // A private kernel's outputs go to its owner alone: never into the shared document.
                    writes = kernel.Owner == null;
                }
            }
            if (code == null) throw new ExecutionException(404, $"No cell {s.CellId} to run");
            var request = new ExecutionRequest(s, code, documentId, path, writes) { IsPrivate = kernel.Owner != null, KernelName = kernel.Name };
            var job = new KernelExecutor.Job(request, writes ? new DocumentCell(hold!, s.CellId!) : null, writes ? hold : null)
            {
                CellIndex = cellIndex,
            };
            if (!writes && hold != null) { await hold.DisposeAsync(); hold = null; }
            var executor = _executors.GetOrAdd(kernel.Id, _ => new KernelExecutor(kernel, this, _options, _log));
            _requests[request.Id] = request;
            if (!executor.Enqueue(job))
            {
                _requests.TryRemove(request.Id, out _);
                throw new ExecutionException(429, $"Kernel {kernel.Id} has {_options.MaxQueuedPerKernel} executions waiting already");
            }
            hold = null;    // the job owns it now
            _log.LogInformation("Execution {Request} queued on kernel {Kernel} by {User}{Cell}", request.Id, kernel.Id, s.User,
                s.CellId == null ? "" : $" (cell {s.CellId} of {path})");
            return request;
        }
        finally
        {
            if (hold != null) await hold.DisposeAsync();
        }
    }

    private async Task<RoomHold> HoldDocumentAsync(ExecutionSubmission s)
    {
        string roomId;
        if (s.DocumentId != null)
        {
            var parts = s.DocumentId.Split(':', 3);
            if (parts.Length != 3 || parts[0] != "json" || parts[1] != "notebook" || !Guid.TryParse(parts[2], out _))
                throw new ExecutionException(404, $"No notebook document {s.DocumentId} (expected json:notebook:<file id>)");
            roomId = s.DocumentId;
        }
        else
        {
            try { roomId = _rooms.DocumentRoomId(s.DocumentPath!, "json", "notebook"); }
            catch (Exception e) when (e is JupyterRtc.Contents.ContentsException or IOException or ArgumentException)
            {
                throw new ExecutionException(404, $"No notebook at {s.DocumentPath}");
            }
        }
        try
        {
            return await _rooms.HoldAsync(roomId);
        }
        catch (RoomException e)
        {
            throw new ExecutionException(404, $"No document {s.DocumentId ?? s.DocumentPath}: {e.Message}");
        }
    }

    public ExecutionRequest? Find(string kernelId, string requestId) =>
        _requests.TryGetValue(requestId, out var r) && r.KernelId == kernelId ? r : null;

    /// <summary>The requests of a kernel not yet ended, in no particular order.</summary>
    public List<ExecutionRequest> Pending(string kernelId) =>
        _requests.Values.Where(r => r.KernelId == kernelId && !r.IsFinished).OrderBy(r => r.Submitted).ToList();

    /// <summary>A finished request's result was read by its submitter: it is gone (a second read is 404).</summary>
    public void Consume(ExecutionRequest r) => _requests.TryRemove(r.Id, out _);

    /// <summary>Answers the pending <c>input()</c> of a kernel; only the user who ran the cell may.</summary>
    public void AnswerInput(string kernelId, string user, string value)
    {
        ExecutionException nothingWaiting() => new(404, $"No execution on kernel {kernelId} is waiting for input");
        var waiting = _requests.Values.FirstOrDefault(r => r.KernelId == kernelId && r.Input != null) ?? throw nothingWaiting();
        if (waiting.User != user) throw new ExecutionException(403, "Only the user who ran the cell can answer its input");
        if (!_executors.TryGetValue(kernelId, out var executor)) throw new ExecutionException(404, $"Kernel does not exist: {kernelId}");
        // Two answers racing for one prompt: the first is sent, the second finds nothing waiting.
        if (!executor.Answer(waiting, value)) throw nothingWaiting();
    }

    /// <summary>An execution started or ended (<c>execution_start</c>, <c>execution_end</c>), for the event stream.</summary>
    public event Action<ExecutionRequest, string>? Activity;

    internal void OnStarted(ExecutionRequest r)
    {
        // Written at the start too: a run cut off by a crash is still on record (as server_stopped, after a restart).
        _records.Add(Record(r));
        Raise(r, "execution_start");
    }

    private void Raise(ExecutionRequest r, string what)
    {
        try { Activity?.Invoke(r, what); }
        catch (Exception e) { _log.LogError(e, "Execution {Request}: an activity handler failed", r.Id); }
    }

    internal void OnEnded(ExecutionRequest r)
    {
        Raise(r, "execution_end");
        _records.Add(Record(r));
        _log.LogInformation("Execution {Request} on kernel {Kernel} ended: {Outcome} in {Ms:0} ms", r.Id, r.KernelId, r.Outcome,
            ((r.Ended ?? DateTime.UtcNow) - (r.Started ?? r.Submitted)).TotalMilliseconds);
    }

    /// <summary>The record of a request, live (queued, running) or ended.</summary>
    public static ExecutionRecord Record(ExecutionRequest r)
    {
        return new ExecutionRecord
        {
            Id = r.Id,
            User = r.User,
            KernelId = r.KernelId,
            KernelName = r.KernelName,
            Private = r.IsPrivate,
            DocumentId = r.DocumentId,
            Path = r.DocumentPath,
            CellId = r.CellId,
            SourceSha256 = r.SourceSha256,
            Submitted = r.Submitted,
            Started = r.Started,
            Ended = r.Ended,
            DurationMs = r.Ended is { } e && r.Started is { } s ? Math.Round((e - s).TotalMilliseconds, 3) : null,
            Status = r.IsFinished ? r.Outcome ?? r.Status : r.Status,
            ExecutionCount = r.ExecutionCount,
        };
    }

    /// <summary>Executions not yet on record as ended (queued, running, or ending), for listing next to the records.</summary>
    public List<ExecutionRecord> Live() => _requests.Values.Where(r => r.IsLive).Select(Record).ToList();

    /// <summary>Finished results nobody came for are dropped after a while (the stock executor never polls).</summary>
    private void Sweep()
    {
        var cutoff = DateTime.UtcNow - _options.CompletedRequestLifetime;
        foreach (var r in _requests.Values)
            if (r.IsFinished && r.Ended < cutoff) _requests.TryRemove(r.Id, out _);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var e in _executors.Values) await e.DisposeAsync();
        _executors.Clear();
    }
}
