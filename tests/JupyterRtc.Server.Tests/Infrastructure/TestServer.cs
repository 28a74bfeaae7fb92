using System.Net;
using System.Net.Http.Headers;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Tests.Infrastructure;

/// <summary>
/// A real JupyterRtc (Kestrel on 127.0.0.1, a free port) in this process, serving a fresh temporary root, with its own
/// runtime, config and data directories. Dispose stops it and deletes everything it created.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    public string Scratch { get; }
    public string Root { get; }
    public string RuntimeDir => Path.Combine(Scratch, "runtime");
    public string ConfigDir => Path.Combine(Scratch, "config");
    public ServerHost Host { get; private set; } = null!;
    public Uri BaseAddress => Host.BaseAddress;
    /// <summary>What the server printed; tests poll it while server threads write to it.</summary>
    public StringWriter Console { get; } = new LockedStringWriter();
    /// <summary>A client that authenticates with the token header, as scripts and @jupyterlab/services do.</summary>
    public HttpClient Client { get; private set; } = null!;

    private readonly List<HttpClient> _clients = [];

    private TestServer()
    {
        Scratch = Directory.CreateTempSubdirectory("jrtc-test-").FullName;
        Root = Path.Combine(Scratch, "root");
        Directory.CreateDirectory(Root);
    }

    public static async Task<TestServer> StartAsync(params string[] extraArgs)
    {
        var server = new TestServer();
        try
        {
            string[] args =
            [
                "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", $"--ServerApp.root_dir={server.Root}",
                $"--IdentityProvider.token={Token}", $"--JupyterRtc.runtime_dir={server.RuntimeDir}",
                $"--JupyterRtc.config_dir={server.ConfigDir}", $"--JupyterRtc.data_dir={Path.Combine(server.Scratch, "data")}",
                "--FileContentsManager.delete_to_trash=False", "--no-browser", .. extraArgs,
            ];
            server.Host = ServerHost.Create(args, server.Console);
            await server.Host.StartAsync();
            server.Client = server.NewClient();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of this server: with the token header or not, with a cookie jar or not, never following redirects.</summary>
    public HttpClient NewClient(bool token = true, CookieContainer? cookies = null)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = cookies != null };
        if (cookies != null) handler.CookieContainer = cookies;
        var client = new HttpClient(handler) { BaseAddress = BaseAddress };
        if (token) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);
        _clients.Add(client);
        return client;
    }

    public string PathInRoot(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        if (Host != null) await Host.DisposeAsync();
        try { Directory.Delete(Scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A StringWriter that may be read while other threads write to it (a StringBuilder may not).</summary>
public sealed class LockedStringWriter : StringWriter
{
    private readonly Lock _lock = new();
    public override void Write(char value) { lock (_lock) base.Write(value); }
    public override void Write(string? value) { lock (_lock) base.Write(value); }
    public override void Write(char[] buffer, int index, int count) { lock (_lock) base.Write(buffer, index, count); }
    public override void Write(ReadOnlySpan<char> buffer) { lock (_lock) base.Write(buffer); }
    public override void WriteLine(string? value) { lock (_lock) base.WriteLine(value); }
    public override void WriteLine(ReadOnlySpan<char> buffer) { lock (_lock) base.WriteLine(buffer); }
    public override string ToString() { lock (_lock) return base.ToString(); }
}
