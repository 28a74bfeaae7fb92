using System.Text.Json;
using System.Threading.Channels;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;
using JupyterRtc.Execution.Outputs;
using JupyterRtc.Kernels;
using JupyterRtc.Kernels.Wire;
using Microsoft.Extensions.Logging;

namespace JupyterRtc.Execution;

/// <summary>
/// The executions of one kernel: a FIFO queue, whoever asked, run one at a time. One loop owns all the state; kernel
/// messages, lifecycle events, new requests and input answers reach it through one channel, and it applies what a
/// batch of them did to the shared documents in one transaction per room.
/// </summary>
internal sealed class KernelExecutor : IAsyncDisposable
{
    internal sealed class Job(ExecutionRequest request, DocumentCell? cell, RoomHold? hold)
    {
        public ExecutionRequest Request { get; } = request;
        /// <summary>The cell the outputs are written to; null for private kernels and code without a cell.</summary>
        public DocumentCell? Cell { get; } = cell;
        /// <summary>The notebook's room held open until the job ends (a closed browser does not stop the cell).</summary>
        public RoomHold? Hold { get; } = hold;
        public IOutputSink? Sink { get; set; }
        /// <summary>The cell's position in its notebook when it was requested (-1: no cell).</summary>
        public int CellIndex { get; init; } = -1;
        public long Arrived { get; } = Environment.TickCount64;
    }

    private sealed record LifecycleEvent(KernelLifecycle What);
    private sealed record InputAnswer(ExecutionRequest Request, PendingInput Input, string Value);
    private sealed record Tick;
    private sealed record StartDue;

    private readonly Kernel _kernel;
    private readonly ExecutionService _service;
    private readonly ExecutionOptions _options;
    private readonly ILogger _log;
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LinkedList<Job> _queue = new();
    private readonly DisplayRegistry _displays = new();
    private readonly List<(DocumentRoom Room, List<Action> Edits)> _edits = [];
    private readonly List<Job> _ended = [];
    private readonly Task _loop;
    private readonly Timer _ticker;
    private Job? _current;
    private volatile string? _currentMsgId;
    private int _queued;

