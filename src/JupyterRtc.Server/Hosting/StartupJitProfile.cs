using System.Runtime;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// The runtime's multi-core JIT (<see cref="ProfileOptimization"/>) for the server's start: each run records which
/// methods it had to JIT (ReadyToRun code cannot hold the framework's generics instantiated over other assemblies'
/// types, ~1,000 methods to the first response) and the next run compiles them on a second core while the first one
/// starts the host, as Python reuses its bytecode cache. Measured: ~50 ms (a fifth) less from process start to the
/// first 200 on <c>/api/status</c> (docs/benchmarks.md, contents). The profile lives in the user's cache directory
/// (<c>$XDG_CACHE_HOME/jupyter-rtc</c>, else <c>~/.cache/jupyter-rtc</c>); the runtime ignores a profile written by
/// another build or one it cannot read, and rewrites it when the process ends.
/// </summary>
public static class StartupJitProfile
{
    public static void Start()
    {
        try
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : home.Length > 0 ? Path.Combine(home, ".cache") : "";
            // No home (a service without HOME): no profile, rather than a .cache directory in the working directory.
            if (!Path.IsPathRooted(cache)) return;
            var dir = Path.Combine(cache, "jupyter-rtc");
            Directory.CreateDirectory(dir);
            ProfileOptimization.SetProfileRoot(dir);
            ProfileOptimization.StartProfile("startup.jitprofile");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No writable cache (a read-only home): start without the profile, only slower.
        }
    }
}
