// `KernelBench --execution OUT.json`: the two peers of bench/execution (see bench/execution/bench.mjs for ours).
//   direct  - ZeroMQ from C# to an ipykernel this process starts itself (no server watching its iopub): the limit
//   jupyter - Debian's Jupyter Server 1.23: K kernel websocket clients (legacy JSON) on one kernel, one of them sends
//             the execute_request; done when all K have all the stream output and the idle status
// The cell is `for i in range(N): print(i)` (no flush: ipykernel batches the lines into stream messages itself).
// Each run counts as done only when the received stdout text is exactly N lines ending in `N-1\n` (checked, not assumed).
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using JupyterRtc.Kernels;
using JupyterRtc.Kernels.Wire;

static class ExecutionPeers
{
    public static async Task<int> Run(string outJson)
    {
        var inv = CultureInfo.InvariantCulture;
        var sizes = (Environment.GetEnvironmentVariable("EBENCH_SIZES") ?? "10000,100000,1000000").Split(',').Select(s => int.Parse(s, inv)).ToArray();
        var clients = int.TryParse(Environment.GetEnvironmentVariable("EBENCH_CLIENTS"), out var c) ? c : 10;
        var withJupyter = Environment.GetEnvironmentVariable("EBENCH_JUPYTER") != "0";
        var result = new Dictionary<string, object>();

        // ---- direct ZeroMQ
        var scratch = Directory.CreateTempSubdirectory("ebench-direct-").FullName;
        Process? kernel = null;
        try
        {
            var info = ConnectionInfo.CreateNew("python3");
            var file = Path.Combine(scratch, "kernel.json");
            info.Write(file);
            var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-m", "ipykernel_launcher", "-f", file }) psi.ArgumentList.Add(a);
            psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
            psi.Environment["JUPYTER_RUNTIME_DIR"] = scratch;
            kernel = Process.Start(psi)!;
            kernel.OutputDataReceived += (_, _) => { };
            kernel.ErrorDataReceived += (_, _) => { };
            kernel.BeginOutputReadLine();
            kernel.BeginErrorReadLine();
            using var direct = new DirectStream(info);
            await direct.Warm();
            await direct.Run(1000); // warm-up
            var d = new Dictionary<string, object>();
            foreach (var n in sizes)
            {
                var r = await direct.Run(n);
                Console.WriteLine($"  direct   N={n,-8} {r.Ms,10:0.0} ms  ({r.Messages} stream messages, first after {r.FirstMs:0.0} ms)");
                d[n.ToString(inv)] = new Dictionary<string, object> { ["ms"] = r.Ms, ["messages"] = r.Messages, ["first_output_ms"] = r.FirstMs };
            }
            result["direct"] = d;
            try { await direct.Shutdown(); } catch (TimeoutException) { }
        }
        finally
        {
            if (kernel != null)
            {
                if (!kernel.WaitForExit(3000)) { try { kernel.Kill(); } catch (InvalidOperationException) { } }
                kernel.WaitForExit();
            }
            try { Directory.Delete(scratch, true); } catch (IOException) { }
        }

        // ---- Jupyter Server 1.23
        if (withJupyter)
        {
            var jupyter = await Server.StartJupyter();
            try
            {
                var k = await jupyter.StartKernel();
                var ws = new List<JupyterWsClient>();
                for (var i = 0; i < clients; i++) ws.Add(await JupyterWsClient.Connect(jupyter, k));
                await RunAll(ws, 1000); // warm-up
                var j = new Dictionary<string, object>();
                foreach (var n in sizes)
                {
                    var cpu0 = Cpu(jupyter.Process);
                    var (times, messages, complete) = await RunAll(ws, n);
                    var cpu = Cpu(jupyter.Process) - cpu0;
                    Array.Sort(times);
                    var max = times[^1];
                    var p50 = times[times.Length / 2];
                    Console.WriteLine($"  jupyter  N={n,-8} max {max,10:0.0} ms  p50 {p50,10:0.0} ms  ({messages} stream messages per client, server CPU {cpu:0.00} s{(complete ? "" : ", INCOMPLETE")})");
                    j[n.ToString(inv)] = new Dictionary<string, object>
                    {
                        ["max_ms"] = max, ["p50_ms"] = p50, ["messages"] = messages, ["complete"] = complete, ["server_cpu_s"] = cpu,
                        ["server_hwm_mb"] = HwmMb(jupyter.Process),
                    };
                }
                result["jupyter"] = j;
                foreach (var w in ws) await w.DisposeAsync();
            }
            finally { await jupyter.DisposeAsync(); }
        }
        await File.WriteAllTextAsync(outJson, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    static async Task<(double[] Ms, long Messages, bool Complete)> RunAll(List<JupyterWsClient> ws, int n)
    {
        var msgId = Guid.NewGuid().ToString("N");
        foreach (var w in ws) w.Reset(n, msgId);
        var t = Stopwatch.GetTimestamp();
        await ws[0].Send(Code(n), msgId);
        var done = ws.Select(async w =>
        {
            var complete = await w.WaitDone(TimeSpan.FromMinutes(10));
            return (Ms: Stopwatch.GetElapsedTime(t).TotalMilliseconds, complete);
        }).ToList();
        var all = await Task.WhenAll(done);
        return (all.Select(a => a.Ms).ToArray(), ws[0].StreamMessages, all.All(a => a.complete));
    }

    public static string Code(int n) => $"for i in range({n}): print(i)";

    public static byte[] ExecuteContent(string code) => KernelMessage.Json(w =>
    {
        w.WriteStartObject(); w.WriteString("code", code); w.WriteBoolean("silent", false); w.WriteBoolean("store_history", true);
        w.WriteStartObject("user_expressions"); w.WriteEndObject(); w.WriteBoolean("allow_stdin", false); w.WriteBoolean("stop_on_error", true);
        w.WriteEndObject();
    });

    /// <summary>The stdout of the cell is complete: exactly n lines, the last one `n-1`.</summary>
    public static bool Complete(StringBuilder text, int n)
    {
        if (text.Length != ExpectedLength(n)) return false;
        var s = text.ToString();
        var lines = 0;
        foreach (var ch in s) if (ch == '\n') lines++;
        return lines == n && s.EndsWith($"{n - 1}\n", StringComparison.Ordinal);
    }

    public static long ExpectedLength(int n)
    {
        long len = 0;
        for (long digits = 1, lo = 0, hi = 10; lo < n; digits++, lo = hi, hi *= 10) len += (Math.Min(hi, n) - lo) * (digits + 1);
        return len;
    }

    static double Cpu(Process p)
    {
        var stat = File.ReadAllText($"/proc/{p.Id}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    static double HwmMb(Process p)
    {
        foreach (var line in File.ReadLines($"/proc/{p.Id}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    /// <summary>Reads a stream message's content: (name, text).</summary>
    public static (string? Name, string? Text) Stream(ReadOnlySpan<byte> content)
    {
        var r = new Utf8JsonReader(content);
        string? name = null, text = null;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return (null, null);
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var isName = r.ValueTextEquals("name"u8);
            var isText = r.ValueTextEquals("text"u8);
            r.Read();
            if (isName) name = r.GetString();
            else if (isText) text = r.GetString();
            else r.Skip();
        }
        return (name, text);
    }
}

/// <summary>One ZeroMQ client: sends the cell, collects the stdout text, done at iopub idle with the text complete.</summary>
sealed class DirectStream(ConnectionInfo info) : IDisposable
{
    private readonly KernelClient _client = new(info);
    private readonly StringBuilder _text = new();
    private string _waiting = "";
    private long _messages;
    private long _start, _first;
    private TaskCompletionSource? _idle;

    public async Task Warm()
    {
        _client.MessageReceived += OnMessage;
        for (var i = 0; i < 200; i++)
        {
            try { await _client.RequestAsync(KernelChannel.Shell, "kernel_info_request", "{}"u8.ToArray(), TimeSpan.FromSeconds(1)); break; }
            catch (TimeoutException) { }
        }
        await Task.Delay(300); // iopub subscription settles
    }

    private void OnMessage(KernelMessage m)
    {
        if (m.Channel != KernelChannel.IOPub || m.ParentMsgId != Volatile.Read(ref _waiting)) return;
        if (m.MsgType == "stream")
        {
            var (name, text) = ExecutionPeers.Stream(m.Content);
            if (name == "stdout" && text != null) { if (_messages++ == 0) _first = Stopwatch.GetTimestamp(); _text.Append(text); }
        }
        else if (m.MsgType == "status" && m.ExecutionState() == "idle") _idle?.TrySetResult();
    }

    public async Task<(double Ms, long Messages, double FirstMs)> Run(int n)
    {
        _text.Clear();
        _messages = 0;
        var m = KernelMessage.Create(KernelChannel.Shell, "execute_request", _client.Session, ExecutionPeers.ExecuteContent(ExecutionPeers.Code(n)));
        _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _waiting, m.MsgId);
        var t = _start = Stopwatch.GetTimestamp();
        _client.Send(m);
        await _idle.Task.WaitAsync(TimeSpan.FromMinutes(10));
        var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        var first = Stopwatch.GetElapsedTime(t, _first).TotalMilliseconds;
        if (!ExecutionPeers.Complete(_text, n)) Console.WriteLine($"  direct: N={n}: stdout incomplete ({_text.Length} of {ExecutionPeers.ExpectedLength(n)} chars)");
        return (ms, _messages, first);
    }

    public Task Shutdown() => _client.RequestAsync(KernelChannel.Control, "shutdown_request", "{\"restart\":false}"u8.ToArray(), TimeSpan.FromSeconds(5));

    public void Dispose() => _client.Dispose();
}

/// <summary>A Jupyter Server 1.23 kernel websocket client (legacy JSON) that keeps the stdout text of one request.</summary>
sealed class JupyterWsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();
    private readonly string _session = Guid.NewGuid().ToString();
    private readonly StringBuilder _text = new();
    private Task? _loop;
    private volatile string _parent = "";
    private int _n;
    private TaskCompletionSource<bool>? _done;
    private bool _idle;
    public long StreamMessages { get; private set; }

    public static async Task<JupyterWsClient> Connect(Server server, string kernelId)
    {
        var c = new JupyterWsClient();
        c._ws.Options.SetRequestHeader("Authorization", $"token {server.Token}");
        await c._ws.ConnectAsync(new Uri(server.BaseUrl.Replace("http://", "ws://") + $"api/kernels/{kernelId}/channels?session_id={c._session}"), CancellationToken.None);
        c._loop = Task.Run(c.Loop);
        return c;
    }

    public void Reset(int n, string msgId)
    {
        lock (_text)
        {
            _parent = msgId;
            _text.Clear();
            _n = n;
            _idle = false;
            StreamMessages = 0;
            _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async Task Send(string code, string id)
    {
        var header = $"{{\"msg_id\":\"{id}\",\"msg_type\":\"execute_request\",\"username\":\"bench\",\"session\":\"{_session}\",\"date\":\"{DateTime.UtcNow:O}\",\"version\":\"5.3\"}}";
        var content = Encoding.UTF8.GetString(ExecutionPeers.ExecuteContent(code));
        var frame = Encoding.UTF8.GetBytes($"{{\"header\":{header},\"parent_header\":{{}},\"metadata\":{{}},\"content\":{content},\"channel\":\"shell\"}}");
        await _ws.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
    }

    /// <summary>True when idle arrived with the text complete; false when idle arrived without it (output lost).</summary>
    public async Task<bool> WaitDone(TimeSpan timeout)
    {
        try { return await _done!.Task.WaitAsync(timeout); }
        catch (TimeoutException) { return false; }
    }

    private Task Loop() => WebSocketMessages.ReadAllAsync(_ws, Handle);

    private void Handle(ReadOnlyMemory<byte> data)
    {
        using var doc = JsonDocument.Parse(data);
        var root = doc.RootElement;
        if (!root.TryGetProperty("channel", out var ch) || ch.GetString() != "iopub") return;
        var parent = root.GetProperty("parent_header");
        if (!parent.TryGetProperty("msg_id", out var pid) || pid.GetString() != _parent) return;
        var type = root.GetProperty("header").GetProperty("msg_type").GetString();
        var content = root.GetProperty("content");
        lock (_text)
        {
            if (type == "stream" && content.GetProperty("name").GetString() == "stdout")
            {
                _text.Append(content.GetProperty("text").GetString());
                StreamMessages++;
            }
            else if (type == "status" && content.GetProperty("execution_state").GetString() == "idle") _idle = true;
            else return;
            if (_idle) _done?.TrySetResult(ExecutionPeers.Complete(_text, _n));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); } catch (WebSocketException) { }
        if (_loop != null) await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _ws.Dispose();
    }
}
