namespace JupyterRtc.Server.Tests.Infrastructure;

/// <summary>Waiting for what the server does in the background (a log line, a hub call): polls, never sleeps a guess.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="message"/> after
    /// <paramref name="seconds"/> (generous: a loaded CI machine is slow, and a passing test does not wait it out).</summary>
    public static async Task True(Func<bool> condition, string message, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(condition(), message);
    }
}
