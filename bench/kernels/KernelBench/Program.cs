// Kernel benchmark: the same measurements over three paths to Debian's ipykernel.
//   direct  - ZeroMQ from C# (JupyterRtc.Kernels.KernelClient) to a kernel started by our server: the limit
//   ours    - the JupyterRtc kernel websocket (v1 protocol, what JupyterLab 4 uses)
//   jupyter - Debian's Jupyter Server 1.23 kernel websocket (legacy JSON protocol; 1.23 has no v1)
// Metrics: execute round trip of `1+1` (request sent -> execute_reply and status idle both received), one at a time,
// p50/p99; output throughput of a cell printing N short lines with a flush each (one stream message per line), to 1
// and to 10 clients, in messages delivered per second (summed over clients).
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using JupyterRtc.Kernels;
using JupyterRtc.Kernels.Wire;

if (args.Length == 2 && args[0] == "--execution") return await ExecutionPeers.Run(args[1]); // bench/execution's peers
var serverDll = args.Length > 0 ? args[0] : throw new ArgumentException("usage: KernelBench <jupyter-rtc.dll>");
int Env(string name, int dflt) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : dflt;
var rounds = Env("KBENCH_ROUNDS", 1000);
var lines = Env("KBENCH_LINES", 200_000);
var fanout = Env("KBENCH_CLIENTS", 10);
var withJupyter = Environment.GetEnvironmentVariable("KBENCH_JUPYTER") != "0";
// Jupyter Server relays a few hundred messages per second to 10 clients: a smaller cell keeps its run in minutes.
var jupyterLines = Env("KBENCH_JUPYTER_LINES", Math.Min(lines, 20_000));
var inv = CultureInfo.InvariantCulture;

