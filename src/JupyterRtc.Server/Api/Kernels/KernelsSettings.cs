using JupyterRtc.Kernels;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Api.Kernels;

/// <summary>Kernel settings from configuration (<c>--Class.trait=value</c> → <c>Class:trait</c>), with Jupyter's names.</summary>
public static class KernelsSettings
{
    private static TimeSpan Seconds(string? v, double dflt, string name) => ServerAppOptions.Seconds(v, TimeSpan.FromSeconds(dflt), name);

    public static KernelOptions KernelOptions(IConfiguration c, ServerAppOptions server)
    {
        var mkm = c.GetSection("MappingKernelManager");
        var km = c.GetSection("KernelManager");
        var o = new KernelOptions
        {
            RuntimeDir = server.RuntimeDir,
            RootDir = mkm["root_dir"] ?? server.RootDir,
            DefaultKernelName = mkm["default_kernel_name"] ?? "python3",
            ShutdownWaitTime = Seconds(km["shutdown_wait_time"], 5, "KernelManager.shutdown_wait_time"),
            KernelInfoTimeout = Seconds(mkm["kernel_info_timeout"], 60, "MappingKernelManager.kernel_info_timeout"),
            Autorestart = ServerAppOptions.Bool(km["autorestart"], true),
            RestartLimit = ServerAppOptions.Int(c["KernelRestarter:restart_limit"], 5, "KernelRestarter.restart_limit"),
            StableStartTime = Seconds(c["KernelRestarter:stable_start_time"], 10, "KernelRestarter.stable_start_time"),
            CullIdleTimeout = Seconds(mkm["cull_idle_timeout"], 0, "MappingKernelManager.cull_idle_timeout"),
            CullInterval = Seconds(mkm["cull_interval"], 300, "MappingKernelManager.cull_interval"),
            CullConnected = ServerAppOptions.Bool(mkm["cull_connected"], false),
            CullBusy = ServerAppOptions.Bool(mkm["cull_busy"], false),
        };
        return o;
    }

    public static KernelRelayOptions RelayOptions(IConfiguration c) => new()
    {
        MaxMessageSize = ServerAppOptions.Int64(c["JupyterRtc:kernel_ws_max_message_size"], 64L * 1024 * 1024, "JupyterRtc.kernel_ws_max_message_size"),
        SendQueueLimit = ServerAppOptions.Int64(c["JupyterRtc:kernel_ws_send_queue_limit"], 256L * 1024 * 1024, "JupyterRtc.kernel_ws_send_queue_limit"),
        BufferOfflineMessages = ServerAppOptions.Bool(c["MappingKernelManager:buffer_offline_messages"], true),
        BufferLimit = ServerAppOptions.Int(c["JupyterRtc:kernel_ws_buffer_limit"], 100_000, "JupyterRtc.kernel_ws_buffer_limit"),
        AllowV1 = c["ServerApp:kernel_ws_protocol"] is not "" and not "None",
    };

    /// <summary>jupyter_path(): JUPYTER_PATH, the data dir (JUPYTER_DATA_DIR or the server's setting), then the system dirs.</summary>
    public static IReadOnlyList<string> DataPath(ServerAppOptions server)
    {
        var list = new List<string>();
        if (Environment.GetEnvironmentVariable("JUPYTER_PATH") is { Length: > 0 } extra)
            list.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        list.Add(server.DataDir);
        list.AddRange(JupyterPaths.DataPath);
        return list.Distinct().ToList();
    }

    public static IEnumerable<string>? AllowedKernelspecs(IConfiguration c)
    {
        var section = c.GetSection("KernelSpecManager:allowed_kernelspecs");
        var items = section.GetChildren().Select(x => x.Value).OfType<string>().ToList();
        if (items.Count == 0 && section.Value is { Length: > 0 } v) items = v.Trim('[', ']').Split(',').Select(s => s.Trim().Trim('\'', '"')).Where(s => s.Length > 0).ToList();
        return items.Count > 0 ? items : null;
    }
}
