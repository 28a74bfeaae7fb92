using JupyterRtc.Kernels;

namespace JupyterRtc.Kernels.Tests;

/// <summary>How many kernel clients one process holds, and clients disposed as soon as they are made (no kernel needed:
/// a client connects to ports nothing listens on).</summary>
public class KernelClientCapacityTests
{
    [Fact]
    public void A_process_holds_more_than_68_kernel_clients_at_once()
    {
        // NetMQ's default socket limit allowed 68 (about fifteen sockets each): the 69th kernel failed to start.
        var clients = new List<KernelClient>();
        try
        {
            for (var i = 0; i < 120; i++) clients.Add(new KernelClient(ConnectionInfo.CreateNew("capacity")));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        Assert.Equal(120, clients.Count);
    }

    [Fact]
    public void A_client_disposed_at_once_leaves_cleanly()
    {
        for (var i = 0; i < 300; i++) new KernelClient(ConnectionInfo.CreateNew("churn")).Dispose();
    }
}