var results = new List<(string Metric, string Path, double Value)>();
void Report(string metric, string path, double value)
{
    results.Add((metric, path, value));
    Console.WriteLine($"  {path,-8} {metric,-34} {value.ToString("0.###", inv)}");
}

var servers = new List<Server>();
try
{
    var ours = await Server.StartOurs(serverDll);
    servers.Add(ours);
    Server? jupyter = null;
    if (withJupyter) { jupyter = await Server.StartJupyter(); servers.Add(jupyter); }

    // ---- latency
    var oursKernel = await ours.StartKernel();
    var direct = new DirectPath(ConnectionInfo.Read(Path.Combine(ours.RuntimeDir, $"kernel-{oursKernel}.json")));
    await direct.Warm();
    Console.WriteLine($"execute round trip of 1+1, {rounds} times");
    var d = await Latency(direct.Execute, rounds);
    Report("execute_p50_ms", "direct", d.P50); Report("execute_p99_ms", "direct", d.P99);
    await using (var ws = await WsPath.Connect(ours, oursKernel, v1: true))
    {
        var o = await Latency(ws.Execute, rounds);
        Report("execute_p50_ms", "ours", o.P50); Report("execute_p99_ms", "ours", o.P99);
    }
    if (jupyter != null)
    {
        var jk = await jupyter.StartKernel();
        await using var ws = await WsPath.Connect(jupyter, jk, v1: false);
        var j = await Latency(ws.Execute, Math.Min(rounds, Env("KBENCH_JUPYTER_ROUNDS", rounds)));
        Report("execute_p50_ms", "jupyter", j.P50); Report("execute_p99_ms", "jupyter", j.P99);
    }

    // ---- throughput
    string Code(int n) => $"for i in range({n}):\n    print(i, flush=True)";
    var code = Code(lines);
    foreach (var clients in new[] { 1, fanout })
    {
        Console.WriteLine($"output of {lines} flushed lines to {clients} client(s)");
        var metric = $"stream_msgs_per_s_{clients}_clients";
        var directs = new List<DirectPath> { direct };
        for (var i = 1; i < clients; i++) { var x = new DirectPath(direct.Info); await x.Warm(); directs.Add(x); }
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var dt = await Throughput(directs.Select(x => (IOutputCounter)x).ToList(), code, null);
        Report(metric, "direct", dt.Rate);
        // The direct path's cost is in this process: its ZeroMQ client's CPU per delivered message.
        Report($"client_cpu_us_per_msg_{clients}_clients", "direct", (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / Math.Max(1, dt.Rate * 0 + directs.Sum(x => x.StreamCount)));
        foreach (var x in directs.Skip(1)) x.Dispose();

        var wss = new List<WsPath>();
        for (var i = 0; i < clients; i++) wss.Add(await WsPath.Connect(ours, oursKernel, v1: true));
        var ot = await Throughput(wss.Cast<IOutputCounter>().ToList(), code, ours.Process, lines);
        var oursGot = wss.Sum(w => w.StreamCount);
        if (oursGot < (long)lines * clients) Console.WriteLine($"  ours delivered {oursGot} of {(long)lines * clients} stream messages");
        Report(metric, "ours", ot.Rate);
        Report($"server_cpu_us_per_msg_{clients}_clients", "ours", ot.CpuUsPerMsg);
        foreach (var w in wss) await w.DisposeAsync();

        if (jupyter != null)
        {
            var jk = (await jupyter.ListKernels()).First();
            var jws = new List<WsPath>();
            for (var i = 0; i < clients; i++) jws.Add(await WsPath.Connect(jupyter, jk, v1: false));
            var jt = await Throughput(jws.Cast<IOutputCounter>().ToList(), Code(jupyterLines), jupyter.Process, jupyterLines);
            Report(metric, "jupyter", jt.Rate);
            Report($"server_cpu_us_per_msg_{clients}_clients", "jupyter", jt.CpuUsPerMsg);
            foreach (var w in jws) await w.DisposeAsync();
        }
    }
    direct.Dispose();
}
finally
{
    foreach (var s in servers) await s.DisposeAsync();
}

// ---- RESULT lines: ours against direct (the limit) and against Jupyter Server.
Console.WriteLine();
foreach (var metric in results.Select(r => r.Metric).Distinct())
{
    double? Get(string path) => results.Where(r => r.Metric == metric && r.Path == path).Select(r => (double?)r.Value).FirstOrDefault();
    var o = Get("ours");
    if (o == null) continue;
    foreach (var peer in new[] { "direct-zmq", "jupyter-server-1.23" })
    {
        var p = Get(peer == "direct-zmq" ? "direct" : "jupyter");
        if (p == null) continue;
        Console.WriteLine(string.Create(inv, $"RESULT suite=kernels metric={metric} ours={o:0.###} peer={peer}:{p:0.###} ratio={(p == 0 ? 0 : o / p):0.###}"));
    }
}
return 0;

static async Task<(double P50, double P99)> Latency(Func<string, Task> execute, int rounds)
{
    for (var i = 0; i < Math.Min(50, rounds); i++) await execute("1+1"); // warm-up
    var samples = new double[rounds];
    for (var i = 0; i < rounds; i++)
    {
        var t = Stopwatch.GetTimestamp();
        await execute("1+1");
        samples[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }
    Array.Sort(samples);
    return (samples[(int)(rounds * 0.50)], samples[Math.Min(rounds - 1, (int)(rounds * 0.99))]);
}

static async Task<(double Rate, double CpuUsPerMsg)> Throughput(List<IOutputCounter> clients, string code, Process? server, int expectedPerClient = 0)
{
    foreach (var c in clients) c.ResetCount();
    var cpu0 = CpuSeconds(server);
    var t = Stopwatch.GetTimestamp();
    var startWall = DateTime.UtcNow;
    var msgId = await clients[0].Send(code);
    var all = Task.WhenAll(clients.Select(c => c.WaitIdle(msgId)));
    // A stalled path (no message to anyone for 60 s) is reported, not waited for forever.
    while (!all.IsCompleted)
    {
        await Task.WhenAny(all, Task.Delay(1000));
        var last = clients.OfType<WsPath>().Select(c => c.LastMessage).DefaultIfEmpty(DateTime.UtcNow).Max();
        if (!all.IsCompleted && DateTime.UtcNow - last > TimeSpan.FromSeconds(60))
        {
            // Jupyter Server gives every websocket its own iopub SUB socket: a subscriber that falls 1000 messages
            // behind has messages dropped by the kernel's PUB (ZeroMQ high-water mark), the final status among them.
            var got = clients.Sum(c => c.StreamCount);
            var activeSeconds = (last - startWall).TotalSeconds;
            Console.WriteLine($"  stalled: no message for 60 s, {got} of {(long)expectedPerClient * clients.Count} stream messages delivered (the rest dropped); rate over the {activeSeconds:0.0} s of delivery");
            var cpuStalled = CpuSeconds(server) - cpu0;
            return (got / activeSeconds, got == 0 ? 0 : cpuStalled * 1e6 / got);
        }
    }
    await all;
    var seconds = Stopwatch.GetElapsedTime(t).TotalSeconds;
    var total = clients.Sum(c => c.StreamCount);
    var cpu = CpuSeconds(server) - cpu0;
    return (total / seconds, total == 0 ? 0 : cpu * 1e6 / total);
}

// utime + stime of the server process itself (not its kernels), from /proc, in seconds (10 ms resolution).
static double CpuSeconds(Process? p)
{
    if (p == null) return 0;
    var stat = File.ReadAllText($"/proc/{p.Id}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

interface IOutputCounter
{
    long StreamCount { get; }
    void ResetCount();
    Task<string> Send(string code);
    Task WaitIdle(string msgId);
}

sealed class Server : IAsyncDisposable
{
    public required string BaseUrl { get; init; }
    public required string Token { get; init; }
    public required string RuntimeDir { get; init; }
    public required Process Process { get; init; }
    public required string Scratch { get; init; }
    public HttpClient Http { get; } = new();

    static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var p = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    static async Task<Server> Start(string file, IEnumerable<string> argv, string scratch, int port)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in argv) psi.ArgumentList.Add(a);
        psi.Environment["JUPYTER_NO_CONFIG"] = "1";
        psi.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(scratch, "runtime");
        psi.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(scratch, "config");
        psi.Environment["JUPYTER_DATA_DIR"] = Path.Combine(scratch, "data");
        psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var s = new Server { BaseUrl = $"http://127.0.0.1:{port}/", Token = "benchtoken", RuntimeDir = Path.Combine(scratch, "runtime"), Process = p, Scratch = scratch };
        s.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", s.Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (p.HasExited) throw new InvalidOperationException($"{file} exited early ({p.ExitCode})");
            try { if ((await s.Http.GetAsync(s.BaseUrl + "api/status")).IsSuccessStatusCode) return s; } catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("server not ready");
            await Task.Delay(50);
        }
    }

    public static Task<Server> StartOurs(string dll)
    {
        var scratch = Directory.CreateTempSubdirectory("kbench-ours-").FullName;
        Directory.CreateDirectory(Path.Combine(scratch, "root"));
        var port = FreePort();
        return Start("dotnet", [dll, "--ServerApp.ip=127.0.0.1", $"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            $"--ServerApp.root_dir={scratch}/root", "--IdentityProvider.token=benchtoken", "--no-browser",
            $"--JupyterRtc.runtime_dir={scratch}/runtime"], scratch, port);
    }

    public static Task<Server> StartJupyter()
    {
        var scratch = Directory.CreateTempSubdirectory("kbench-jupyter-").FullName;
        Directory.CreateDirectory(Path.Combine(scratch, "root"));
        var port = FreePort();
        // Rate limits off, or it would drop the output this benchmark measures.
        return Start("/usr/bin/python3", ["-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", $"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            $"--ServerApp.root_dir={scratch}/root", "--ServerApp.token=benchtoken", "--ServerApp.open_browser=False", "--allow-root",
            "--ServerApp.iopub_msg_rate_limit=0", "--ServerApp.iopub_data_rate_limit=0"], scratch, port);
    }

    public async Task<string> StartKernel()
    {
        var r = await Http.PostAsync(BaseUrl + "api/kernels", new StringContent("{\"name\":\"python3\"}", Encoding.UTF8, "application/json"));
        r.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<List<string>> ListKernels()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(BaseUrl + "api/kernels"));
        return doc.RootElement.EnumerateArray().Select(k => k.GetProperty("id").GetString()!).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var id in await ListKernels()) await Http.DeleteAsync(BaseUrl + "api/kernels/" + id);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException) { }
        try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await Process.WaitForExitAsync();
        try { Directory.Delete(Scratch, true); } catch (IOException) { }
    }
}

