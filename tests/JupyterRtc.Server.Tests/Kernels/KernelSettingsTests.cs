using System.Diagnostics;
using System.Net;
using JupyterRtc.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>Kernel settings given on the command line take effect: culling, restart limit.</summary>
// Kernel-starting tests run one class at a time: several ipykernels starting at once on 2 cores can exceed the start timeout.
[Collection("kernels")]
public class KernelSettingsTests
{
    [Fact]
    public async Task CullIdleTimeout_ShutsDownIdleKernel_AndItsSession()
    {
        await using var server = await TestServer.StartAsync("--MappingKernelManager.cull_idle_timeout=1", "--MappingKernelManager.cull_interval=1");
        var created = await server.Client.PostAsync("api/sessions", TestHttp.Json(new { path = "a.ipynb", type = "notebook" }));
        Assert.True(created.IsSuccessStatusCode, $"session not created: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}\n{server.Console}");
        var session = await created.ReadObject();
        var kernelId = (string)session["kernel"]!["id"]!;
        for (var i = 0; i < 300 && (await server.Client.GetAsync($"api/kernels/{kernelId}")).StatusCode == HttpStatusCode.OK; i++) await Task.Delay(100);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync($"api/kernels/{kernelId}")).StatusCode);
        Assert.Empty((JArray)await (await server.Client.GetAsync("api/sessions")).ReadJson());
        Assert.Contains("Culling 'idle' kernel 'python3'", server.Console.ToString());
    }

    [Fact]
    public async Task RestartLimitReached_ClientsToldDead_KernelRemoved()
    {
        await using var server = await TestServer.StartAsync("--KernelRestarter.restart_limit=0");
        var id = (string)(await KernelsApiTests.StartKernel(server))["id"]!;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, true);
        await ws.Run("1");
        var kernels = server.Host.App.Services.GetRequiredService<JupyterRtc.Kernels.IKernelManager>();
        Process.GetProcessById(kernels.Get(id)!.Pid!.Value).Kill();
        WsMsg dead;
        try { dead = await ws.WaitFor(m => m.MsgType == "status" && (string?)m.Content["execution_state"] == "dead"); }
        catch (Exception e) { throw new Exception(e.Message + "\nserver log:\n" + server.Console, e); }
        Assert.Equal("iopub", dead.Channel);
        for (var i = 0; i < 100 && (await server.Client.GetAsync($"api/kernels/{id}")).StatusCode == HttpStatusCode.OK; i++) await Task.Delay(100);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync($"api/kernels/{id}")).StatusCode);
        Assert.Contains("it is dead", server.Console.ToString());
    }
}
