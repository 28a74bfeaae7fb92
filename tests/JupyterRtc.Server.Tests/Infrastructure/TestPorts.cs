using System.Net;
using System.Net.Sockets;

namespace JupyterRtc.Server.Tests.Infrastructure;

/// <summary>
/// Ports for the servers a test starts as separate processes (ours, JupyterHub, its proxy), which bind a port given on
/// their command line. They are chosen below the kernel's ephemeral range: a port taken from that range with port 0
/// and released is free for any outgoing connection (another test's client) to be given before the server binds it.
/// </summary>
public static class TestPorts
{
    private const int Lowest = 20000;
    private static int _next = Lowest + Environment.ProcessId % 4000;

    /// <summary>A port that nothing listens on now, outside the ephemeral range, different at each call.</summary>
    public static int Free()
    {
        var end = EphemeralStart();
        for (var tries = 0; tries < end - Lowest; tries++)
        {
            var port = Lowest + (Interlocked.Increment(ref _next) - Lowest) % (end - Lowest);
            var l = new TcpListener(IPAddress.Loopback, port);
            try
            {
                l.Start();
                return port;
            }
            catch (SocketException) { }    // taken: try the next one
            finally { l.Stop(); }
        }
        throw new InvalidOperationException($"No free port between {Lowest} and {end}");
    }

    /// <summary>The first port of the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range, 32768 by default).</summary>
    private static int EphemeralStart()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (int.TryParse(text[0], out var low) && low > Lowest + 1000) return low;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 32768;
    }
}
