namespace JupyterRtc.Kernels;

public enum KernelLogLevel { Debug, Information, Warning, Error }

/// <summary>Where the library writes its log lines (the server adapts this to its ILogger; tests collect them).</summary>
public delegate void KernelLog(KernelLogLevel level, string message);

public static class KernelLogs
{
    public static readonly KernelLog None = (_, _) => { };
}
