using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>Bad input on the kernel websocket is refused with a log line; the kernel and the other connections carry on.</summary>
// Kernel-starting tests run one class at a time: several ipykernels starting at once on 2 cores can exceed the start timeout.
[Collection("kernels")]
public class KernelBadInputTests
{
    private static async Task<bool> StillWorks(KernelWsClient ws)
    {
        var (_, reply) = await ws.Run("1+1");
        return (string?)reply.Content["status"] == "ok";
    }

    [Fact]
    public async Task MalformedFrames_AreRefused_ConnectionCarriesOn()
    {
        await using var server = await TestServer.StartAsync();
        var id = (string)(await KernelsApiTests.StartKernel(server))["id"]!;
        await using var v1 = await KernelWsClient.ConnectAsync(server, id, true);
        await using var legacy = await KernelWsClient.ConnectAsync(server, id, false);
        var header = v1.Header("execute_request");
        var content = KernelWsClient.ExecuteContent("print('x')");

        // v1: too short, impossible offset count, offsets beyond the frame, unknown channels, a text frame.
        await v1.SendRaw([1, 2, 3], WebSocketMessageType.Binary);
        await v1.SendRaw(BitConverter.GetBytes((ulong)1_000_000), WebSocketMessageType.Binary);
        var good = KernelWsClient.EncodeV1("shell", header, new JsonObject(), content, []).Data;
        var corrupt = (byte[])good.Clone();
        BitConverter.GetBytes((ulong)good.Length + 100).CopyTo(corrupt, 16);
        await v1.SendRaw(corrupt, WebSocketMessageType.Binary);
        await v1.SendRaw(KernelWsClient.EncodeV1("iopub", header, new JsonObject(), content, []).Data, WebSocketMessageType.Binary);
        await v1.SendRaw(KernelWsClient.EncodeV1("nope", header, new JsonObject(), content, []).Data, WebSocketMessageType.Binary);
        await v1.SendRaw(KernelWsClient.EncodeV1("shell", new JsonObject { ["msg_id"] = "no-type" }, new JsonObject(), content, []).Data, WebSocketMessageType.Binary);
        await v1.SendRaw("{\"header\": {}}"u8.ToArray(), WebSocketMessageType.Text);

        // Legacy: not JSON, not an object, no header, unknown channel, a bad binary frame.
        await legacy.SendRaw("{not json"u8.ToArray(), WebSocketMessageType.Text);
        await legacy.SendRaw("[1,2]"u8.ToArray(), WebSocketMessageType.Text);
        await legacy.SendRaw("{\"content\": {}}"u8.ToArray(), WebSocketMessageType.Text);
        await legacy.SendRaw(Encoding.UTF8.GetBytes(new JsonObject { ["header"] = legacy.Header("execute_request"), ["channel"] = "bogus", ["content"] = content.DeepClone() }.ToJsonString()), WebSocketMessageType.Text);
        await legacy.SendRaw([0, 0, 0, 9, 0, 0], WebSocketMessageType.Binary);

        Assert.True(await StillWorks(v1));
        Assert.True(await StillWorks(legacy));
        Assert.Equal(WebSocketState.Open, v1.Socket.State);
        Assert.DoesNotContain(v1.Received, m => m.MsgType == "stream" && (string?)m.Content["text"] == "x\n");
        var log = server.Console.ToString();
        Assert.Contains("Refused a message from websocket of kernel", log);
        Assert.Contains("unknown channel 'nope'", log);
        Assert.Contains("unknown channel 'iopub'", log);
        Assert.Contains("unknown channel 'bogus'", log);
        Assert.Contains("malformed JSON message", log);
        Assert.Contains("header without msg_type", log);
        Assert.Contains("text frame in the v1 protocol", log);
    }

    [Fact]
    public async Task HugeMessage_ClosesOnlyThatConnection()
    {
        await using var server = await TestServer.StartAsync("--JupyterRtc.kernel_ws_max_message_size=200000");
        var id = (string)(await KernelsApiTests.StartKernel(server))["id"]!;
        await using var bystander = await KernelWsClient.ConnectAsync(server, id, true);
        await using var big = await KernelWsClient.ConnectAsync(server, id, true);
        await big.Send("shell", "execute_request", KernelWsClient.ExecuteContent("x = '" + new string('a', 300_000) + "'"));
        for (var i = 0; i < 100 && big.Socket.State == WebSocketState.Open; i++) await Task.Delay(100);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, big.CloseStatus);
        Assert.Contains("message larger than 200000 bytes (JupyterRtc.kernel_ws_max_message_size)", server.Console.ToString());
        Assert.True(await StillWorks(bystander));
        // Just under the limit is fine.
        await using var fits = await KernelWsClient.ConnectAsync(server, id, false);
        var (_, reply) = await fits.Run("y = '" + new string('b', 150_000) + "'; len(y)");
        Assert.Equal("ok", (string?)reply.Content["status"]);
    }

    [Fact]
    public async Task UnknownKernel_404_AndNoCredentials_403()
    {
        await using var server = await TestServer.StartAsync();
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"token {TestServer.Token}");
        ws.Options.CollectHttpResponseDetails = true;
        var baseWs = server.BaseAddress.ToString().Replace("http://", "ws://");
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(new Uri(baseWs + "api/kernels/00000000-0000-0000-0000-000000000000/channels"), CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, ws.HttpStatusCode);
        var anon = new ClientWebSocket();
        anon.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => anon.ConnectAsync(new Uri(baseWs + "api/kernels/00000000-0000-0000-0000-000000000000/channels"), CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, anon.HttpStatusCode);
    }
}
