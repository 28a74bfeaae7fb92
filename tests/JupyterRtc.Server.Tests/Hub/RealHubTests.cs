using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Hub;

/// <summary>Runs only where Debian's JupyterHub is installed (<c>apt-get install jupyterhub</c>; tests/run.sh does).</summary>
public sealed class JupyterHubFactAttribute : FactAttribute
{
    public const string HubProgram = "/usr/bin/jupyterhub";

    public JupyterHubFactAttribute()
    {
        if (!File.Exists(HubProgram)) Skip = $"{HubProgram} is absent: install Debian's jupyterhub package to run the real-hub test";
    }
}

/// <summary>
/// The single-user contract against a real JupyterHub 3.0 (Debian's, with its configurable-http-proxy) on loopback:
/// a user logs in through the hub's form, the hub spawns the built JupyterRtc as <c>Spawner.cmd</c>, the browser follows
/// the OAuth redirects to our <c>/oauth_callback</c>, then uses the Contents API with the cookie and with a hub token;
/// our activity reaches the hub; SIGTERM to the hub leaves no process behind.
/// </summary>
public sealed class RealHubTests : IDisposable
{
    private const string Password = "hub-test-password";
    private const string ServiceToken = "tester-service-token-0123456789abcdef";
    private readonly string _scratch = Directory.CreateTempSubdirectory("jrtc-realhub-").FullName;
    private readonly StringBuilder _hubLog = new();
    private Process? _hub;