/// <summary>Straight to the kernel's sockets with the library's client.</summary>
sealed class DirectPath(ConnectionInfo info) : IOutputCounter, IDisposable
{
    public ConnectionInfo Info { get; } = info;
    private readonly KernelClient _client = new(info);
    private TaskCompletionSource? _reply, _idle;
    private string _waiting = "";
    private long _streams;
    private readonly Dictionary<string, TaskCompletionSource> _idles = [];

    public long StreamCount => Interlocked.Read(ref _streams);
    public void ResetCount() => Interlocked.Exchange(ref _streams, 0);

    public async Task Warm()
    {
        _client.MessageReceived += OnMessage;
        for (var i = 0; i < 100; i++)
        {
            try { await _client.RequestAsync(KernelChannel.Shell, "kernel_info_request", "{}"u8.ToArray(), TimeSpan.FromSeconds(1)); break; }
            catch (TimeoutException) { }
        }
        await Task.Delay(300); // iopub subscription settles
    }

    private void OnMessage(KernelMessage m)
    {
        if (m.Channel == KernelChannel.IOPub && m.MsgType == "stream") Interlocked.Increment(ref _streams);
        if (m.ParentMsgId == null) return;
        if (m.ParentMsgId == _waiting)
        {
            if (m.Channel == KernelChannel.Shell) _reply?.TrySetResult();
            else if (m.MsgType == "status" && m.ExecutionState() == "idle") _idle?.TrySetResult();
        }
        if (m.MsgType == "status" && m.Channel == KernelChannel.IOPub)
        {
            TaskCompletionSource? t;
            lock (_idles) _idles.Remove(m.ParentMsgId, out t);
            if (t != null && m.ExecutionState() == "idle") t.TrySetResult();
            else if (t != null) lock (_idles) _idles[m.ParentMsgId] = t;
        }
    }

