using System.Diagnostics;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// Gives the memory the garbage collector holds but does not use back to the operating system once the server has
/// gone quiet (<c>JupyterRtc.memory_trim_after</c>, 5 s). .NET keeps the heap it grew to, and its next allocation
/// budget, committed for as long as the process runs; Node's V8 shrinks an idle heap by itself, .NET does not. A
/// single-user server under JupyterHub sits idle most of its life with whatever a busy moment left behind, and that
/// is what the operator pays for: 1,000 idle rooms hold ~40 KB each before a trim and ~31 KB after
/// (docs/benchmarks.md, rooms).
/// <para>
/// Quiet means no collection for that long: a process whose allocations fill the next budget is not idle, and a trim
/// (one blocking, compacting, full collection) then would only cost a pause. A trim follows at least one ordinary
/// collection since the last trim, so an idle server trims once and then stays idle; and at most one per
/// <see cref="MinimumSpacing"/>, because a large heap's full collection is a pause of its own that a room or a
/// kernel's outputs would wait for.
/// </para>
/// </summary>
public sealed class IdleMemoryTrim(IdleMemoryTrim.Policy policy, ILogger<IdleMemoryTrim> log) : BackgroundService
{
    public static readonly TimeSpan DefaultQuietTime = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MinimumSpacing = TimeSpan.FromSeconds(60);

    /// <summary>When to trim, from the collection count and the time: pure, so its corner cases have a unit test.</summary>
    public sealed class Policy(TimeSpan quietTime, TimeSpan minimumSpacing)
    {
        public TimeSpan QuietTime { get; } = quietTime;
        private int _lastCount = -1;
        private TimeSpan _countSince;            // when the collection count last changed
        private int _countAfterTrim = -1;        // the count right after our own trim; -1 before any trim
        private TimeSpan? _lastTrim;

        /// <summary>Whether to trim now, given how many collections have run and the time (any monotonic clock).</summary>
        public bool ShouldTrim(int collections, TimeSpan now)
        {
            if (collections != _lastCount)
            {
                _lastCount = collections;
                _countSince = now;
                return false;
            }
            if (now - _countSince < QuietTime) return false;                  // not quiet long enough
            if (collections == _countAfterTrim) return false;                 // nothing ran since our own trim
            if (_lastTrim is { } last && now - last < minimumSpacing) return false;
            return true;
        }

        /// <summary>Records a trim that has just run, and the collection count it left.</summary>
        public void Trimmed(int collectionsAfter, TimeSpan now)
        {
            _countAfterTrim = collectionsAfter;
            _lastCount = collectionsAfter;
            _countSince = now;
            _lastTrim = now;
        }
    }

    /// <summary>Polled once a second: a trim comes between one and two seconds after the quiet time is reached.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The heap is the process's: one trim loop per process, however many servers it hosts (tests host several).</summary>
    private static int _running;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) return;
        try { await TrimWhenQuietAsync(stopping); }
        finally { Volatile.Write(ref _running, 0); }
    }

    private async Task TrimWhenQuietAsync(CancellationToken stopping)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (!policy.ShouldTrim(GC.CollectionCount(0), clock.Elapsed)) continue;
                var before = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes;
                var started = clock.Elapsed;
                // Aggressive: compacts everything and decommits what the heap does not use, the next budget included.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                var after = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes;
                policy.Trimmed(GC.CollectionCount(0), clock.Elapsed);
                log.LogDebug("Quiet for {Quiet} s: returned {Freed} MB of unused heap ({Before} -> {After} MB committed) in {Pause} ms",
                    policy.QuietTime.TotalSeconds, (before - after) >> 20, before >> 20, after >> 20,
                    (int)(clock.Elapsed - started).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Registers the trim unless <c>JupyterRtc.memory_trim_after</c> is <c>None</c> or 0.</summary>
    public static void Add(IServiceCollection services, IConfiguration config)
    {
        var quiet = ServerAppOptions.OptionalSeconds(config["JupyterRtc:memory_trim_after"], DefaultQuietTime, "JupyterRtc.memory_trim_after");
        if (quiet is not { } q || q <= TimeSpan.Zero) return;
        services.AddSingleton(new Policy(q, MinimumSpacing));
        services.AddHostedService<IdleMemoryTrim>();
    }
}
