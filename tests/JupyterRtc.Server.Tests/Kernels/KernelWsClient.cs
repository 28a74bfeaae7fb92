using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>A decoded kernel message as a client sees it.</summary>
public sealed record WsMsg(string Channel, JsonObject Header, JsonObject Parent, JsonObject Content, List<byte[]> Buffers)
{
    public string MsgType => (string)Header["msg_type"]!;
    public string? ParentId => (string?)Parent["msg_id"];
    public override string ToString() => $"{Channel} {MsgType} {Content.ToJsonString()[..Math.Min(120, Content.ToJsonString().Length)]}";
}

/// <summary>
/// A kernel websocket client written from the protocol description (independent of the server's codec): v1 binary
/// frames or legacy JSON/binary frames. Collects everything it receives.
/// </summary>
public sealed class KernelWsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();
    private readonly List<WsMsg> _received = [];
    private readonly SemaphoreSlim _signal = new(0);
    private Task? _loop;
    public bool V1 { get; }
    public string Session { get; }
    public WebSocketCloseStatus? CloseStatus => _ws.CloseStatus;
    public WebSocket Socket => _ws;

    private KernelWsClient(bool v1, string session)
    {
        V1 = v1;
        Session = session;
    }

    /// <param name="cookies">A browser's cookie jar, so the connection is that browser's user (a token alone proves
    /// access, not identity: without the login cookie each connection would be a new user).</param>
    /// <param name="receive">false: nothing is read from the socket (a client that stopped reading)</param>
    public static async Task<KernelWsClient> ConnectAsync(TestServer server, string kernelId, bool v1, string? session = null, System.Net.CookieContainer? cookies = null,
        bool receive = true)
    {
        var c = new KernelWsClient(v1, session ?? Guid.NewGuid().ToString());
        if (v1) c._ws.Options.AddSubProtocol("v1.kernel.websocket.jupyter.org");
        c._ws.Options.SetRequestHeader("Authorization", $"token {TestServer.Token}");
        if (cookies != null) c._ws.Options.Cookies = cookies;
        var uri = new Uri(server.BaseAddress.ToString().Replace("http://", "ws://") + $"api/kernels/{kernelId}/channels?session_id={c.Session}");
        await c._ws.ConnectAsync(uri, CancellationToken.None);
        Assert.Equal(v1 ? "v1.kernel.websocket.jupyter.org" : null, c._ws.SubProtocol);
        if (receive) c._loop = Task.Run(c.ReceiveLoop);
        return c;
    }

    public List<WsMsg> Received { get { lock (_received) return _received.ToList(); } }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (_ws.State == WebSocketState.Open)
            {
                using var ms = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await _ws.ReceiveAsync(buffer, CancellationToken.None);
                    ms.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close) break;
                var msg = V1 ? DecodeV1(ms.ToArray()) : DecodeLegacy(ms.ToArray(), r.MessageType);
                lock (_received) _received.Add(msg);
                _signal.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        finally { _signal.Release(); }
    }

    private static JsonObject Obj(ReadOnlySpan<byte> json) => json.Length == 0 ? new JsonObject() : (JsonNode.Parse(json) as JsonObject ?? new JsonObject());

    private static WsMsg DecodeV1(byte[] data)
    {
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(data);
        var offsets = Enumerable.Range(0, n).Select(i => (int)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8 + 8 * i))).ToArray();
        Assert.Equal(8 * (n + 1), offsets[0]);
        Assert.Equal(data.Length, offsets[^1]);
        byte[] Part(int k) => data[offsets[k]..offsets[k + 1]];
        var buffers = Enumerable.Range(5, n - 6).Select(Part).ToList();
        return new WsMsg(Encoding.UTF8.GetString(Part(0)), Obj(Part(1)), Obj(Part(2)), Obj(Part(4)), buffers);
    }

    private static WsMsg DecodeLegacy(byte[] data, WebSocketMessageType type)
    {
        var buffers = new List<byte[]>();
        var json = data;
        if (type == WebSocketMessageType.Binary)
        {
            var nbufs = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
            Assert.True(nbufs >= 2);
            var offsets = Enumerable.Range(0, nbufs).Select(i => (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4 + 4 * i))).ToArray();
            json = data[offsets[0]..offsets[1]];
            for (var k = 1; k < nbufs; k++) buffers.Add(data[offsets[k]..(k + 1 < nbufs ? offsets[k + 1] : data.Length)]);
        }
        var o = (JsonObject)JsonNode.Parse(json)!;
        Assert.Equal((string)o["header"]!["msg_id"]!, (string)o["msg_id"]!);
        return new WsMsg((string)o["channel"]!, (JsonObject)o["header"]!, o["parent_header"] as JsonObject ?? new JsonObject(),
            (JsonObject)o["content"]!, buffers);
    }

    public JsonObject Header(string msgType) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString(), ["msg_type"] = msgType, ["username"] = "test", ["session"] = Session,
        ["date"] = DateTime.UtcNow.ToString("O"), ["version"] = "5.3",
    };

    /// <summary>Sends a message; returns its msg_id.</summary>
    public async Task<string> Send(string channel, string msgType, JsonObject content, IReadOnlyList<byte[]>? buffers = null, JsonObject? parent = null)
    {
        var header = Header(msgType);
        var frame = V1 ? EncodeV1(channel, header, parent ?? new JsonObject(), content, buffers ?? []) : EncodeLegacy(channel, header, parent, content, buffers ?? []);
        await SendRaw(frame.Data, frame.Type);
        return (string)header["msg_id"]!;
    }

    public Task SendRaw(byte[] data, WebSocketMessageType type) => _ws.SendAsync(data, type, true, CancellationToken.None);

    public static (byte[] Data, WebSocketMessageType Type) EncodeV1(string channel, JsonObject header, JsonObject parent, JsonObject content, IReadOnlyList<byte[]> buffers)
    {
        var parts = new List<byte[]> { Encoding.UTF8.GetBytes(channel), Bytes(header), Bytes(parent), "{}"u8.ToArray(), Bytes(content) };
        parts.AddRange(buffers);
        var n = parts.Count + 1;
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write((ulong)n);
        long pos = 8 * (n + 1);
        foreach (var p in parts) { w.Write((ulong)pos); pos += p.Length; }
        w.Write((ulong)pos);
        foreach (var p in parts) w.Write(p);
        return (ms.ToArray(), WebSocketMessageType.Binary);
    }

    public static (byte[] Data, WebSocketMessageType Type) EncodeLegacy(string channel, JsonObject header, JsonObject? parent, JsonObject content, IReadOnlyList<byte[]> buffers)
    {
        var json = Bytes(new JsonObject
        {
            ["header"] = header.DeepClone(), ["parent_header"] = parent?.DeepClone() ?? new JsonObject(), ["metadata"] = new JsonObject(), ["content"] = content.DeepClone(),
            ["channel"] = channel,
        });
        if (buffers.Count == 0) return (json, WebSocketMessageType.Text);
        var nbufs = 1 + buffers.Count;
        var ms = new MemoryStream();
        void U32(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); ms.Write(b); }
        U32(nbufs);
        var pos = 4 * (nbufs + 1);
        U32(pos);
        pos += json.Length;
        foreach (var b in buffers) { U32(pos); pos += b.Length; }
        ms.Write(json);
        foreach (var b in buffers) ms.Write(b);
        return (ms.ToArray(), WebSocketMessageType.Binary);
    }

    private static byte[] Bytes(JsonNode n) => Encoding.UTF8.GetBytes(n.ToJsonString());

    public static JsonObject ExecuteContent(string code) => new()
    {
        ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(), ["allow_stdin"] = true,
        ["stop_on_error"] = true,
    };

    public Task<string> Execute(string code) => Send("shell", "execute_request", ExecuteContent(code));

    public async Task<WsMsg> WaitFor(Func<WsMsg, bool> match, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var hit = Received.FirstOrDefault(match);
            if (hit != null) return hit;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no matching message; got:\n" + string.Join("\n", Received));
            if (_loop!.IsCompleted && !Received.Any(match)) throw new InvalidOperationException($"socket closed ({_ws.CloseStatus}); got:\n" + string.Join("\n", Received));
            await _signal.WaitAsync(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Runs code and waits for its reply and the idle status; returns the iopub messages of the request and the reply.</summary>
    public async Task<(List<WsMsg> Iopub, WsMsg Reply)> Run(string code, int seconds = 60)
    {
        var id = await Execute(code);
        var reply = await WaitFor(m => m.Channel == "shell" && m.ParentId == id, seconds);
        await WaitFor(m => m.Channel == "iopub" && m.ParentId == id && m.MsgType == "status" && (string?)m.Content["execution_state"] == "idle", seconds);
        return (Received.Where(m => m.Channel == "iopub" && m.ParentId == id).ToList(), reply);
    }

    public async Task CloseAsync()
    {
        if (_ws.State == WebSocketState.Open)
        {
            try { await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException) { }
        }
        if (_loop != null) await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _ws.Dispose();
    }
}
