namespace JupyterRtc.Server.Http;

/// <summary>
/// Lets go of websocket peers that stopped reading without closing TCP. Once such a connection is being closed, its
/// pending write never completes, and with it neither the close frame nor the request: the connection is cut when its
/// writer completes no write for a whole timeout. A slow reader that keeps reading is left to finish.
/// </summary>
internal static class StallWatchdog
{
    /// <summary>Returns when <paramref name="finished"/> completes, or calls <paramref name="cut"/> once
    /// <paramref name="progress"/> (a count of completed writes) has not moved for <paramref name="timeout"/>.</summary>
    public static async Task WatchAsync(Task finished, Func<long> progress, TimeSpan timeout, Action cut)
    {
        var seen = progress();
        while (true)
        {
            try { await finished.WaitAsync(timeout); return; }
            catch (TimeoutException) { }
            var now = progress();
            if (now != seen) { seen = now; continue; }
            cut();
            return;
        }
    }
}
