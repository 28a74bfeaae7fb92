using System.Diagnostics;
using JupyterRtc.Kernels.Wire;

namespace JupyterRtc.Kernels;

public sealed class KernelStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What happened to a kernel's process, told to listeners (the websocket relay turns these into iopub status).</summary>
public enum KernelLifecycle
{
    /// <summary>The process died and is being restarted automatically (clients see <c>status: restarting</c>).</summary>
    AutoRestarting,
    /// <summary>An automatic restart succeeded.</summary>
    AutoRestarted,
    /// <summary>A requested restart is under way.</summary>
    Restarting,
    Restarted,
    /// <summary>The process died and will not be restarted (clients see <c>status: dead</c>).</summary>
    Dead,
    ShutDown,
}

/// <summary>
/// One running kernel: its process, connection file and <see cref="KernelClient"/>, its state as Jupyter reports it
/// (<c>execution_state</c>, <c>last_activity</c>) and its life: start (ready once it answers kernel_info and iopub
/// is live), interrupt, restart keeping its id, shutdown with a kill after a timeout, automatic restart when the
/// process dies.
/// </summary>
public sealed class Kernel : IAsyncDisposable
{
    private static readonly HashSet<string> UntrackedTypes =
    [
        "comm_info_request", "comm_info_reply", "kernel_info_request", "kernel_info_reply", "shutdown_request", "shutdown_reply",
        "interrupt_request", "interrupt_reply", "debug_request", "debug_reply", "stream", "display_data", "update_display_data",
        "execute_input", "execute_result", "error", "status", "clear_output", "debug_event", "input_request", "input_reply",
    ];

    private readonly KernelOptions _options;
    private readonly KernelLog _log;
    private readonly SemaphoreSlim _lifecycleLock = new(1, 1);
    private KernelClient _client = null!;
    private Process? _process;
    private int _generation;
    private bool _stopping;
    private int _autoRestarts;
    private DateTime _launchedAt;
    private volatile bool _iopubSeen;

    public string Id { get; }
    public KernelSpec Spec { get; }
    public string Name => Spec.Name;
    public string Cwd { get; }
    public IReadOnlyDictionary<string, string> ExtraEnv { get; }
    public ConnectionInfo Connection { get; private set; }
    public string ConnectionFile { get; }
    public KernelClient Client => _client;
    public int? Pid => _process is { } p && !p.HasExited ? p.Id : null;
    public Process? Process => _process;

    /// <summary>starting, idle, busy, restarting or dead, as Jupyter Server's kernel model says.</summary>
    public string ExecutionState { get; private set; } = "starting";
    public DateTime LastActivity { get; private set; } = DateTime.UtcNow;
    /// <summary>Open websocket connections (kept by the server).</summary>
    public int Connections => Volatile.Read(ref _connections);
    private int _connections;
    public string? Reason { get; private set; }
    public bool IsDead => ExecutionState == "dead";
    public KernelLog Log => _log;
    /// <summary>
    /// The user a private kernel belongs to (its outputs reach only them), or null for a shared kernel. The kernel
    /// library only carries it; the server decides who may see and use the kernel.
    /// </summary>
    public string? Owner { get; set; }

    /// <summary>Every message from the kernel, on the socket thread. Handlers must not block.</summary>
    public event Action<KernelMessage>? MessageReceived;
    /// <summary>Process-level events (restarts, death). Raised on a thread-pool thread.</summary>
    public event Action<Kernel, KernelLifecycle>? Lifecycle;

    internal Kernel(string id, KernelSpec spec, string cwd, IReadOnlyDictionary<string, string> extraEnv, KernelOptions options, KernelLog log)
    {
        Id = id;
        Spec = spec;
        Cwd = cwd;
        ExtraEnv = extraEnv;
        _options = options;
        _log = log;
        Connection = ConnectionInfo.CreateNew(spec.Name);
        ConnectionFile = Path.Combine(options.RuntimeDir, $"kernel-{id}.json");
    }

    public int AddConnection() => Interlocked.Increment(ref _connections);
    public int RemoveConnection() => Interlocked.Decrement(ref _connections);
    public void Touch() => LastActivity = DateTime.UtcNow;

    /// <summary>Launches the process and waits until it answers kernel_info with iopub live.</summary>
    internal async Task StartAsync(CancellationToken cancel)
    {
        await _lifecycleLock.WaitAsync(cancel);
        try
        {
            NewClient();
            await LaunchAndWaitAsync(cancel);
            if (ExecutionState is "starting" or "busy") ExecutionState = "idle";
            LastActivity = DateTime.UtcNow;
        }
        finally { _lifecycleLock.Release(); }
    }

