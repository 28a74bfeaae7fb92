using System.Runtime.InteropServices;

namespace JupyterRtc.Kernels;

internal static class Native
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public static bool Signal(int pid, int signal) => !OperatingSystem.IsWindows() && Kill(pid, signal) == 0;
}