    public void Dispose()
    {
        if (_hub is { HasExited: false }) _hub.Kill(entireProcessTree: true);
        _hub?.Dispose();
        try { Directory.Delete(_scratch, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string HubLog { get { lock (_hubLog) return _hubLog.ToString(); } }

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private void StartHub(int proxyPort, int hubPort, int proxyApiPort)
    {
        var config = $"""
            c.JupyterHub.ip = '127.0.0.1'
            c.JupyterHub.port = {proxyPort}
            c.JupyterHub.hub_ip = '127.0.0.1'
            c.JupyterHub.hub_port = {hubPort}
            c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{proxyApiPort}'
            c.ConfigurableHTTPProxy.pid_file = {Py(Path.Combine(_scratch, "proxy.pid"))}
            c.JupyterHub.pid_file = {Py(Path.Combine(_scratch, "hub.pid"))}
            c.JupyterHub.db_url = {Py("sqlite:///" + Path.Combine(_scratch, "hub.sqlite"))}
            c.JupyterHub.cookie_secret_file = {Py(Path.Combine(_scratch, "cookie_secret"))}
            c.JupyterHub.authenticator_class = 'jupyterhub.auth.DummyAuthenticator'
            c.DummyAuthenticator.password = {Py(Password)}
            c.JupyterHub.spawner_class = 'jupyterhub.spawner.SimpleLocalProcessSpawner'
            c.SimpleLocalProcessSpawner.home_dir_template = {Py(Path.Combine(_scratch, "home", "{username}"))}
            c.Spawner.cmd = ['dotnet', {Py(TestHttp.ServerDll)}]
            c.Spawner.ip = '127.0.0.1'
            c.Spawner.port = 0
            c.Spawner.environment = {"{"}'JUPYTERHUB_ACTIVITY_INTERVAL': '1', 'JUPYTER_RUNTIME_DIR': {Py(Path.Combine(_scratch, "runtime"))}{"}"}
            # Only our activity reports may move the server's last_activity during the test.
            c.JupyterHub.last_activity_interval = 3600
            c.JupyterHub.services = [{"{"}'name': 'tester', 'api_token': {Py(ServiceToken)}{"}"}]
            c.JupyterHub.load_roles = [{"{"}'name': 'tester-role', 'services': ['tester'],
                'scopes': ['admin:users', 'admin:servers', 'access:servers', 'read:users', 'tokens']{"}"}]
            """;
        var configFile = Path.Combine(_scratch, "jupyterhub_config.py");
        File.WriteAllText(configFile, config);
        // Through `env --default-signal`: a background test run has SIGINT ignored, which the hub and the servers it
        // spawns would inherit (the spawner stops servers with SIGINT first).
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _scratch };
        foreach (var a in new[] { "--default-signal=INT,TERM", JupyterHubFactAttribute.HubProgram, "-f", configFile }) psi.ArgumentList.Add(a);
        psi.Environment["NODE_PATH"] = "/usr/share/nodejs";   // Debian's proxy's modules, for a Node.js from elsewhere
        _hub = Process.Start(psi)!;
        void Append(object _, DataReceivedEventArgs e) { if (e.Data != null) lock (_hubLog) _hubLog.AppendLine(e.Data); }
        _hub.OutputDataReceived += Append;
        _hub.ErrorDataReceived += Append;
        _hub.BeginOutputReadLine();
        _hub.BeginErrorReadLine();
    }

    private async Task WaitForHub(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_hub!.HasExited) break;
            try
            {
                if ((await client.GetAsync("hub/api")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException("the hub did not come up; its log:\n" + HubLog);
    }

    /// <summary>Follows redirects as a browser would, waiting on the hub's spawn-pending page; returns the URLs visited.</summary>
    private async Task<(List<string> Visited, HttpResponseMessage Last)> Browse(HttpClient browser, string start)
    {
        var visited = new List<string>();
        var url = new Uri(browser.BaseAddress!, start);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            visited.Add(url.PathAndQuery);
            var r = await browser.GetAsync(url);
            if ((int)r.StatusCode is >= 300 and < 400)
            {
                url = new Uri(url, r.Headers.Location!);
                continue;
            }
            if (url.AbsolutePath.Contains("/hub/spawn-pending/") && r.StatusCode == HttpStatusCode.OK)
            {
                await Task.Delay(250);   // the page's script would poll; a reload does the same
                continue;
            }
            return (visited, r);
        }
        throw new Xunit.Sdk.XunitException("navigation did not settle: " + string.Join(" -> ", visited) + "\nhub log:\n" + HubLog);
    }

    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; }
    }

    [JupyterHubFact]
    public async Task A_user_logs_in_through_the_hub_and_uses_the_spawned_server()
    {
        var ports = new[] { TestPorts.Free(), TestPorts.Free(), TestPorts.Free() };
        StartHub(ports[0], ports[1], ports[2]);
        var proxy = new Uri($"http://127.0.0.1:{ports[0]}/");
        var jar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = jar }) { BaseAddress = proxy };
        using var service = new HttpClient { BaseAddress = proxy };
        service.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + ServiceToken);
        await WaitForHub(service);

        // 1. The hub's login form (with its _xsrf field when the hub has one).
        var form = await (await browser.GetAsync("hub/login")).Content.ReadAsStringAsync();
        var fields = new Dictionary<string, string> { ["username"] = "alice", ["password"] = Password };
        if (Regex.Match(form, "name=\"_xsrf\"\\s+value=\"([^\"]+)\"") is { Success: true } xsrfField) fields["_xsrf"] = xsrfField.Groups[1].Value;
        var login = await browser.PostAsync("hub/login?next=", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);

        // 2. Spawn, then the OAuth dance through our callback, ending on a page of the server.
        var (visited, last) = await Browse(browser, login.Headers.Location!.OriginalString);
        Assert.Contains(visited, u => u.StartsWith("/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&", StringComparison.Ordinal));
        Assert.Contains(visited, u => u.StartsWith("/user/alice/oauth_callback?code=", StringComparison.Ordinal));
        Assert.StartsWith("/user/alice/", visited[^1]);
        Assert.True((int)last.StatusCode < 500, $"{visited[^1]} answered {last.StatusCode}");
        var userUrl = new Uri(proxy, "/user/alice/");
        var cookie = jar.GetCookies(userUrl)["jupyterhub-user-alice"];
        Assert.NotNull(cookie);
        Assert.True(cookie.HttpOnly);
        var xsrf = jar.GetCookies(userUrl)["_xsrf"]!.Value;

        // 3. The Contents API with the cookie: reads, and writes with X-XSRFToken (refused without).
        var listing = await browser.GetAsync("user/alice/api/contents");
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        Assert.Equal("3.0.0", listing.Headers.GetValues("X-JupyterHub-Version").Single());
        var me = await (await browser.GetAsync("user/alice/api/me")).ReadObject();
        Assert.Equal("alice", (string?)me["identity"]!["username"]);
        var body = new { type = "file", format = "text", content = "written through the hub" };
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PutAsync("user/alice/api/contents/hello.txt", TestHttp.Json(body))).StatusCode);
        var put = new HttpRequestMessage(HttpMethod.Put, "user/alice/api/contents/hello.txt") { Content = TestHttp.Json(body) };
        put.Headers.Add("X-XSRFToken", xsrf);
        Assert.Equal(HttpStatusCode.Created, (await browser.SendAsync(put)).StatusCode);
        Assert.Equal("written through the hub", File.ReadAllText(Path.Combine(_scratch, "home", "alice", "hello.txt")));

        // 4. A hub API token of the user, and nothing without credentials.
        var issued = await service.PostAsync("hub/api/users/alice/tokens", TestHttp.Json(new { note = "jrtc test" }));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var userToken = (string)(await issued.ReadObject())["token"]!;
        using var scripted = new HttpClient { BaseAddress = proxy };
        scripted.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + userToken);
        var beforeUse = DateTime.UtcNow;
        var file = await scripted.GetAsync("user/alice/api/contents/hello.txt");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("written through the hub", (string?)(await file.ReadObject())["content"]);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = proxy };
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("user/alice/api/contents")).StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await anonymous.GetAsync("user/alice/tree")).StatusCode);

        // 5. The runtime file carries the server's API token, which the REST API accepts.
        var info = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(_scratch, "runtime"), "jpserver-*.json").Single()))!;
        var serverPid = (int)info["pid"]!;
        using var local = new HttpClient();
        local.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + (string)info["token"]!);
        Assert.Equal(HttpStatusCode.OK, (await local.GetAsync(new Uri(proxy, "/user/alice/api/status"))).StatusCode);

        // 6. Our activity report reaches the hub: the server's last_activity moves past the use above.
        DateTime? reported = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var user = await (await service.GetAsync("hub/api/users/alice")).ReadObject();
            if ((string?)user["servers"]?[""]?["last_activity"] is { } stamp &&
                DateTime.Parse(stamp, null, System.Globalization.DateTimeStyles.AdjustToUniversal) >= beforeUse)
            {
                reported = DateTime.Parse(stamp, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
                break;
            }
            await Task.Delay(250);
        }
        Assert.True(reported != null, "the hub never saw activity after the API use; hub log:\n" + HubLog);
        Assert.Contains("POST /hub/api/users/alice/activity", HubLog);

        // 7. SIGTERM to the hub stops the proxy and our server too.
        var proxyPid = int.Parse(File.ReadAllText(Path.Combine(_scratch, "proxy.pid")).Trim());
        Assert.True(Running(serverPid) && Running(proxyPid));
        var hubPid = _hub!.Id;   // env exec()s the hub, so this is the hub's own PID
        Process.Start("kill", ["-TERM", hubPid.ToString()])!.WaitForExit();
        Assert.True(_hub.WaitForExit(60_000), "the hub did not exit on SIGTERM; log:\n" + HubLog);
        var gone = DateTime.UtcNow.AddSeconds(30);
        while ((Running(serverPid) || Running(proxyPid)) && DateTime.UtcNow < gone) await Task.Delay(100);
        Assert.False(Running(serverPid), "the single-user server outlived the hub");
        Assert.False(Running(proxyPid), "the proxy outlived the hub");
        // Our server's output is in the hub's: no secret of ours or of the user's is logged.
        Assert.DoesNotContain((string)info["token"]!, HubLog);
        Assert.DoesNotContain(userToken, HubLog);
    }
}
