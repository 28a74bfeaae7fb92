namespace JupyterRtc.Server.Http;

/// <summary>
/// When the server started and when it was last used, for <c>/api/status</c> and idle culling (JupyterHub reads the
/// same notion). Other resources add their own counters and activity through the delegates.
/// </summary>
public sealed class ServerActivity
{
    private long _lastApiTicks = DateTime.UtcNow.Ticks;

    public DateTime Started { get; } = DateTime.UtcNow;
    public DateTime LastApiActivity => new(Interlocked.Read(ref _lastApiTicks), DateTimeKind.Utc);

    public Func<int> KernelCount { get; set; } = () => 0;
    public Func<int> ConnectionCount { get; set; } = () => 0;
    public Func<DateTime?> LastKernelActivity { get; set; } = () => null;

    public void TouchApi() => Interlocked.Exchange(ref _lastApiTicks, DateTime.UtcNow.Ticks);

    public DateTime LastActivity
    {
        get
        {
            var last = LastApiActivity > Started ? LastApiActivity : Started;
            return LastKernelActivity() is { } k && k > last ? k : last;
        }
    }
}