    private void NewClient()
    {
        var old = _client;
        Connection.Write(ConnectionFile);
        var client = new KernelClient(Connection, _log, Id[..8]);
        client.IopubObserved = _ => _iopubSeen = true;
        client.MessageReceived += OnMessage;
        _client = client;
        old?.Dispose();
    }

    private void OnMessage(KernelMessage m)
    {
        if (m.Channel == KernelChannel.IOPub)
        {
            if (m.MsgType == "status")
            {
                var state = m.ExecutionState();
                if (state is null or "starting" || ExecutionState is "restarting" or "dead") { }
                // Status caused by kernel_info and the like is not what users mean by busy; a starting kernel is idle
                // on its first status of any kind (jupyter_server's rule).
                else if (m.ParentMsgType == null || !UntrackedTypes.Contains(m.ParentMsgType)) ExecutionState = state;
                else if (ExecutionState == "starting") ExecutionState = "idle";
            }
            if (!UntrackedTypes.Contains(m.MsgType) || ExecutionState == "busy") LastActivity = DateTime.UtcNow;
        }
        MessageReceived?.Invoke(m);
    }

    private ProcessStartInfo StartInfo()
    {
        var argv = Spec.Argv.Select(a => a.Replace("{connection_file}", ConnectionFile).Replace("{resource_dir}", Spec.ResourceDir)).ToList();
        // A session of its own (setsid execs in place, same pid), as jupyter_client's start_new_session: a Ctrl-C in
        // the server's terminal must not interrupt every kernel. stdin is a pipe nobody writes to.
        if (File.Exists("/usr/bin/setsid")) argv.Insert(0, "/usr/bin/setsid");
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, WorkingDirectory = Cwd, RedirectStandardInput = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["JPY_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (k, v) in _options.ExtraEnv) psi.Environment[k] = v;
        foreach (var (k, v) in Spec.Env) psi.Environment[k] = v;
        foreach (var (k, v) in ExtraEnv) psi.Environment[k] = v;
        return psi;
    }

    private async Task LaunchAndWaitAsync(CancellationToken cancel)
    {
        var generation = Interlocked.Increment(ref _generation);
        _iopubSeen = false;
        Process process;
        try
        {
            process = Process.Start(StartInfo()) ?? throw new KernelStartException($"could not start {Spec.Argv[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KernelStartException($"Kernel {Spec.Name} could not start {Spec.Argv[0]}: {e.Message}", e);
        }
        _process = process;
        _launchedAt = DateTime.UtcNow;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _ = Task.Run(() => OnProcessExitedAsync(process, generation));
        if (process.HasExited) _ = Task.Run(() => OnProcessExitedAsync(process, generation));
        _log(KernelLogLevel.Information, $"Kernel started: {Id}, name: {Spec.Name}, pid {process.Id}");
        await WaitReadyAsync(process, cancel);
    }

    /// <summary>kernel_info_request every half second until a reply comes and iopub has delivered something.</summary>
    private async Task WaitReadyAsync(Process process, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + _options.KernelInfoTimeout;
        var replied = false;
        while (DateTime.UtcNow < deadline)
        {
            cancel.ThrowIfCancellationRequested();
            if (process.HasExited) throw new KernelStartException($"Kernel {Spec.Name} ({Id}) exited with code {process.ExitCode} before it was ready");
            try
            {
                await _client.RequestAsync(KernelChannel.Shell, "kernel_info_request", "{}"u8.ToArray(), TimeSpan.FromMilliseconds(500), cancel);
                replied = true;
            }
            catch (TimeoutException) { }
            if (replied)
            {
                for (var i = 0; i < 20 && !(_iopubSeen && _client.SideChannelsConnected); i++) await Task.Delay(25, cancel);
                if (_iopubSeen && _client.SideChannelsConnected) return;
            }
        }
        throw new KernelStartException($"Kernel {Spec.Name} ({Id}) did not answer kernel_info within {_options.KernelInfoTimeout.TotalSeconds:0} s");
    }

    private async Task OnProcessExitedAsync(Process process, int generation)
    {
        if (_stopping || generation != Volatile.Read(ref _generation)) return;
        await _lifecycleLock.WaitAsync();
        try
        {
            if (_stopping || generation != _generation || IsDead) return;
            var code = process.ExitCode;
            if (DateTime.UtcNow - _launchedAt >= _options.StableStartTime) _autoRestarts = 0;
            if (!_options.Autorestart || _autoRestarts >= _options.RestartLimit)
            {
                _log(KernelLogLevel.Warning, $"Kernel {Id} died (exit code {code}){(_options.Autorestart ? $"; restart limit of {_options.RestartLimit} reached" : "")}: it is dead");
                MarkDead($"Kernel died (exit code {code})");
                return;
            }
            _autoRestarts++;
            _log(KernelLogLevel.Warning, $"Kernel {Id} died (exit code {code}), restarting ({_autoRestarts}/{_options.RestartLimit})");
            ExecutionState = "restarting";
            Raise(KernelLifecycle.AutoRestarting);
            try
            {
                // Ports are reused (clients' sockets reconnect) unless the kernel never became stable.
                if (_autoRestarts > 1) { Connection = Connection.WithNewPorts(); NewClient(); }
                else Connection.Write(ConnectionFile);
                await LaunchAndWaitAsync(CancellationToken.None);
                ExecutionState = "idle";
                Raise(KernelLifecycle.AutoRestarted);
            }
            catch (KernelStartException e)
            {
                _log(KernelLogLevel.Warning, $"Kernel {Id} automatic restart failed: {e.Message}");
                // The new process's own exit handler carries on counting (or this one marks it dead).
                if (_process is { HasExited: false }) { }
                else if (_autoRestarts >= _options.RestartLimit) MarkDead(e.Message);
            }
        }
        finally { _lifecycleLock.Release(); }
    }

    private void MarkDead(string reason)
    {
        ExecutionState = "dead";
        Reason = reason;
        Raise(KernelLifecycle.Dead);
    }

    private void Raise(KernelLifecycle what)
    {
        try { Lifecycle?.Invoke(this, what); }
        catch (Exception e) { _log(KernelLogLevel.Error, $"Kernel {Id}: lifecycle handler failed: {e}"); }
    }

    /// <summary>SIGINT to the process, or interrupt_request on control when the spec says <c>interrupt_mode: message</c>.</summary>
    public async Task InterruptAsync()
    {
        if (Spec.InterruptMode == "message")
        {
            await _client.RequestAsync(KernelChannel.Control, "interrupt_request", "{}"u8.ToArray(), TimeSpan.FromSeconds(10));
            return;
        }
        if (_process is { HasExited: false } p && !Native.Signal(p.Id, Native.SIGINT))
            throw new InvalidOperationException($"could not signal kernel process {p.Id}");
    }

    /// <summary>Stops the process (gracefully unless <paramref name="now"/>) and starts it again with the same id.</summary>
    public async Task RestartAsync(bool now = false, CancellationToken cancel = default)
    {
        await _lifecycleLock.WaitAsync(cancel);
        try
        {
            _stopping = true;
            ExecutionState = "restarting";
            Raise(KernelLifecycle.Restarting);
            await StopProcessAsync(now, restart: true);
            _stopping = false;
            _autoRestarts = 0;
            try
            {
                Connection.Write(ConnectionFile);
                await LaunchAndWaitAsync(cancel);
            }
            catch (KernelStartException)
            {
                // The old ports may be taken by now: once more on fresh ones.
                if (_process is { HasExited: false } p) { Interlocked.Increment(ref _generation); KillProcess(p); }
                Connection = Connection.WithNewPorts();
                NewClient();
                await LaunchAndWaitAsync(cancel);
            }
            if (ExecutionState is "restarting" or "starting") ExecutionState = "idle";
            Raise(KernelLifecycle.Restarted);
        }
        finally
        {
            _stopping = false;
            _lifecycleLock.Release();
        }
    }

    /// <summary>shutdown_request on control; kill after <see cref="KernelOptions.ShutdownWaitTime"/>. Leaves no process behind.</summary>
    public async Task ShutdownAsync(bool now = false)
    {
        await _lifecycleLock.WaitAsync();
        try
        {
            if (_stopping && _client == null) return;
            _stopping = true;
            await StopProcessAsync(now, restart: false);
            _client?.Dispose();
            try { File.Delete(ConnectionFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (ExecutionState != "dead") ExecutionState = "dead";
            Raise(KernelLifecycle.ShutDown);
            _log(KernelLogLevel.Information, $"Kernel shutdown: {Id}");
        }
        finally { _lifecycleLock.Release(); }
    }

    private async Task StopProcessAsync(bool now, bool restart)
    {
        var p = _process;
        if (p == null || p.HasExited) return;
        if (!now)
        {
            try
            {
                var content = restart ? "{\"restart\":true}"u8.ToArray() : "{\"restart\":false}"u8.ToArray();
                _client.Send(KernelMessage.Create(KernelChannel.Control, "shutdown_request", _client.Session, content));
                await p.WaitForExitAsync().WaitAsync(_options.ShutdownWaitTime);
            }
            catch (TimeoutException)
            {
                _log(KernelLogLevel.Warning, $"Kernel {Id} did not exit within {_options.ShutdownWaitTime.TotalSeconds:0.#} s of shutdown_request: killing it");
            }
            catch (ObjectDisposedException) { }
        }
        KillProcess(p);
    }

    private static void KillProcess(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false }) await ShutdownAsync(now: true);
        _client?.Dispose();
    }
}