    private static byte[] Content(string code) => KernelMessage.Json(w =>
    {
        w.WriteStartObject(); w.WriteString("code", code); w.WriteBoolean("silent", false); w.WriteBoolean("store_history", false);
        w.WriteStartObject("user_expressions"); w.WriteEndObject(); w.WriteBoolean("allow_stdin", false); w.WriteBoolean("stop_on_error", true);
        w.WriteEndObject();
    });

    public async Task Execute(string code)
    {
        var m = KernelMessage.Create(KernelChannel.Shell, "execute_request", _client.Session, Content(code));
        _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting = m.MsgId;
        _client.Send(m);
        await Task.WhenAll(_reply.Task, _idle.Task).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public Task<string> Send(string code)
    {
        var m = KernelMessage.Create(KernelChannel.Shell, "execute_request", _client.Session, Content(code));
        _client.Send(m);
        return Task.FromResult(m.MsgId);
    }

    public Task WaitIdle(string msgId)
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_idles) _idles[msgId] = t;
        return t.Task.WaitAsync(TimeSpan.FromMinutes(10));
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>A websocket client that inspects only what it must: msg_type, parent msg_id, execution_state.</summary>
sealed class WsPath : IOutputCounter, IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();
    private readonly bool _v1;
    private readonly string _session = Guid.NewGuid().ToString();
    private Task? _loop;
    private long _streams;
    private int _unparsed;
    public DateTime LastMessage { get; private set; } = DateTime.UtcNow;
    public bool Closed => _loop?.IsCompleted ?? false;
    private readonly Dictionary<string, (TaskCompletionSource Reply, TaskCompletionSource Idle)> _waits = [];

    private WsPath(bool v1) => _v1 = v1;

    public long StreamCount => Interlocked.Read(ref _streams);
    public void ResetCount() => Interlocked.Exchange(ref _streams, 0);

