using System.Net;
using System.Net.WebSockets;
using System.Text;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Events;

/// <summary><c>/api/events/subscribe</c> carries the Contents API's actions; <c>POST /api/events</c> accepts known schemas.</summary>
[Collection("kernels")]
public sealed class EventsTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Subscribed once connected: the server subscribes before it completes the handshake (no delay needed).</summary>
    private async Task<ClientWebSocket> Subscribe()
    {
        var ws = new ClientWebSocket();
        var uri = new Uri(_server.BaseAddress, "api/events/subscribe?token=" + TestServer.Token);
        await ws.ConnectAsync(new UriBuilder(uri) { Scheme = "ws" }.Uri, CancellationToken.None);
        return ws;
    }

    private static async Task<JObject> Next(ClientWebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[65536];
        var r = await ws.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, r.MessageType);
        return JObject.Parse(Encoding.UTF8.GetString(buffer, 0, r.Count));
    }

    [Fact]
    public async Task Contents_actions_reach_subscribers_and_posted_events_are_validated()
    {
        using var ws = await Subscribe();
        Assert.Equal(HttpStatusCode.Created, (await _server.Client.PutAsync("api/contents/a.txt", TestHttp.Json(new { type = "file", format = "text", content = "x" }))).StatusCode);
        var created = await Next(ws);
        Assert.Equal("https://events.jupyter.org/jupyter_server/contents_service/v1", (string?)created["schema_id"]);
        Assert.Equal("create", (string?)created["action"]);
        Assert.Equal("a.txt", (string?)created["path"]);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.Patch("api/contents/a.txt", new { path = "b.txt" })).StatusCode);
        var renamed = await Next(ws);
        Assert.Equal("rename", (string?)renamed["action"]);
        Assert.Equal("a.txt", (string?)renamed["source_path"]);

        var posted = await _server.Client.PostAsync("api/events", TestHttp.Json(new { schema_id = "https://events.jupyter.org/jupyter_server/contents_service/v1", version = "1", data = new { action = "get", path = "x" } }));
        Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);
        Assert.Equal("get", (string?)(await Next(ws))["action"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.PostAsync("api/events", TestHttp.Json(new { schema_id = "urn:nope", version = "1", data = new { } }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.PostAsync("api/events", TestHttp.Json("{\"schema_id\": 3}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.NewClient(token: false).GetAsync("api/events/subscribe")).StatusCode);
    }

    [Fact]
    public async Task Kernel_start_and_shutdown_are_published()
    {
        using var ws = await Subscribe();
        var started = await _server.Client.PostAsync("api/kernels", TestHttp.Json(new { name = "python3" }));
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var id = (string)(await started.ReadObject())["id"]!;
        var start = await Next(ws);
        Assert.Equal("https://events.jupyter.org/jupyter_server/kernel_actions/v1", (string?)start["schema_id"]);
        Assert.Equal("start", (string?)start["action"]);
        Assert.Equal(id, (string?)start["kernel_id"]);
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.DeleteAsync($"api/kernels/{id}")).StatusCode);
        JObject e;
        do e = await Next(ws); while ((string?)e["action"] != "shutdown");
        Assert.Equal(id, (string?)e["kernel_id"]);
    }
}
