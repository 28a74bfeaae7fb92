using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using JupyterRtc.Kernels.Wire;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace JupyterRtc.Kernels.Tests;

/// <summary>A kernel manager over Debian's kernelspecs with a scratch root and runtime dir; disposing kills everything.</summary>
public sealed class KernelHarness : IAsyncDisposable
{
    public string Scratch { get; } = Directory.CreateTempSubdirectory("jrtc-kernels-").FullName;
    public KernelManager Manager { get; }
    public ConcurrentQueue<string> Logs { get; } = new();

    public KernelHarness(Action<KernelOptions>? configure = null)
    {
        Directory.CreateDirectory(Path.Combine(Scratch, "root", "sub"));
        var options = new KernelOptions { RuntimeDir = Path.Combine(Scratch, "runtime"), RootDir = Path.Combine(Scratch, "root") };
        configure?.Invoke(options);
        Manager = new KernelManager(new KernelSpecManager(["/usr/share/jupyter"]), options, (level, m) => Logs.Enqueue($"{level}: {m}"));
    }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        try { Directory.Delete(Scratch, true); } catch (IOException) { }
    }
}

/// <summary>Collects a kernel's messages and runs code the way a frontend does.</summary>
public sealed class Collector : IDisposable
{
    private readonly Kernel _kernel;
    public ConcurrentQueue<KernelMessage> All { get; } = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public Collector(Kernel kernel)
    {
        _kernel = kernel;
        kernel.MessageReceived += OnMessage;
    }

    private void OnMessage(KernelMessage m)
    {
        All.Enqueue(m);
        _arrived.Release();
    }

    public static byte[] ExecuteContent(string code) => KernelMessage.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("code", code);
        w.WriteBoolean("silent", false);
        w.WriteBoolean("store_history", true);
        w.WriteStartObject("user_expressions");
        w.WriteEndObject();
        w.WriteBoolean("allow_stdin", true);
        w.WriteBoolean("stop_on_error", true);
        w.WriteEndObject();
    });

    public KernelMessage SendExecute(string code)
    {
        var m = KernelMessage.Create(KernelChannel.Shell, "execute_request", _kernel.Client.Session, ExecuteContent(code));
        _kernel.Client.Send(m);
        return m;
    }

    /// <summary>Waits for a message matching <paramref name="match"/> (already received or future).</summary>
    public async Task<KernelMessage> WaitFor(Func<KernelMessage, bool> match, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var hit = All.FirstOrDefault(match);
            if (hit != null) return hit;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("no matching message; got: " + string.Join(", ", All.Select(x => x.ToString())));
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Runs code; returns the iopub messages of the request once it is idle, and the execute_reply.</summary>
    public async Task<(List<KernelMessage> Iopub, KernelMessage Reply)> Execute(string code, int seconds = 60)
    {
        var req = SendExecute(code);
        var reply = await WaitFor(m => m.Channel == KernelChannel.Shell && m.ParentMsgId == req.MsgId, seconds);
        await WaitFor(m => m.MsgType == "status" && m.ParentMsgId == req.MsgId && m.ExecutionState() == "idle", seconds);
        return (All.Where(m => m.Channel == KernelChannel.IOPub && m.ParentMsgId == req.MsgId).ToList(), reply);
    }

    public static JsonElement Content(KernelMessage m) => JsonDocument.Parse(m.Content).RootElement;
    public static string Text(KernelMessage m) => Encoding.UTF8.GetString(m.Content);

    public void Dispose() => _kernel.MessageReceived -= OnMessage;
}
