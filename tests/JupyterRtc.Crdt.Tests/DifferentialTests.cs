using Xunit.Abstractions;

namespace JupyterRtc.Crdt.Tests;

/// <summary>
/// Random sessions played by this library and by npm yjs (fixed seeds). A failing seed is printed; replay it with
/// CRDT_SOAK_SEED=&lt;seed&gt;. The long soak with random seeds: CRDT_SOAK=&lt;sessions&gt; (see docs/crdt.md).
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 24).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SessionMatchesYjs(int seed)
    {
        var session = new DiffSession(seed);
        var failure = session.Run(60);
        Assert.True(failure is null, failure);
        output.WriteLine($"events observed: {session.EventCount}");
    }

    [Fact]
    public void Soak()
    {
        var sessions = int.TryParse(Environment.GetEnvironmentVariable("CRDT_SOAK"), out var n) ? n : 0;
        var fixedSeed = int.TryParse(Environment.GetEnvironmentVariable("CRDT_SOAK_SEED"), out var s) ? s : (int?)null;
        if (fixedSeed is { } fs) sessions = Math.Max(sessions, 1);
        var steps = int.TryParse(Environment.GetEnvironmentVariable("CRDT_SOAK_STEPS"), out var st) ? st : 150;
        for (var i = 0; i < sessions; i++)
        {
            var seed = fixedSeed ?? Random.Shared.Next();
            var failure = new DiffSession(seed).Run(steps);
            output.WriteLine($"seed {seed}: {(failure is null ? "ok" : "FAILED")}");
            Assert.True(failure is null, $"replay with CRDT_SOAK_SEED={seed} CRDT_SOAK_STEPS={steps}: {failure}");
        }
    }
}
