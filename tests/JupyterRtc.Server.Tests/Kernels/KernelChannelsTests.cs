using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using JupyterRtc.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>The kernel websocket against Debian's ipykernel, in both protocols.</summary>
// Kernel-starting tests run one class at a time: several ipykernels starting at once on 2 cores can exceed the start timeout.
[Collection("kernels")]
public class KernelChannelsTests
{
    private static async Task<(TestServer Server, string KernelId)> Start()
    {
        var server = await TestServer.StartAsync();
        var model = await KernelsApiTests.StartKernel(server);
        return (server, (string)model["id"]!);
    }

    private static JupyterRtc.Kernels.IKernelManager Kernels(TestServer s) => s.Host.App.Services.GetRequiredService<JupyterRtc.Kernels.IKernelManager>();

    private static string Text(IEnumerable<WsMsg> iopub) =>
        string.Concat(iopub.Where(m => m.MsgType == "stream").Select(m => (string)m.Content["text"]!));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Execute_Stream_DisplayData_Error(bool v1)
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, v1);
        var info = await ws.Send("shell", "kernel_info_request", new JsonObject());
        var reply = await ws.WaitFor(m => m.ParentId == info && m.MsgType == "kernel_info_reply");
        Assert.Equal("shell", reply.Channel);
        Assert.Equal("python", (string?)reply.Content["language_info"]!["name"]);

        var (iopub, r) = await ws.Run("print('hello'); print('world')");
        Assert.Equal("ok", (string?)r.Content["status"]);
        Assert.Equal("execute_reply", r.MsgType);
        Assert.Equal("hello\nworld\n", Text(iopub));
        Assert.Contains(iopub, m => m.MsgType == "execute_input");

        (iopub, _) = await ws.Run("from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\n6*7");
        Assert.Equal("<b>x</b>", (string?)iopub.Single(m => m.MsgType == "display_data").Content["data"]!["text/html"]);
        Assert.Equal("42", (string?)iopub.Single(m => m.MsgType == "execute_result").Content["data"]!["text/plain"]);

        (iopub, r) = await ws.Run("raise ValueError('boom')");
        Assert.Equal("error", (string?)r.Content["status"]);
        var err = iopub.Single(m => m.MsgType == "error");
        Assert.Equal("ValueError", (string?)err.Content["ename"]);
        Assert.Equal("boom", (string?)err.Content["evalue"]);
        // Headers pass through untouched: the kernel's session, the client's msg_id as parent.
        Assert.All(ws.Received, m => Assert.Equal("5.3", (string?)m.Header["version"]));
    }

    private const string EchoComm = """
        def _echo_target(comm, msg):
            @comm.on_msg
            def _reply(m):
                comm.send(data={'echo': m['content']['data']}, buffers=[bytes(b)[::-1] for b in m['buffers']])
        get_ipython().kernel.comm_manager.register_target('echo', _echo_target)
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Comm_WithBinaryBuffers_RoundTrips(bool v1)
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, v1);
        var (_, r) = await ws.Run(EchoComm);
        Assert.Equal("ok", (string?)r.Content["status"]);
        var commId = Guid.NewGuid().ToString("N");
        await ws.Send("shell", "comm_open", new JsonObject { ["comm_id"] = commId, ["target_name"] = "echo", ["data"] = new JsonObject() });
        byte[] big = new byte[300_000];
        Random.Shared.NextBytes(big);
        byte[] small = [0, 1, 2, 255, 0];
        await ws.Send("shell", "comm_msg", new JsonObject { ["comm_id"] = commId, ["data"] = new JsonObject { ["x"] = 1 } }, [small, big]);
        var echo = await ws.WaitFor(m => m.MsgType == "comm_msg" && m.Channel == "iopub" && (string?)m.Content["comm_id"] == commId);
        Assert.Equal(1, (int)echo.Content["data"]!["echo"]!["x"]!);
        Assert.Equal(2, echo.Buffers.Count);
        Assert.Equal(small.Reverse().ToArray(), echo.Buffers[0]);
        Assert.Equal(big.Reverse().ToArray(), echo.Buffers[1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Input_AnsweredThroughStdin(bool v1)
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, v1);
        var exec = await ws.Execute("name = input('who? ')\nprint('hi ' + name)");
        var request = await ws.WaitFor(m => m.MsgType == "input_request");
        Assert.Equal("stdin", request.Channel);
        Assert.Equal("who? ", (string?)request.Content["prompt"]);
        await ws.Send("stdin", "input_reply", new JsonObject { ["value"] = "Ada" }, parent: request.Header);
        await ws.WaitFor(m => m.Channel == "shell" && m.ParentId == exec);
        await ws.WaitFor(m => m.MsgType == "stream" && ((string?)m.Content["text"] ?? "").Contains("hi Ada"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Interrupt_Sleep_ThenRestart(bool v1)
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, v1);
        var exec = await ws.Execute("import time\nprint('sleeping', flush=True)\ntime.sleep(100)");
        await ws.WaitFor(m => m.MsgType == "stream" && m.ParentId == exec);
        WsMsg? reply = null;
        for (var attempt = 0; attempt < 10 && reply == null; attempt++)
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, (await server.Client.PostAsync($"api/kernels/{id}/interrupt", null)).StatusCode);
            try { reply = await ws.WaitFor(m => m.Channel == "shell" && m.ParentId == exec, 5); }
            catch (TimeoutException) { }
        }
        Assert.NotNull(reply);
        Assert.Equal("KeyboardInterrupt", (string?)reply.Content["ename"]);

        await ws.Run("x = 1");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.PostAsync($"api/kernels/{id}/restart", null)).StatusCode);
        // The client reconnects after a restart, as JupyterLab does; the old state is gone.
        await using var ws2 = await KernelWsClient.ConnectAsync(server, id, v1, ws.Session);
        var (_, r) = await ws2.Run("x");
        Assert.Equal("NameError", (string?)r.Content["ename"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Kill9_ReportedAsRestarting_AndKernelComesBack(bool v1)
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, v1);
        await ws.Run("1");
        var pid = Kernels(server).Get(id)!.Pid!.Value;
        Process.GetProcessById(pid).Kill();
        var status = await ws.WaitFor(m => m.MsgType == "status" && (string?)m.Content["execution_state"] == "restarting");
        Assert.Equal("iopub", status.Channel);
        foreach (var key in new[] { "msg_id", "msg_type", "username", "session", "version", "date" }) Assert.NotNull((string?)status.Header[key]);
        for (var i = 0; i < 600 && Kernels(server).Get(id)!.ExecutionState != "idle"; i++) await Task.Delay(100);
        Assert.NotEqual(pid, Kernels(server).Get(id)!.Pid);
        var (iopub, r) = await ws.Run("print('back')");
        Assert.Equal("back\n", Text(iopub));
    }

    [Fact]
    public async Task Shutdown_LeavesNoProcess_AndClosesSockets()
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var ws = await KernelWsClient.ConnectAsync(server, id, true);
        await ws.Run("1");
        var pid = Kernels(server).Get(id)!.Pid!.Value;
        var connFile = Kernels(server).Get(id)!.ConnectionFile;
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"api/kernels/{id}")).StatusCode);
        Assert.True(KernelsApiTests.ProcessGone(pid));
        Assert.False(File.Exists(connFile));
        for (var i = 0; i < 100 && ws.Socket.State == WebSocketState.Open; i++) await Task.Delay(100);
        Assert.NotEqual(WebSocketState.Open, ws.Socket.State);
        for (var i = 0; i < 100 && ws.CloseStatus == null; i++) await Task.Delay(50);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        Assert.Empty(Directory.GetFiles(server.RuntimeDir, "kernel-*.json"));
    }

    [Fact]
    public async Task ServerStop_ClosesWebsockets1001_AndShutsDownKernels()
    {
        var (server, id) = await Start();
        var ws = await KernelWsClient.ConnectAsync(server, id, false);
        await ws.Run("1");
        var pid = Kernels(server).Get(id)!.Pid!.Value;
        await server.DisposeAsync();
        for (var i = 0; i < 100 && ws.CloseStatus == null; i++) await Task.Delay(50);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, ws.CloseStatus);
        Assert.True(KernelsApiTests.ProcessGone(pid));
        await ws.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reconnect_WithSessionId_ReceivesMissedOutput(bool v1)
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        var ws = await KernelWsClient.ConnectAsync(server, id, v1);
        await ws.Run("1");
        var exec = await ws.Execute("import time\ntime.sleep(5)\nprint('late')");
        await ws.WaitFor(m => m.MsgType == "status" && m.ParentId == exec && (string?)m.Content["execution_state"] == "busy");
        await ws.DisposeAsync();
        for (var i = 0; i < 600 && Kernels(server).Get(id)!.Connections > 0; i++) await Task.Delay(50);
        Assert.Equal(0, Kernels(server).Get(id)!.Connections);      // gone before 'late' is printed
        // The cell ends while nobody is connected: what it said can only come back from the session's buffer.
        for (var i = 0; i < 600 && Kernels(server).Get(id)!.ExecutionState != "idle"; i++) await Task.Delay(50);
        Assert.Equal("idle", Kernels(server).Get(id)!.ExecutionState);
        await using var again = await KernelWsClient.ConnectAsync(server, id, v1, ws.Session);
        await again.WaitFor(m => m.MsgType == "stream" && (string?)m.Content["text"] == "late\n");
        await again.WaitFor(m => m.Channel == "shell" && m.ParentId == exec);
        await again.WaitFor(m => m.MsgType == "status" && m.ParentId == exec && (string?)m.Content["execution_state"] == "idle");
        // A different session gets nothing of it.
        await using var other = await KernelWsClient.ConnectAsync(server, id, v1);
        await other.Run("2");
        Assert.DoesNotContain(other.Received, m => m.ParentId == exec);
    }

    [Fact]
    public async Task ManyConnections_IopubToAll_RepliesToTheAsker_MixedProtocols()
    {
        var (server, id) = await Start();
        await using var serverScope = server;
        await using var a = await KernelWsClient.ConnectAsync(server, id, true);
        await using var b = await KernelWsClient.ConnectAsync(server, id, false);
        await using var c = await KernelWsClient.ConnectAsync(server, id, true);
        var model = await (await server.Client.GetAsync($"api/kernels/{id}")).ReadObject();
        Assert.Equal(3, (int)model["connections"]!);
        var (_, reply) = await a.Run("print('shared')");
        foreach (var other in new[] { b, c })
        {
            await other.WaitFor(m => m.MsgType == "stream" && (string?)m.Content["text"] == "shared\n");
            Assert.DoesNotContain(other.Received, m => m.Channel == "shell" && m.ParentId == reply.ParentId);
        }
        // stdin goes only to the connection that asked.
        var exec = await b.Execute("v = input('?')");
        var req = await b.WaitFor(m => m.MsgType == "input_request");
        await b.Send("stdin", "input_reply", new JsonObject { ["value"] = "1" }, parent: req.Header);
        await b.WaitFor(m => m.Channel == "shell" && m.ParentId == exec);
        Assert.DoesNotContain(a.Received, m => m.MsgType == "input_request");
        Assert.DoesNotContain(c.Received, m => m.MsgType == "input_request");
    }
}
