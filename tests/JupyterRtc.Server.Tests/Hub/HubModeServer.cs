using System.Net;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Tests.Hub;

/// <summary>
/// A JupyterRtc in this process configured as JupyterHub starts a single-user server (the <c>JUPYTERHUB_*</c> variables,
/// given as overrides so the process environment stays untouched), talking to a <see cref="FakeHub"/>.
/// </summary>
public sealed class HubModeServer : IAsyncDisposable
{
    public const string Prefix = "/user/alice/";

    public FakeHub Hub { get; private set; } = null!;
    public ServerHost Host { get; private set; } = null!;
    public string Scratch { get; } = Directory.CreateTempSubdirectory("jrtc-hub-").FullName;
    public string Root => Path.Combine(Scratch, "root");
    public Uri BaseAddress => Host.BaseAddress;
    public StringWriter Console { get; } = new();
    private readonly List<HttpClient> _clients = [];

    public static async Task<HubModeServer> StartAsync(Dictionary<string, string>? extraEnv = null, Action<FakeHub>? prepare = null)
    {
        var s = new HubModeServer();
        try
        {
            Directory.CreateDirectory(s.Root);
            s.Hub = await FakeHub.StartAsync();
            prepare?.Invoke(s.Hub);
            var env = new Dictionary<string, string>
            {
                ["JUPYTERHUB_SERVICE_URL"] = "http://127.0.0.1:0" + Prefix,
                ["JUPYTERHUB_SERVICE_PREFIX"] = Prefix,
                ["JUPYTERHUB_API_URL"] = s.Hub.ApiUrl,
                ["JUPYTERHUB_API_TOKEN"] = FakeHub.ServerToken,
                ["JUPYTERHUB_CLIENT_ID"] = FakeHub.ClientId,
                ["JUPYTERHUB_OAUTH_CALLBACK_URL"] = Prefix + "oauth_callback",
                ["JUPYTERHUB_OAUTH_ACCESS_SCOPES"] = """["access:servers!server=alice/", "access:servers!user=alice"]""",
                ["JUPYTERHUB_USER"] = "alice",
                ["JUPYTERHUB_SERVER_NAME"] = "",
                ["JUPYTERHUB_BASE_URL"] = "/",
                ["JUPYTERHUB_HOST"] = "",
                ["JUPYTERHUB_ACTIVITY_URL"] = s.Hub.ApiUrl + "/users/alice/activity",
            };
            foreach (var (k, v) in extraEnv ?? []) env[k] = v;
            string[] args =
            [
                $"--ServerApp.root_dir={s.Root}", $"--JupyterRtc.runtime_dir={Path.Combine(s.Scratch, "runtime")}",
                $"--JupyterRtc.config_dir={Path.Combine(s.Scratch, "config")}", $"--JupyterRtc.data_dir={Path.Combine(s.Scratch, "data")}",
            ];
            s.Host = ServerHost.Create(args, s.Console, env);
            await s.Host.StartAsync();
            return s;
        }
        catch
        {
            await s.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of the server (base address = the prefix), never following redirects.</summary>
    public HttpClient NewClient(string? token = null, CookieContainer? cookies = null)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = cookies != null };
        if (cookies != null) handler.CookieContainer = cookies;
        var client = new HttpClient(handler) { BaseAddress = BaseAddress };
        if (token != null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + token);
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        if (Host != null) await Host.DisposeAsync();
        if (Hub != null) await Hub.DisposeAsync();
        try { Directory.Delete(Scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
