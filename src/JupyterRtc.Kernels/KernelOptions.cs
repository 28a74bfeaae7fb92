namespace JupyterRtc.Kernels;

/// <summary>Settings of kernel management (jupyter_client's KernelManager/KernelRestarter, jupyter_server's MappingKernelManager).</summary>
public sealed class KernelOptions
{
    /// <summary>Where connection files are written (<c>kernel-&lt;id&gt;.json</c>).</summary>
    public string RuntimeDir { get; set; } = Path.Combine(Path.GetTempPath(), "jupyter-rtc-runtime");
    /// <summary>API paths are relative to this; a kernel's cwd is resolved inside it.</summary>
    public string RootDir { get; set; } = Directory.GetCurrentDirectory();
    public string DefaultKernelName { get; set; } = "python3";
    /// <summary>KernelManager.shutdown_wait_time: how long a kernel may take to exit after shutdown_request before it is killed.</summary>
    public TimeSpan ShutdownWaitTime { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>MappingKernelManager.kernel_info_timeout: how long a starting kernel may take to answer kernel_info.</summary>
    public TimeSpan KernelInfoTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>KernelManager.autorestart: restart a kernel whose process died unexpectedly.</summary>
    public bool Autorestart { get; set; } = true;
    /// <summary>KernelRestarter.restart_limit: consecutive automatic restarts before the kernel is declared dead.</summary>
    public int RestartLimit { get; set; } = 5;
    /// <summary>KernelRestarter.stable_start_time: a kernel up this long resets the restart count.</summary>
    public TimeSpan StableStartTime { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>MappingKernelManager.cull_idle_timeout; zero: no culling.</summary>
    public TimeSpan CullIdleTimeout { get; set; } = TimeSpan.Zero;
    public TimeSpan CullInterval { get; set; } = TimeSpan.FromSeconds(300);
    public bool CullConnected { get; set; }
    public bool CullBusy { get; set; }
    /// <summary>Variables added to every kernel's environment (after the server's own and before the spec's).</summary>
    public Dictionary<string, string> ExtraEnv { get; set; } = new() { ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1" };
}
