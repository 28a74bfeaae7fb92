using System.Net;
using System.Net.WebSockets;
using System.Text;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Lab;

/// <summary>The lab's event stream carries kernel actions (kernel_actions/v1): start and shutdown of a real kernel.</summary>
// Starts kernels: one kernel-starting class at a time (see KernelsApiTests).
[Collection("kernels")]
public sealed class KernelEventsTests
{
    [Fact]
    public async Task Kernel_start_and_shutdown_reach_event_subscribers()
    {
        if (!File.Exists("/usr/share/jupyter/kernels/python3/kernel.json")) return;   // needs Debian's python3-ipykernel
        await using var server = await TestServer.StartAsync();
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new UriBuilder(new Uri(server.BaseAddress, "api/events/subscribe?token=" + TestServer.Token)) { Scheme = "ws" }.Uri, CancellationToken.None);
        // A private kernel's life is not told on the shared bus: the first kernel event is the shared kernel's.
        var hidden = await server.Client.PostAsync("api/kernels", TestHttp.Json(new { name = "python3", @private = true }));
        Assert.Equal(HttpStatusCode.Created, hidden.StatusCode);
        var started = await server.Client.PostAsync("api/kernels", TestHttp.Json(new { name = "python3" }));
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var id = (string)(await started.ReadObject())["id"]!;
        var start = await NextKernelEvent(ws);
        Assert.Equal("start", (string?)start["action"]);
        Assert.Equal(id, (string?)start["kernel_id"]);
        Assert.Equal("success", (string?)start["status"]);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"api/kernels/{id}")).StatusCode);
        var stop = await NextKernelEvent(ws);
        Assert.Equal("shutdown", (string?)stop["action"]);
        Assert.Equal(id, (string?)stop["kernel_id"]);
    }

    private static async Task<JObject> NextKernelEvent(ClientWebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[65536];
        for (;;)
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            var o = JObject.Parse(Encoding.UTF8.GetString(buffer, 0, r.Count));
            if ((string?)o["schema_id"] == "https://events.jupyter.org/jupyter_server/kernel_actions/v1") return o;
        }
    }
}
