using Xunit.Abstractions;

namespace JupyterRtc.Crdt.Tests;

public class DebugTests(ITestOutputHelper output)
{
    [Fact]
    public void Seed()
    {
        var s = new DiffSession(22);
        output.WriteLine(s.RunDebug(60, 34));
    }
}
