using System.Collections.Concurrent;

namespace JupyterRtc.Kernels;

public sealed class NoSuchKernelSpecException(string name) : Exception($"No such kernel named {name}")
{
    public string KernelName { get; } = name;
}

/// <summary>The running kernels of a server, as jupyter_server's <c>MappingKernelManager</c>. Swappable through DI.</summary>
public interface IKernelManager : IAsyncDisposable
{
    IKernelSpecManager Specs { get; }
    KernelOptions Options { get; }
    IReadOnlyCollection<Kernel> List();
    Kernel? Get(string id);
    /// <summary>
    /// Starts a kernel of spec <paramref name="name"/> (default when null) in the directory of API path
    /// <paramref name="path"/>. With an <paramref name="owner"/> the kernel is that user's private kernel
    /// (<see cref="Kernel.Owner"/>), owned from before anyone can see it.
    /// </summary>
    Task<Kernel> StartAsync(string? name, string? path, IReadOnlyDictionary<string, string>? env = null, string? id = null, string? owner = null, CancellationToken cancel = default);
    Task ShutdownAsync(string id, bool now = false);
    Task ShutdownAllAsync();
    /// <summary>Raised when a kernel is started (before it is ready) or removed.</summary>
    event Action<Kernel>? KernelStarted;
    event Action<Kernel>? KernelRemoved;
}

public sealed class KernelManager : IKernelManager
{
    private readonly ConcurrentDictionary<string, Kernel> _kernels = new();
    private readonly KernelLog _log;
    private readonly Timer? _culler;

    public IKernelSpecManager Specs { get; }
    public KernelOptions Options { get; }
    public event Action<Kernel>? KernelStarted;
    public event Action<Kernel>? KernelRemoved;

    public KernelManager(IKernelSpecManager specs, KernelOptions options, KernelLog? log = null)
    {
        Specs = specs;
        Options = options;
        _log = log ?? KernelLogs.None;
        if (options.CullIdleTimeout > TimeSpan.Zero)
        {
            var interval = options.CullInterval > TimeSpan.Zero ? options.CullInterval : TimeSpan.FromSeconds(300);
            _log(KernelLogLevel.Information, $"Culling kernels with idle durations > {options.CullIdleTimeout.TotalSeconds:0} seconds at {interval.TotalSeconds:0} second intervals ...");
            _culler = new Timer(_ => _ = CullAsync(), null, interval, interval);
        }
    }

    public IReadOnlyCollection<Kernel> List() => _kernels.Values.OrderBy(k => k.Id, StringComparer.Ordinal).ToList();

    public Kernel? Get(string id) => _kernels.GetValueOrDefault(id);

    /// <summary>The kernel's working directory: the API path's directory inside the root, walking up to an existing one.</summary>
    public string CwdForPath(string? path)
    {
        var root = Path.GetFullPath(Options.RootDir);
        var rel = (path ?? "").Trim('/');
        var full = Path.GetFullPath(Path.Combine(root, rel.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(root, StringComparison.Ordinal)) return root;
        while (!Directory.Exists(full) && full.Length > root.Length) full = Path.GetDirectoryName(full) ?? root;
        return full.Length >= root.Length ? full : root;
    }

    public async Task<Kernel> StartAsync(string? name, string? path, IReadOnlyDictionary<string, string>? env = null, string? id = null, string? owner = null, CancellationToken cancel = default)
    {
        name = string.IsNullOrEmpty(name) ? Specs.DefaultKernelName : name;
        var spec = Specs.Get(name) ?? throw new NoSuchKernelSpecException(name);
        id ??= Guid.NewGuid().ToString();
        // The owner is set before the kernel enters the map and before KernelStarted: a lister or listener that sees
        // the kernel at all sees it private, never shared for a moment.
        var kernel = new Kernel(id, spec, CwdForPath(path), env ?? new Dictionary<string, string>(), Options, _log) { Owner = owner };
        if (!_kernels.TryAdd(id, kernel)) throw new InvalidOperationException($"Kernel already exists: {id}");
        kernel.Lifecycle += OnLifecycle;
        KernelStarted?.Invoke(kernel);
        try
        {
            await kernel.StartAsync(cancel);
        }
        catch
        {
            _kernels.TryRemove(id, out _);
            await kernel.ShutdownAsync(now: true);
            KernelRemoved?.Invoke(kernel);
            throw;
        }
        return kernel;
    }

    private void OnLifecycle(Kernel kernel, KernelLifecycle what)
    {
        // A dead kernel leaves the map, as jupyter_server's _handle_kernel_died does; listeners have been told already.
        if (what == KernelLifecycle.Dead && _kernels.TryRemove(kernel.Id, out _))
        {
            KernelRemoved?.Invoke(kernel);
            _ = kernel.ShutdownAsync(now: true);
        }
    }

    public async Task ShutdownAsync(string id, bool now = false)
    {
        if (!_kernels.TryRemove(id, out var kernel)) throw new KeyNotFoundException($"Kernel does not exist: {id}");
        try { await kernel.ShutdownAsync(now); }
        finally { KernelRemoved?.Invoke(kernel); }
    }

    public async Task ShutdownAllAsync()
    {
        await Task.WhenAll(_kernels.Keys.ToList().Select(async id =>
        {
            try { await ShutdownAsync(id); }
            catch (KeyNotFoundException) { }
        }));
    }

    /// <summary>One culling pass (the timer calls it every cull_interval).</summary>
    public async Task CullAsync()
    {
        var now = DateTime.UtcNow;
        foreach (var k in _kernels.Values.ToList())
        {
            var idle = now - k.LastActivity;
            // A kernel still starting or restarting has not had its chance to be active yet.
            if (idle <= Options.CullIdleTimeout || k.ExecutionState is "starting" or "restarting") continue;
            if (k.ExecutionState == "busy" && !Options.CullBusy) continue;
            if (k.Connections > 0 && !Options.CullConnected) continue;
            _log(KernelLogLevel.Warning, $"Culling '{k.ExecutionState}' kernel '{k.Name}' ({k.Id}) with {k.Connections} connections due to {idle.TotalSeconds:0} seconds of inactivity.");
            try { await ShutdownAsync(k.Id); }
            catch (KeyNotFoundException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_culler != null) await _culler.DisposeAsync();
        await ShutdownAllAsync();
    }
}