    public static async Task<WsPath> Connect(Server server, string kernelId, bool v1)
    {
        var p = new WsPath(v1);
        if (v1) p._ws.Options.AddSubProtocol("v1.kernel.websocket.jupyter.org");
        p._ws.Options.SetRequestHeader("Authorization", $"token {server.Token}");
        await p._ws.ConnectAsync(new Uri(server.BaseUrl.Replace("http://", "ws://") + $"api/kernels/{kernelId}/channels?session_id={p._session}"), CancellationToken.None);
        p._loop = Task.Run(p.Loop);
        // Settle: one kernel_info round trip proves both directions.
        for (var i = 0; i < 3; i++) await p.Execute("None");
        return p;
    }

    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        // "key": "value" or "key":"value" at any depth; good enough for headers and status content.
        var i = json.IndexOf(key);
        if (i < 0) return default;
        var rest = json[(i + key.Length)..];
        var q = rest.IndexOf((byte)'"');
        if (q < 0) return default;
        rest = rest[(q + 1)..];
        var end = rest.IndexOf((byte)'"');
        return end < 0 ? default : rest[..end];
    }

    private Task Loop() => WebSocketMessages.ReadAllAsync(_ws, data =>
    {
        LastMessage = DateTime.UtcNow;
        try { Handle(data.Span); }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            if (Interlocked.Increment(ref _unparsed) == 1) Console.Error.WriteLine($"  (a message the benchmark client could not read: {Encoding.UTF8.GetString(data.Span[..Math.Min(data.Length, 300)])})");
        }
    });

    private void Handle(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> channel, header, parent, content;
        if (_v1)
        {
            Span<int> o = stackalloc int[6];
            for (var k = 0; k < 6; k++) o[k] = (int)BinaryPrimitives.ReadUInt64LittleEndian(data[(8 + 8 * k)..]);
            channel = data[o[0]..o[1]]; header = data[o[1]..o[2]]; parent = data[o[2]..o[3]]; content = data[o[4]..o[5]];
        }
        else
        {
            // Legacy JSON: header first, parent_header, then content; Jupyter Server writes them in that order.
            var pi = data.IndexOf("\"parent_header\""u8);
            var ci = data.IndexOf("\"content\""u8);
            header = data[..pi];
            parent = data[pi..ci];
            content = data[ci..];
            channel = Field(data[ci..], "\"channel\""u8);
        }
        var type = Field(header, "\"msg_type\""u8);
        if (type.SequenceEqual("stream"u8)) { Interlocked.Increment(ref _streams); return; }
        var isShell = channel.SequenceEqual("shell"u8);
        var isStatus = type.SequenceEqual("status"u8);
        if (!isShell && !isStatus) return;
        var pid = Encoding.UTF8.GetString(Field(parent, "\"msg_id\""u8));
        (TaskCompletionSource Reply, TaskCompletionSource Idle) w;
        lock (_waits) if (!_waits.TryGetValue(pid, out w)) return;
        if (isShell) w.Reply.TrySetResult();
        else if (Field(content, "\"execution_state\""u8).SequenceEqual("idle"u8)) w.Idle.TrySetResult();
    }

    private byte[] Frame(string msgId, string code)
    {
        var header = $"{{\"msg_id\":\"{msgId}\",\"msg_type\":\"execute_request\",\"username\":\"bench\",\"session\":\"{_session}\",\"date\":\"{DateTime.UtcNow:O}\",\"version\":\"5.3\"}}";
        var content = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["code"] = code, ["silent"] = false, ["store_history"] = false, ["user_expressions"] = new Dictionary<string, object>(),
            ["allow_stdin"] = false, ["stop_on_error"] = true,
        });
        if (!_v1) return Encoding.UTF8.GetBytes($"{{\"header\":{header},\"parent_header\":{{}},\"metadata\":{{}},\"content\":{content},\"channel\":\"shell\"}}");
        var parts = new[] { "shell", header, "{}", "{}", content }.Select(Encoding.UTF8.GetBytes).ToArray();
        var n = parts.Length + 1;
        var frame = new byte[8 * (n + 1) + parts.Sum(p => p.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, (ulong)n);
        var pos = 8 * (n + 1);
        for (var i = 0; i < parts.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 + 8 * i), (ulong)pos);
            parts[i].CopyTo(frame, pos);
            pos += parts[i].Length;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 + 8 * parts.Length), (ulong)pos);
        return frame;
    }

    private (TaskCompletionSource, TaskCompletionSource) Wait(string msgId)
    {
        var w = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_waits) _waits[msgId] = w;
        return w;
    }

    public async Task Execute(string code)
    {
        var id = Guid.NewGuid().ToString("N");
        var (reply, idle) = Wait(id);
        await _ws.SendAsync(Frame(id, code), _v1 ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
        await Task.WhenAll(reply.Task, idle.Task).WaitAsync(TimeSpan.FromSeconds(60));
        lock (_waits) _waits.Remove(id);
    }

    private readonly Dictionary<string, Task> _pendingIdle = [];

    public async Task<string> Send(string code)
    {
        var id = Guid.NewGuid().ToString("N");
        var (_, idle) = Wait(id);
        lock (_pendingIdle) _pendingIdle[id] = idle.Task;
        await _ws.SendAsync(Frame(id, code), _v1 ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
        return id;
    }

    public Task WaitIdle(string msgId)
    {
        // Every client sees the iopub idle of the request, whoever sent it.
        lock (_pendingIdle) if (_pendingIdle.TryGetValue(msgId, out var t)) return t.WaitAsync(TimeSpan.FromMinutes(10));
        var (_, idle) = Wait(msgId);
        return idle.Task.WaitAsync(TimeSpan.FromMinutes(10));
    }

    public async ValueTask DisposeAsync()
    {
        try { await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); } catch (WebSocketException) { }
        if (_loop != null) await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _ws.Dispose();
    }
}