    public KernelExecutor(Kernel kernel, ExecutionService service, ExecutionOptions options, ILogger log)
    {
        _kernel = kernel;
        _service = service;
        _options = options;
        _log = log;
        kernel.MessageReceived += OnKernelMessage;
        kernel.Lifecycle += OnLifecycle;
        _ticker = new Timer(_ => _events.Writer.TryWrite(new Tick()), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        _loop = Task.Run(RunAsync);
    }

    public string KernelId => _kernel.Id;
    public int Waiting => Volatile.Read(ref _queued);

    /// <summary>Queues a job (thread-safe). False when the kernel's queue is full.</summary>
    public bool Enqueue(Job job)
    {
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedPerKernel)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }
        return _events.Writer.TryWrite(job);
    }

    /// <summary>Answers the request's pending input; false when it has none (already answered, or never asked).</summary>
    public bool Answer(ExecutionRequest request, string value)
    {
        if (request.ClaimInput() is not { } input) return false;
        _events.Writer.TryWrite(new InputAnswer(request, input, value));
        return true;
    }

    // Runs on the socket thread: only a string comparison before the message is handed over.
    private void OnKernelMessage(KernelMessage m)
    {
        var current = _currentMsgId;
        if (current != null && m.ParentMsgId == current) _events.Writer.TryWrite(m);
    }

    private void OnLifecycle(Kernel _, KernelLifecycle what) => _events.Writer.TryWrite(new LifecycleEvent(what));

    private async Task RunAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync())
        {
            // A batch: everything that arrived meanwhile, bounded so that output keeps flowing to the clients.
            for (var n = 0; n < 4096 && reader.TryRead(out var e); n++)
            {
                try { Handle(e); }
                catch (Exception ex) { _log.LogError(ex, "Kernel {Kernel}: execution event {Event} failed", _kernel.Id, e.GetType().Name); }
            }
            await FlushAsync();
        }
        // The kernel is gone: whatever is left ends now.
        if (_current != null) EndCurrent("shutdown", "The kernel was shut down.");
        CancelQueue("The kernel was shut down.");
        await FlushAsync();
    }

    private void Handle(object e)
    {
        switch (e)
        {
            case Job job:
                Queue(job);
                MarkQueued(job);
                if (_current != null || _startDue) break;
                if (InBurst(job))
                {
                    // The head of what may be a Run All burst: give the rest of it a moment to arrive.
                    _startDue = true;
                    _ = Task.Delay(_options.OrderWindow).ContinueWith(_ => _events.Writer.TryWrite(new StartDue()), TaskScheduler.Default);
                }
                else StartNext();
                break;
            case StartDue:
                _startDue = false;
                if (_current == null) StartNext();
                break;
            case KernelMessage m when _current != null && m.ParentMsgId == _current.Request.MsgId:
                OnMessage(_current, m);
                break;
            case LifecycleEvent { What: var what }:
                OnKernelLifecycle(what);
                break;
            case InputAnswer a when _current?.Request == a.Request:
                SendInput(a.Request, a.Input, a.Value);
                break;
            case Tick:
                CheckAbandonedInput();
                break;
        }
    }

    // ---- the queue ------------------------------------------------------------------------------------------------

    private void MarkQueued(Job job)
    {
        if (job.Cell is not { } cell) return;
        // The prompt shows [*] from the moment the cell is queued, as with JupyterLab's own execution.
        Edit(cell.Room, () => cell.Resolve()?.Set("execution_state", AnyValue.String("running")));
    }

    private bool _startDue;

    /// <summary>Whether a job may be part of a burst of requests sent at once (JupyterLab's executor, one per cell).</summary>
    private bool InBurst(Job job) =>
        _options.OrderWindow > TimeSpan.Zero && job.CellIndex >= 0 && !job.Request.Submission.Polling;

    /// <summary>
    /// Queues a job. Within a burst (same notebook, same user, each arriving within the order window of the one before)
    /// the cells run in the notebook's order, whatever order their requests arrived in; otherwise in arrival order.
    /// </summary>
    private void Queue(Job job)
    {
        var at = _queue.Last;
        var window = (long)_options.OrderWindow.TotalMilliseconds;
        if (InBurst(job))
        {
            var arrived = job.Arrived;
            while (at != null && InBurst(at.Value) && arrived - at.Value.Arrived <= window
                   && at.Value.Request.DocumentId == job.Request.DocumentId && at.Value.Request.User == job.Request.User)
            {
                if (at.Value.CellIndex <= job.CellIndex) break;
                arrived = at.Value.Arrived;
                at = at.Previous;
            }
        }
        if (at == null) _queue.AddFirst(job);
        else _queue.AddAfter(at, job);
    }

    private void StartNext()
    {
        while (_current == null && _queue.First is { } node)
        {
            _queue.RemoveFirst();
            Interlocked.Decrement(ref _queued);
            Start(node.Value);
        }
    }

    private void Start(Job job)
    {
        var r = job.Request;
        r.Started = DateTime.UtcNow;
        r.Status = "running";
        _service.OnStarted(r);
        if (job.Cell is { } cell)
        {
            job.Sink = new CellOutputSink(cell, Edit, _displays);
            var timing = r.Submission.RecordTiming;
            var started = r.Started.Value;
            Edit(cell.Room, () =>
            {
                cell.ClearOutputs();
                if (cell.Resolve() is not { } map) return;
                map.Set("execution_count", AnyValue.Null);
                map.Set("execution_state", AnyValue.String("running"));
                if (map.Get("metadata") is YMap metadata)
                {
                    if (timing)
                    {
                        var t = new JsObject();
                        t.Set("iopub.execute_input", AnyValue.String(Iso(started)));
                        t.Set("shell.execute_reply.started", AnyValue.String(Iso(started)));
                        metadata.Set("execution", AnyValue.Object(t));
                    }
                    else if (metadata.ContainsKey("execution")) metadata.Delete("execution");
                }
            });
        }
        // An empty cell is not sent (the kernel would count it): JupyterLab only clears it.
        if (string.IsNullOrWhiteSpace(r.Code))
        {
            _current = job;
            End(job, "complete", "empty", null);
            return;
        }
        if (_kernel.IsDead || _kernel.ExecutionState == "restarting")
        {
            _current = job;
            End(job, "error", "cancelled", "The kernel is not running.");
            return;
        }
        var content = OutputLog.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("code", r.Code);
            w.WriteBoolean("silent", false);
            w.WriteBoolean("store_history", true);
            w.WriteStartObject("user_expressions");
            w.WriteEndObject();
            // Only a submitter that polls can be asked for input; the stock collaboration executor never polls, and a
            // kernel waiting on it would wait forever.
            w.WriteBoolean("allow_stdin", r.Submission.Polling);
            w.WriteBoolean("stop_on_error", true);
            w.WriteEndObject();
        });
        var message = KernelMessage.Create(KernelChannel.Shell, "execute_request", _kernel.Client.Session, content, username: r.User);
        r.MsgId = message.MsgId;
        _current = job;
        _currentMsgId = message.MsgId;
        try { _kernel.Client.Send(message); }
        catch (ObjectDisposedException) { End(job, "error", "kernel_died", "The kernel is not running."); }
    }

    private void CancelQueue(string why)
    {
        while (_queue.First is { } node)
        {
            _queue.RemoveFirst();
            Interlocked.Decrement(ref _queued);
            var job = node.Value;
            _current = job;
            End(job, "error", "cancelled", why);
        }
    }

    // ---- messages of the running execution -----------------------------------------------------------------------

    private void OnMessage(Job job, KernelMessage m)
    {
        var r = job.Request;
        switch (m.Channel)
        {
            case KernelChannel.IOPub when m.MsgType == "status":
                if (m.ExecutionState() == "idle") r.IdleSeen = true;
                break;
            case KernelChannel.IOPub:
            {
                using var content = JsonDocument.Parse(m.Content);
                lock (r.Outputs) r.Outputs.Apply(m.MsgType, content.RootElement, job.Sink);
                break;
            }
            case KernelChannel.Shell when m.MsgType == "execute_reply":
            {
                using var content = JsonDocument.Parse(m.Content);
                var root = content.RootElement;
                r.ReplySeen = true;
                r.ReplyStatus = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : "error";
                if (root.TryGetProperty("execution_count", out var ec) && ec.ValueKind == JsonValueKind.Number) r.ExecutionCount = ec.GetInt32();
                if (r.ReplyStatus == "error" && root.TryGetProperty("ename", out var en) && en.ValueKind == JsonValueKind.String && en.GetString() == "KeyboardInterrupt")
                    r.Outcome = "interrupted";
                break;
            }
            case KernelChannel.Stdin when m.MsgType == "input_request":
            {
                using var content = JsonDocument.Parse(m.Content);
                var root = content.RootElement;
                var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                var password = root.TryGetProperty("password", out var pw) && pw.ValueKind == JsonValueKind.True;
                r.Input = new PendingInput(prompt, password, m.Header, m.ParentHeader);
                r.Status = "input";
                break;
            }
        }
        if (r.ReplySeen && r.IdleSeen)
        {
            var status = r.ReplyStatus ?? "ok";
            End(job, "complete", r.Outcome ?? (status == "aborted" ? "abort" : status), null);
            // As the kernel does with stop_on_error, a failed cell stops what was queued after it.
            if (status == "error") CancelQueue("Execution cancelled because a previous queued request failed.");
            StartNext();
        }
    }

    private void SendInput(ExecutionRequest r, PendingInput input, string value)
    {
        var content = OutputLog.Json(w => { w.WriteStartObject(); w.WriteString("value", value); w.WriteEndObject(); });
        var message = KernelMessage.FromParts(KernelChannel.Stdin,
            KernelMessage.HeaderJson(Guid.NewGuid().ToString("N"), "input_reply", _kernel.Client.Session, r.User),
            input.RequestHeader, "{}"u8.ToArray(), content);
        try { _kernel.Client.Send(message); }
        catch (ObjectDisposedException) { }
    }

    private void CheckAbandonedInput()
    {
        if (_current?.Request is not { Input: not null, InputRequestedInterrupt: false } r) return;
        if (DateTime.UtcNow - r.LastPolled < _options.AbandonedInputTimeout) return;
        r.InputRequestedInterrupt = true;
        _log.LogWarning("Kernel {Kernel}: nobody answers the input of request {Request} (its submitter {User} stopped polling); interrupting",
            _kernel.Id, r.Id, r.User);
        _ = InterruptAsync();
    }

    private async Task InterruptAsync()
    {
        try { await _kernel.InterruptAsync(); }
        catch (Exception e) { _log.LogWarning("Kernel {Kernel}: interrupt failed: {Error}", _kernel.Id, e.Message); }
    }

    private void OnKernelLifecycle(KernelLifecycle what)
    {
        switch (what)
        {
            case KernelLifecycle.Restarting:
                _displays.Clear();
                if (_current != null) EndCurrent("restarted", "The kernel was restarted.");
                CancelQueue("The kernel was restarted.");
                break;
            case KernelLifecycle.AutoRestarting or KernelLifecycle.Dead:
                _displays.Clear();
                if (_current != null) EndCurrent("kernel_died", "The kernel died.");
                CancelQueue("The kernel died.");
                break;
            case KernelLifecycle.ShutDown:
                if (_current != null) EndCurrent("shutdown", "The kernel was shut down.");
                CancelQueue("The kernel was shut down.");
                break;
        }
    }

    /// <summary>Ends the running execution without a reply (restart, death): the cell must not stay at [*].</summary>
    private void EndCurrent(string outcome, string why)
    {
        var job = _current!;
        if (outcome == "kernel_died")
        {
            // The cell says what happened, as an error output: saved with the notebook, seen by everyone.
            var error = OutputLog.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("output_type", "error");
                w.WriteString("ename", "DeadKernelError");
                w.WriteString("evalue", "The kernel died while this cell was running; it is restarting.");
                w.WriteStartArray("traceback");
                w.WriteStringValue("DeadKernelError: the kernel died while this cell was running.");
                w.WriteEndArray();
                w.WriteEndObject();
            });
            lock (job.Request.Outputs) job.Request.Outputs.AddRich(error, job.Sink);
        }
        End(job, "error", outcome, why);
    }

    /// <summary>Ends the current job: the cell is idle again (with its prompt number), the record is written after the flush.</summary>
    private void End(Job job, string status, string outcome, string? error)
    {
        var r = job.Request;
        r.Ended = DateTime.UtcNow;
        r.Status = status;
        r.Outcome = outcome;
        r.Error = error;
        r.Input = null;
        if (_current == job) { _current = null; _currentMsgId = null; }
        if (job.Sink is CellOutputSink sink) Edit(job.Cell!.Room, sink.Detach);
        if (job.Cell is { } cell)
        {
            var count = r.ExecutionCount;
            var timing = r.Submission.RecordTiming && r.Started != null;
            var ended = r.Ended.Value;
            var failed = outcome is not ("ok" or "empty");
            Edit(cell.Room, () =>
            {
                if (cell.Resolve() is not { } map) return;
                map.Set("execution_count", count is { } c ? AnyValue.Number(c) : AnyValue.Null);
                map.Set("execution_state", AnyValue.String("idle"));
                if (timing && map.Get("metadata") is YMap metadata && metadata.Get("execution") is AnyValue { Kind: AnyKind.Object } t)
                {
                    var o = new JsObject();
                    foreach (var (k, v) in t.AsObject()) o.Set(k, v);
                    o.Set(failed ? "execution_failed" : "shell.execute_reply", AnyValue.String(Iso(ended)));
                    metadata.Set("execution", AnyValue.Object(o));
                }
            });
        }
        _ended.Add(job);
    }

    // ---- writing into documents ------------------------------------------------------------------------------------

    private void Edit(DocumentRoom room, Action edit)
    {
        foreach (var (r, list) in _edits)
            if (r == room) { list.Add(edit); return; }
        _edits.Add((room, [edit]));
    }

    private void ApplyAll(DocumentRoom room, List<Action> edits)
    {
        foreach (var edit in edits)
        {
            try { edit(); }
            catch (Exception e) { _log.LogError(e, "Room {Room}: writing an execution's output failed", room.Id); }
        }
    }

    private async Task FlushAsync()
    {
        if (_edits.Count > 0)
        {
            var edits = _edits.ToList();
            _edits.Clear();
            foreach (var (room, list) in edits)
            {
                bool applied;
                try { applied = await room.EditAsync(() => room.Doc.Transact(_ => ApplyAll(room, list), ExecutionService.Origin)); }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException) { applied = false; }
                if (!applied) _log.LogWarning("Room {Room} closed before an execution's outputs were written", room.Id);
            }
        }
        if (_ended.Count > 0)
        {
            var ended = _ended.ToList();
            _ended.Clear();
            foreach (var job in ended)
            {
                try
                {
                    // The stock executor never polls: the outputs are in the document, a second copy would only wait
                    // for the result's lifetime to end (a million-line cell is megabytes).
                    if (job.Request.WritesDocument && !job.Request.Submission.Polling) lock (job.Request.Outputs) job.Request.Outputs.Release();
                    if (job.Hold != null) await job.Hold.DisposeAsync();
                    _service.OnEnded(job.Request);
                }
                catch (Exception e) { _log.LogError(e, "Kernel {Kernel}: ending execution {Request} failed", _kernel.Id, job.Request.Id); }
                finally { job.Request.Finish(); }
            }
        }
    }

    private static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        _kernel.MessageReceived -= OnKernelMessage;
        _kernel.Lifecycle -= OnLifecycle;
        await _ticker.DisposeAsync();
        _events.Writer.TryComplete();
        await _loop;
    }
}
