using System.Diagnostics;
using System.Text;
using JupyterRtc.Kernels.Wire;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterRtc.Kernels.Tests;

/// <summary>Against Debian's real ipykernel.</summary>
public class KernelLifecycleTests
{
    private static bool ProcessGone(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return p.HasExited; }
        catch (ArgumentException) { return true; }
    }

    private static async Task WaitUntil(Func<bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Start_Execute_Outputs_Shutdown_LeavesNoProcess()
    {
        await using var h = new KernelHarness();
        var kernel = await h.Manager.StartAsync("python3", "sub/nb.ipynb", new Dictionary<string, string> { ["JPY_SESSION_NAME"] = "x" });
        Assert.True(File.Exists(kernel.ConnectionFile));
        Assert.Equal(Path.Combine(h.Scratch, "root", "sub"), kernel.Cwd);
        var pid = kernel.Pid!.Value;
        using var c = new Collector(kernel);

        var (iopub, reply) = await c.Execute("import os; print(os.getcwd()); print(os.environ['JPY_SESSION_NAME'])");
        Assert.Equal("ok", Collector.Content(reply).GetProperty("status").GetString());
        var text = string.Concat(iopub.Where(m => m.MsgType == "stream").Select(m => Collector.Content(m).GetProperty("text").GetString()));
        Assert.Equal($"{kernel.Cwd}\nx\n", text);

        (iopub, _) = await c.Execute("from IPython.display import display, HTML; display(HTML('<b>hi</b>'))");
        Assert.Contains(iopub, m => m.MsgType == "display_data" && Collector.Text(m).Contains("<b>hi</b>"));
        // 1+1 before the error: ipykernel aborts requests that arrive right after one (stop_on_error).
        (iopub, _) = await c.Execute("1+1");
        Assert.Contains(iopub, m => m.MsgType == "execute_result" && Collector.Content(m).GetProperty("data").GetProperty("text/plain").GetString() == "2");
        (iopub, reply) = await c.Execute("1/0");
        Assert.Equal("error", Collector.Content(reply).GetProperty("status").GetString());
        Assert.Contains(iopub, m => m.MsgType == "error" && Collector.Content(m).GetProperty("ename").GetString() == "ZeroDivisionError");
        Assert.Equal("idle", kernel.ExecutionState);

        await h.Manager.ShutdownAsync(kernel.Id);
        Assert.True(ProcessGone(pid));
        Assert.False(File.Exists(kernel.ConnectionFile));
        Assert.Null(h.Manager.Get(kernel.Id));
    }

    [Fact]
    public async Task Owner_IsSet_BeforeTheKernelIsVisible()
    {
        await using var h = new KernelHarness();
        // What a listener or a lister sees at the first moment the kernel exists: already private.
        string? ownerAtStart = "unset", ownerInMap = "unset";
        h.Manager.KernelStarted += k => { ownerAtStart = k.Owner; ownerInMap = h.Manager.Get(k.Id)?.Owner; };
        var kernel = await h.Manager.StartAsync(null, null, owner: "alice");
        Assert.Equal("alice", kernel.Owner);
        Assert.Equal("alice", ownerAtStart);
        Assert.Equal("alice", ownerInMap);
        var shared = await h.Manager.StartAsync(null, null);
        Assert.Null(shared.Owner);
        Assert.Null(ownerAtStart);
    }

    /// <summary>Runs a long sleep and interrupts it (again, until the signal lands after the sleep began); the execute_reply or null.</summary>
    private static async Task<KernelMessage?> InterruptSleepingCell(Kernel kernel, Collector c)
    {
        var req = c.SendExecute("import time\nprint('sleeping', flush=True)\ntime.sleep(100)");
        // The sleep has started once its print has arrived.
        await c.WaitFor(m => m.MsgType == "stream" && m.ParentMsgId == req.MsgId);
        KernelMessage? reply = null;
        for (var attempt = 0; attempt < 10 && reply == null; attempt++)
        {
            await kernel.InterruptAsync();
            try { reply = await c.WaitFor(m => m.Channel == KernelChannel.Shell && m.ParentMsgId == req.MsgId, 5); }
            catch (TimeoutException) { }
        }
        return reply;
    }

    [Fact]
    public async Task Interrupt_StopsSleep()
    {
        await using var h = new KernelHarness();
        var kernel = await h.Manager.StartAsync(null, null);
        using var c = new Collector(kernel);
        var reply = await InterruptSleepingCell(kernel, c);
        Assert.NotNull(reply);
        Assert.Equal("error", Collector.Content(reply).GetProperty("status").GetString());
        Assert.Equal("KeyboardInterrupt", Collector.Content(reply).GetProperty("ename").GetString());
        // ipykernel aborts requests that arrive just after an error (stop_on_error): retry until one runs.
        string? status = null;
        for (var i = 0; i < 20 && status != "ok"; i++)
        {
            var (_, after) = await c.Execute("2+2");
            status = Collector.Content(after).GetProperty("status").GetString();
            if (status != "ok") await Task.Delay(250);
        }
        Assert.Equal("ok", status);
    }

    [Fact]
    public async Task Interrupt_ByMessage_WhenSpecSaysSo()
    {
        var data = Directory.CreateTempSubdirectory("jrtc-specs-msg").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(data, "kernels", "pymsg"));
            File.WriteAllText(Path.Combine(data, "kernels", "pymsg", "kernel.json"),
                """{"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "msg", "language": "python", "interrupt_mode": "message"}""");
            var scratch = Path.Combine(data, "root");
            Directory.CreateDirectory(scratch);
            await using var manager = new KernelManager(new KernelSpecManager([data]), new KernelOptions { RuntimeDir = Path.Combine(data, "runtime"), RootDir = scratch });
            var kernel = await manager.StartAsync("pymsg", null);
            Assert.Equal("message", kernel.Spec.InterruptMode);
            using var c = new Collector(kernel);
            var reply = await InterruptSleepingCell(kernel, c);
            Assert.NotNull(reply);
            Assert.Equal("KeyboardInterrupt", Collector.Content(reply).GetProperty("ename").GetString());
            Assert.Contains(c.All, m => m.Channel == KernelChannel.Control && m.MsgType == "interrupt_reply");
        }
        finally { Directory.Delete(data, true); }
    }

    [Fact]
    public async Task Restart_KeepsId_ForgetsState()
    {
        await using var h = new KernelHarness();
        var kernel = await h.Manager.StartAsync(null, null);
        using var c = new Collector(kernel);
        await c.Execute("x = 41");
        var pid = kernel.Pid!.Value;
        await kernel.RestartAsync();
        Assert.Equal("idle", kernel.ExecutionState);
        Assert.Same(kernel, h.Manager.Get(kernel.Id));
        Assert.NotEqual(pid, kernel.Pid);
        Assert.True(ProcessGone(pid));
        var (iopub, reply) = await c.Execute("x");
        Assert.Equal("NameError", Collector.Content(reply).GetProperty("ename").GetString());
    }

    [Fact]
    public async Task Kill9_AutoRestarts_AndTellsListeners()
    {
        await using var h = new KernelHarness();
        var kernel = await h.Manager.StartAsync(null, null);
        var events = new List<KernelLifecycle>();
        kernel.Lifecycle += (_, e) => { lock (events) events.Add(e); };
        var pid = kernel.Pid!.Value;
        Process.GetProcessById(pid).Kill();
        await WaitUntil(() => { lock (events) return events.Contains(KernelLifecycle.AutoRestarted); });
        lock (events) Assert.Equal([KernelLifecycle.AutoRestarting, KernelLifecycle.AutoRestarted], events);
        Assert.NotEqual(pid, kernel.Pid);
        Assert.Equal("idle", kernel.ExecutionState);
        using var c = new Collector(kernel);
        var (_, reply) = await c.Execute("1+1");
        Assert.Equal("ok", Collector.Content(reply).GetProperty("status").GetString());
    }

    [Fact]
    public async Task DiesRepeatedly_BecomesDead_AndIsRemoved()
    {
        // A kernel that lived StableStartTime (10 s) counts as having started well and resets the restart count: on a
        // loaded machine the restarted ipykernel can take that long to be ready, so the second death would restart it.
        await using var h = new KernelHarness(o => { o.RestartLimit = 1; o.StableStartTime = TimeSpan.FromHours(1); });
        var kernel = await h.Manager.StartAsync(null, null);
        var dead = new TaskCompletionSource();
        var restarted = new TaskCompletionSource();
        kernel.Lifecycle += (_, e) =>
        {
            if (e == KernelLifecycle.Dead) dead.TrySetResult();
            if (e == KernelLifecycle.AutoRestarted) restarted.TrySetResult();
        };
        Process.GetProcessById(kernel.Pid!.Value).Kill();
        await restarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Process.GetProcessById(kernel.Pid!.Value).Kill();
        await dead.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("dead", kernel.ExecutionState);
        await WaitUntil(() => h.Manager.Get(kernel.Id) == null);
    }

    [Fact]
    public async Task Culling_ShutsDownIdleKernels()
    {
        await using var h = new KernelHarness(o => { o.CullIdleTimeout = TimeSpan.FromSeconds(1); o.CullInterval = TimeSpan.FromSeconds(1); });
        var kernel = await h.Manager.StartAsync(null, null);
        try { await WaitUntil(() => h.Manager.Get(kernel.Id) == null); }
        catch (TimeoutException) { Assert.Fail($"not culled: state {kernel.ExecutionState}, last activity {kernel.LastActivity:O}, logs: {string.Join("\n", h.Logs)}"); }
        Assert.Contains(h.Logs, l => l.Contains("Culling 'idle' kernel"));
    }

    [Fact]
    public async Task UnknownSpec_Throws()
    {
        await using var h = new KernelHarness();
        await Assert.ThrowsAsync<NoSuchKernelSpecException>(() => h.Manager.StartAsync("nope", null));
    }

    /// <summary>A fake kernel (bare ZeroMQ sockets) publishes forged, unsigned and good messages: only the good one gets through.</summary>
    [Fact]
    public async Task ForgedAndUnsignedMessages_AreDroppedAndLogged()
    {
        var info = ConnectionInfo.CreateNew("fake");
        using var pub = new PublisherSocket();
        pub.Bind(info.Endpoint(info.IopubPort));
        var logs = new List<string>();
        using var client = new KernelClient(info, (_, m) => { lock (logs) logs.Add(m); });
        var got = new List<KernelMessage>();
        client.MessageReceived += m => { lock (got) got.Add(m); };
        using var signer = new MessageSigner(info.Key);
        using var forger = new MessageSigner("not-the-key");
        void Publish(MessageSigner? s, string id)
        {
            var header = KernelMessage.HeaderJson(id, "stream", "k");
            byte[] parent = "{}"u8.ToArray(), meta = "{}"u8.ToArray(), content = "{\"name\":\"stdout\",\"text\":\"x\"}"u8.ToArray();
            var sig = s?.Sign(header, parent, meta, content) ?? [];
            pub.SendMoreFrame("kernel.iopub").SendMoreFrame("<IDS|MSG>").SendMoreFrame(sig).SendMoreFrame(header)
                .SendMoreFrame(parent).SendMoreFrame(meta).SendFrame(content);
        }
        // Publish until the subscription is live and the good message arrives.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Publish(forger, "forged");
            Publish(null, "unsigned");
            Publish(signer, "good");
            await Task.Delay(100);
            lock (got) if (got.Count > 0) break;
        }
        // Now that the subscription is live, each kind once more, in order: the subscription may have become live
        // between the bad messages and the good one of the last round, which would then never have arrived.
        Publish(forger, "forged");
        Publish(null, "unsigned");
        pub.SendFrame("garbage");
        Publish(signer, "last");
        await WaitUntil(() => { lock (got) return got.Any(m => m.MsgId == "last"); });
        lock (got) Assert.All(got, m => Assert.Contains(m.MsgId, new[] { "good", "last" }));
        Assert.True(client.RejectedMessages >= 3);
        lock (logs)
        {
            Assert.Contains(logs, l => l.Contains("invalid signature"));
            Assert.Contains(logs, l => l.Contains("no signature"));
            Assert.Contains(logs, l => l.Contains("malformed"));
        }
    }
}
