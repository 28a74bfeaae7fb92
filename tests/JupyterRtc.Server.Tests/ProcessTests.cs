using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests;

/// <summary>
/// The built program as users run it: console URLs, runtime files that Debian's <c>jupyter server list</c> reads,
/// graceful SIGTERM, port retries, config files and option errors.
/// </summary>
public sealed class ProcessTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("jrtc-proc-").FullName;
    private string RuntimeDir => Path.Combine(_scratch, "runtime");
    private string ConfigDir => Path.Combine(_scratch, "config");

    public void Dispose()
    {
        try { Directory.Delete(_scratch, true); } catch (IOException) { }
    }

    private sealed class Running(Process process, StringBuilder output) : IDisposable
    {
        public Process Process { get; } = process;
        public string Output { get { lock (output) return output.ToString(); } }

        public async Task<string> WaitForLine(string contains, int timeoutMs = 20000)
        {
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < timeoutMs)
            {
                if (Output.Contains(contains)) return Output;
                if (Process.HasExited) break;
                await Task.Delay(20);
            }
            throw new Xunit.Sdk.XunitException($"'{contains}' not printed; output:\n{Output}");
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private Running Start(params string[] args)
    {
        // Through `env --default-signal`: a test run started as a background job inherits SIGINT ignored, and the .NET
        // runtime (like Python) keeps an inherited SIG_IGN; a user at a terminal has the default disposition.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _scratch };
        psi.ArgumentList.Add("--default-signal=INT,TERM");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(TestHttp.ServerDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["JUPYTER_RUNTIME_DIR"] = RuntimeDir;
        psi.Environment["JUPYTER_CONFIG_DIR"] = ConfigDir;
        psi.Environment["JUPYTER_DATA_DIR"] = Path.Combine(_scratch, "data");
        psi.Environment.Remove("JUPYTER_TOKEN");
        var output = new StringBuilder();
        var p = Process.Start(psi)!;
        void Append(object _, DataReceivedEventArgs e) { if (e.Data != null) lock (output) output.AppendLine(e.Data); }
        p.OutputDataReceived += Append;
        p.ErrorDataReceived += Append;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new Running(p, output);
    }

    private static void Signal(int pid, string signal) => Process.Start("kill", ["-" + signal, pid.ToString()])!.WaitForExit();

    [Fact]
    public async Task Prints_the_token_url_writes_runtime_files_that_jupyter_server_list_reads_and_cleans_up_on_sigterm()
    {
        var port = TestPorts.Free();
        using var server = Start("--ip=127.0.0.1", $"--port={port}", "--port-retries=0", $"--notebook-dir={_scratch}", "--no-browser");
        var output = await server.WaitForLine("Or copy and paste one of these URLs:");
        await server.WaitForLine($"http://127.0.0.1:{port}/lab?token=");
        var token = System.Text.RegularExpressions.Regex.Match(output, @"\?token=([0-9a-f]{48})").Groups[1].Value;
        Assert.Equal(48, token.Length);

        var info = Path.Combine(RuntimeDir, $"jpserver-{server.Process.Id}.json");
        var html = Path.Combine(RuntimeDir, $"jpserver-{server.Process.Id}-open.html");
        Assert.True(File.Exists(info));
        Assert.True(File.Exists(html));
        Assert.Contains($"?token={token}", File.ReadAllText(html));
        var json = JObject.Parse(File.ReadAllText(info));
        Assert.Equal(port, (int)json["port"]!);
        Assert.Equal(token, (string?)json["token"]);
        Assert.Equal($"http://127.0.0.1:{port}/", (string?)json["url"]);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(info));

        // Debian's Jupyter Server lists running servers from the same runtime directory.
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-m", "jupyter_server", "list", "--json"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["JUPYTER_RUNTIME_DIR"] = RuntimeDir;
        using (var list = Process.Start(psi)!)
        {
            var listed = await list.StandardOutput.ReadToEndAsync();
            await list.WaitForExitAsync();
            var entry = JObject.Parse(listed.Trim().Split('\n')[0]);
            Assert.Equal(server.Process.Id, (int)entry["pid"]!);
            Assert.Equal(token, (string?)entry["token"]);
        }

        using (var http = new HttpClient())
        {
            var r = await http.GetAsync($"http://127.0.0.1:{port}/api/status?token={token}");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Signal(server.Process.Id, "TERM");
        Assert.True(server.Process.WaitForExit(15000), "did not exit on SIGTERM");
        Assert.Equal(0, server.Process.ExitCode);
        Assert.False(File.Exists(info));
        Assert.False(File.Exists(html));
    }

    [Fact]
    public async Task A_taken_port_moves_to_the_next_one_and_sigint_stops_gracefully()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            using var server = Start("--ip=127.0.0.1", $"--port={port}", "--port-retries=5", $"--notebook-dir={_scratch}",
                "--IdentityProvider.token=given", "--no-browser");
            var output = await server.WaitForLine("is running at:");
            Assert.Contains($"The port {port} is already in use, trying another port.", output);
            await server.WaitForLine("/lab?token=...");   // a given token is not printed
            Assert.DoesNotContain("given", server.Output);
            Signal(server.Process.Id, "INT");
            Assert.True(server.Process.WaitForExit(30000), "no exit after SIGINT; output:\n" + server.Output);
            Assert.Empty(Directory.GetFiles(RuntimeDir, "jpserver-*"));
        }
        finally { taken.Stop(); }
    }

    [Fact]
    public void Unknown_option_is_an_error_naming_it()
    {
        using var server = Start("--bogus-option=1");
        Assert.True(server.Process.WaitForExit(15000));
        // Only the overload without a timeout waits for the redirected output to be read to its end (a 100 ms pause
        // was not always enough on a loaded machine).
        server.Process.WaitForExit();
        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains("--bogus-option", server.Output);
    }

    [Fact]
    public async Task Settings_come_from_jupyter_server_config_json()
    {
        var port = TestPorts.Free();
        Directory.CreateDirectory(ConfigDir);
        File.WriteAllText(Path.Combine(ConfigDir, "jupyter_server_config.json"),
            $"{{\"ServerApp\": {{\"port\": {port}, \"ip\": \"127.0.0.1\", \"base_url\": \"/cfg/\", \"port_retries\": 0}}, \"IdentityProvider\": {{\"token\": \"fromfile\"}}}}");
        using var server = Start($"--notebook-dir={_scratch}");
        await server.WaitForLine($"http://127.0.0.1:{port}/cfg/lab?token=...");
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/cfg/api/status?token=fromfile")).StatusCode);
    }

    private static long ResidentKb(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    [Fact]
    public async Task A_server_that_goes_quiet_returns_its_unused_heap_to_the_system()
    {
        var port = TestPorts.Free();
        using var server = Start("--ip=127.0.0.1", $"--port={port}", "--IdentityProvider.token=t", $"--notebook-dir={_scratch}",
            "--JupyterRtc.memory_trim_after=1", "--log-level=DEBUG");
        await server.WaitForLine($"http://127.0.0.1:{port}/lab?token=...");
        // A busy moment: saves and reads of an 8 MB file leave garbage and a grown heap behind.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Add("Authorization", "token t");
        var body = new JObject { ["type"] = "file", ["format"] = "text", ["content"] = new string('x', 8 << 20) }.ToString();
        for (var i = 0; i < 4; i++)
        {
            (await http.PutAsync("api/contents/big.txt", new StringContent(body))).EnsureSuccessStatusCode();
            (await http.GetAsync("api/contents/big.txt")).EnsureSuccessStatusCode();
        }
        var busy = ResidentKb(server.Process.Id);
        var output = await server.WaitForLine("of unused heap", 30000);
        var quiet = ResidentKb(server.Process.Id);
        var m = System.Text.RegularExpressions.Regex.Match(output, @"\((\d+) -> (\d+) MB committed\)");
        Assert.True(m.Success, output);
        Assert.True(int.Parse(m.Groups[2].Value) < int.Parse(m.Groups[1].Value), m.Value);
        Assert.True(quiet < busy, $"resident {busy} KB when busy, {quiet} KB after the trim");
    }
}
