using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>A kernel websocket client that stops reading: it is let go, and the kernel and its other clients carry on.</summary>
[Collection("kernels")]
public class KernelSlowClientTests
{
    [Fact]
    public async Task A_client_that_stops_reading_is_cut_off_and_the_kernel_carries_on()
    {
        // 150 MB of output for a client that reads nothing, at ~25 MB/s so that the server keeps up until the loopback
        // socket buffers are full (up to ~36 MB with this machine's tcp_rmem/tcp_wmem): only then does the 16 MB queue
        // fill, and its overflow finds a write blocked for good. (Faster output overflowed the queue while the buffers
        // still had room, and the close frame went through.)
        await using var server = await TestServer.StartAsync("--JupyterRtc.kernel_ws_send_queue_limit=16000000");
        var id = (string)(await KernelsApiTests.StartKernel(server))["id"]!;
        await using var stalled = await KernelWsClient.ConnectAsync(server, id, v1: true, receive: false);
        await stalled.Execute("import time\nfor i in range(150):\n    print('x' * 1_000_000)\n    time.sleep(0.04)");

        await Eventually.True(() => server.Console.ToString().Contains("bytes waiting for a slow client"), "timed out waiting for the queue limit to be hit");
        // Its socket stays open and full: the server cannot send it a close frame, so it must cut the connection ("has
        // read nothing for 5 s while being closed; cutting it") rather than hold it (and its request) for ever. On a
        // machine whose socket buffers are larger or whose server falls behind sooner, the queue overflows while the
        // close frame still fits, and the connection ends 5 s later when the client does not answer it: either way it
        // must end.
        await Eventually.True(() => server.Console.ToString().Contains($"Websocket of kernel {id} (session {stalled.Session}) closed"),
            "timed out waiting for the stalled websocket to be closed");

        await using var other = await KernelWsClient.ConnectAsync(server, id, v1: true);
        var (_, reply) = await other.Run("1+1");
        Assert.Equal("ok", (string?)reply.Content["status"]);
    }
}
