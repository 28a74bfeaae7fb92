namespace JupyterRtc.Kernels;

/// <summary>A session: a document (or console) path bound to a kernel (jupyter_server's sessions table).</summary>
public sealed class KernelSession
{
    public required string Id { get; init; }
    public string Path { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public required string KernelId { get; set; }
    /// <summary>
    /// The user a private session belongs to, or null for the shared session of its path. A private session's kernel
    /// is always its owner's private kernel, a shared session's kernel a shared one.
    /// </summary>
    public string? Owner { get; init; }
    public bool IsPrivate => Owner != null;
}

/// <summary>Thrown when a session cannot get the kernel it asks for; the server answers 501.</summary>
public sealed class SessionKernelException(string message, string shortMessage, Exception? inner = null) : Exception(message, inner)
{
    public string ShortMessage { get; } = shortMessage;
}

/// <summary>Sessions, as jupyter_server's <c>SessionManager</c>. Swappable through DI.</summary>
public interface ISessionManager
{
    /// <summary>Sessions whose kernel still runs (the others are dropped silently).</summary>
    IReadOnlyList<KernelSession> List();
    KernelSession? Get(string id);
    /// <summary>
    /// Returns the existing session of <paramref name="path"/> with the same <paramref name="owner"/> if there is one
    /// (Jupyter: still 201): a path has at most one shared session and one private session per user. With an owner the
    /// session is that user's private session on a private kernel of theirs (started, or <paramref name="kernelId"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel <paramref name="kernelId"/> exists but is not owned by
    /// <paramref name="owner"/> (shared for a private session or private for a shared one), or is being started.</exception>
    Task<KernelSession> CreateAsync(string path, string? name, string type, string? kernelName, string? kernelId, string? owner = null, CancellationToken cancel = default);
    /// <summary>
    /// Changes path, name, type, or the kernel (by id of a running kernel with the session's owner, or a new one by
    /// name, owned as the session is; the old one is shut down).
    /// </summary>
    Task<KernelSession> UpdateAsync(string id, string? path, string? name, string? type, string? kernelName, string? kernelId, CancellationToken cancel = default);
    /// <summary>Deletes the session and shuts its kernel down. False when the kernel was already gone (Jupyter's 410).</summary>
    Task<bool> DeleteAsync(string id);
}

public sealed class SessionManager(IKernelManager kernels) : ISessionManager
{
    private readonly List<KernelSession> _sessions = [];
    private readonly SemaphoreSlim _lock = new(1, 1);

    public IReadOnlyList<KernelSession> List()
    {
        lock (_sessions)
        {
            _sessions.RemoveAll(s => kernels.Get(s.KernelId) == null);
            return _sessions.ToList();
        }
    }

    public KernelSession? Get(string id)
    {
        lock (_sessions) return _sessions.FirstOrDefault(s => s.Id == id);
    }

    private static string KernelEnvName(string cwdPath, string path, string? name) => string.IsNullOrEmpty(name) ? path : System.IO.Path.Combine(cwdPath, name);

    private async Task<Kernel> StartKernelAsync(string path, string? name, string? kernelName, string? kernelId, string? owner, CancellationToken cancel)
    {
        var cwd = (kernels as KernelManager)?.CwdForPath(path) ?? kernels.Options.RootDir;
        var env = new Dictionary<string, string> { ["JPY_SESSION_NAME"] = KernelEnvName(cwd, path, name) };
        kernelName = string.IsNullOrEmpty(kernelName) ? kernels.Specs.DefaultKernelName : kernelName;
        try
        {
            return await kernels.StartAsync(kernelName, path, env, kernelId, owner, cancel);
        }
        catch (NoSuchKernelSpecException e)
        {
            throw new SessionKernelException(
                $"The '{kernelName}' kernel is not available. Please pick another suitable kernel instead, or install that kernel.",
                $"{kernelName} not found", e);
        }
        catch (KernelStartException e)
        {
            throw new SessionKernelException($"The '{kernelName}' kernel could not be started: {e.Message}", $"{kernelName} failed to start", e);
        }
    }

    private static string OwnerMismatch(string kernelId) =>
        $"Kernel {kernelId} cannot serve this session: a private session needs a private kernel of its owner, a shared session a shared kernel";

    public async Task<KernelSession> CreateAsync(string path, string? name, string type, string? kernelName, string? kernelId, string? owner = null, CancellationToken cancel = default)
    {
        await _lock.WaitAsync(cancel);
        try
        {
            var existing = List().FirstOrDefault(s => s.Path == path && s.Owner == owner);
            if (existing != null) return existing;
            var kernel = kernelId != null ? kernels.Get(kernelId) : null;
            // The server checks this against the requester first; here it keeps sessions and kernels consistent.
            if (kernel != null && kernel.Owner != owner) throw new InvalidOperationException(OwnerMismatch(kernel.Id));
            kernel ??= await StartKernelAsync(path, name, kernelName, kernelId, owner, cancel);
            var session = new KernelSession { Id = Guid.NewGuid().ToString(), Path = path, Name = name ?? "", Type = type, KernelId = kernel.Id, Owner = owner };
            lock (_sessions) _sessions.Add(session);
            return session;
        }
        finally { _lock.Release(); }
    }

    public async Task<KernelSession> UpdateAsync(string id, string? path, string? name, string? type, string? kernelName, string? kernelId, CancellationToken cancel = default)
    {
        await _lock.WaitAsync(cancel);
        try
        {
            var session = Get(id) ?? throw new KeyNotFoundException($"Session not found: session_id='{id}'");
            if (kernelId != null && kernelId != session.KernelId)
            {
                if (kernels.Get(kernelId) is not { } kernel) throw new ArgumentException($"No such kernel: {kernelId}");
                if (kernel.Owner != session.Owner) throw new ArgumentException(OwnerMismatch(kernelId));
                session.KernelId = kernelId;
            }
            else if (kernelId == null && kernelName != null)
            {
                var old = session.KernelId;
                var kernel = await StartKernelAsync(path ?? session.Path, name ?? session.Name, kernelName, null, session.Owner, cancel);
                session.KernelId = kernel.Id;
                if (kernels.Get(old) != null) _ = kernels.ShutdownAsync(old).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            if (path != null) session.Path = path;
            if (name != null) session.Name = name;
            if (type != null) session.Type = type;
            return session;
        }
        finally { _lock.Release(); }
    }

    public async Task<bool> DeleteAsync(string id)
    {
        KernelSession session;
        lock (_sessions)
        {
            session = _sessions.FirstOrDefault(s => s.Id == id) ?? throw new KeyNotFoundException($"Session not found: session_id='{id}'");
            _sessions.Remove(session);
        }
        if (kernels.Get(session.KernelId) == null) return false;
        // Other sessions may share the kernel (a console on a notebook's kernel): jupyter_server shuts it down anyway.
        try { await kernels.ShutdownAsync(session.KernelId); }
        catch (KeyNotFoundException) { return false; }
        return true;
    }
}
