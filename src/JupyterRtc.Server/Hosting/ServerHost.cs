using System.Net;
using System.Net.Sockets;
using System.Reflection;
using JupyterRtc.Server.Api.Collaboration;
using JupyterRtc.Server.Api.Config;
using JupyterRtc.Server.Api.Contents;
using JupyterRtc.Server.Api.Events;
using JupyterRtc.Server.Api.Execution;
using JupyterRtc.Server.Api.FileId;
using JupyterRtc.Server.Api.Files;
using JupyterRtc.Server.Api.Kernels;
using JupyterRtc.Server.Api.Kernelspecs;
using JupyterRtc.Server.Api.Lab;
using JupyterRtc.Server.Api.Me;
using JupyterRtc.Server.Api.Nbconvert;
using JupyterRtc.Server.Api.Sessions;
using JupyterRtc.Server.Api.Status;
using JupyterRtc.Server.Api.Terminals;
using JupyterRtc.Server.Auth;
using JupyterRtc.Server.Auth.Hub;
using JupyterRtc.Server.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// Builds and runs the server. Each resource registers its services and maps its routes through one extension method
/// pair (<c>AddX</c> / <c>MapX</c>) that lives next to its handlers under <c>Api/</c>; this class only wires them.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    public static string Version { get; } =
        typeof(ServerHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.1.0";

    private readonly RuntimeFiles _runtimeFiles;
    private readonly TextWriter _console;

    public WebApplication App { get; }
    public ServerAppOptions Options { get; }
    /// <summary>The address actually bound, with base_url, e.g. <c>http://127.0.0.1:8888/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;
    public int Port { get; private set; }

    private ServerHost(WebApplication app, ServerAppOptions options, TextWriter console)
    {
        App = app;
        Options = options;
        _console = console;
        _runtimeFiles = new RuntimeFiles(options.RuntimeDir);
    }

    /// <summary>The program: parse, start, print the URLs, wait for SIGINT/SIGTERM, clean up.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "nbvalidate") return NotebookValidateCommand.Run(args[1..]);
        ServerHost host;
        try
        {
            var cl = CommandLine.Parse(args);
            if (cl.Help) { Console.WriteLine(CommandLine.Usage); return 0; }
            if (cl.Version) { Console.WriteLine(Version); return 0; }
            StartupJitProfile.Start();   // not for --help/--version, whose short runs would replace the server's profile
            host = Create(cl, Console.Out);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"jupyter-rtc: error: {e.Message}");
            Console.Error.WriteLine("Run with --help for the options.");
            return 2;
        }
        try
        {
            await host.StartAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            Console.Error.WriteLine($"jupyter-rtc: error: {e.Message}");
            return 1;
        }
        await host.App.WaitForShutdownAsync();
        await host.DisposeAsync();
        return 0;
    }

    /// <summary>Builds the application from Jupyter-style arguments without starting it (tests use this too).</summary>
    /// <param name="environment">variables that take precedence over the process environment (tests)</param>
    public static ServerHost Create(IReadOnlyList<string> args, TextWriter? console = null, IReadOnlyDictionary<string, string>? environment = null) =>
        Create(CommandLine.Parse(args), console ?? Console.Out, environment);

    private static ServerHost Create(CommandLine cl, TextWriter console, IReadOnlyDictionary<string, string>? environment = null)
    {
        var logs = new JupyterConsoleLoggerProvider(console);
        var settings = Environment.GetEnvironmentVariable("JUPYTER_NO_CONFIG") is { Length: > 0 }
            ? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            : JupyterConfigFiles.Load(
                cl.Settings.GetValueOrDefault("JupyterRtc:config_dir") is { } dir ? [dir, .. JupyterPaths.ConfigPath.Skip(1)] : JupyterPaths.ConfigPath,
                cl.Settings.GetValueOrDefault("ServerApp:config_file"),
                w => logs.Write(LogLevel.Warning, "ServerApp", w));
        foreach (var (k, v) in cl.Settings) settings[k] = v; // the command line wins over config files

        // The empty builder, not the slim one: the slim builder adds appsettings.json with reload-on-change, whose file
        // watcher walks the whole working directory (a user's home) before we could clear the sources: 60-70 ms at
        // start-up from a tree of 1,600 directories. We read no ASP.NET configuration files, so only Kestrel and
        // routing are added back.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Configuration.AddInMemoryCollection(settings);
        var options = ServerAppOptions.From(builder.Configuration, environment);
        if (!Directory.Exists(options.RootDir)) throw new ArgumentException($"No such directory: '{options.RootDir}' (ServerApp.root_dir)");
        options.RootDir = Path.GetFullPath(options.RootDir);

        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None);
        // ASP.NET Core starts an Activity and a logging scope for every request whenever this category logs at any
        // level; it only logs request start and end (Information), which we never show. Unhandled errors are logged
        // by Kestrel and by our error middleware, under other categories.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        if (string.Equals(settings.GetValueOrDefault("Application:log_level"), "DEBUG", StringComparison.OrdinalIgnoreCase))
            builder.Logging.SetMinimumLevel(LogLevel.Debug);

        var port = ChoosePort(options, console);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodySize;
            k.AddServerHeader = false;
            if (options.Ip is "" or "*" or "0.0.0.0") k.ListenAnyIP(port);
            else if (options.Ip == "localhost" && port != 0) k.ListenLocalhost(port);
            else if (options.Ip == "localhost") k.Listen(IPAddress.Loopback, 0);
            else k.Listen(ParseAddress(options.Ip), port);
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServerActivity>();
        builder.Services.AddSingleton<IdentityProvider>();
        builder.Services.AddContents(builder.Configuration);
        builder.Services.AddKernels(builder.Configuration);
        builder.Services.AddFileIds();
        builder.Services.AddCollaboration(builder.Configuration);
        builder.Services.AddExecution(builder.Configuration);
        builder.Services.AddEvents();
        builder.Services.AddLab(builder.Configuration);
        IdleMemoryTrim.Add(builder.Services, builder.Configuration);
        var hub = HubOptions.From(options);   // JupyterHub single-user mode (Auth/Hub)
        if (hub != null) builder.Services.AddJupyterHub(hub);

        var app = builder.Build();
        // File ids must follow every rename from the first request on, not from the first collaboration request.
        _ = app.Services.GetRequiredService<JupyterRtc.Contents.FileIds.FileIdStore>();
        EventsEndpoints.WireEvents(app.Services);
        app.UseMiddleware<ErrorHandlingMiddleware>();
        if (hub != null) app.UseJupyterHubForwardedHeaders();
        if (options.BaseUrl != "/")
        {
            var prefix = options.BaseUrl.TrimEnd('/');
            app.Use(async (context, next) =>
            {
                // Everything lives under base_url; a request outside it is not ours.
                if (!context.Request.Path.StartsWithSegments(prefix, out var rest))
                {
                    await JupyterError.WriteAsync(context, 404, "Not Found");
                    return;
                }
                context.Request.PathBase = prefix;
                context.Request.Path = rest;
                await next(context);
            });
        }
        app.UseRouting();
        app.UseWebSockets();
        app.UseMiddleware<AuthMiddleware>();

        var api = app.MapGroup("/api");
        api.MapStatusApi();
        api.MapMeApi();
        api.MapConfigApi();
        api.MapContentsApi();
        api.MapKernelspecsApi();
        api.MapKernelsApi();
        api.MapSessionsApi();
        api.MapExecutionApi();
        api.MapFileIdApi();
        api.MapCollaborationSessionApi();
        api.MapCollaborationRooms();
        api.MapEventsApi();
        api.MapNbconvertApi();
        api.MapTerminalsApi();
        app.MapFiles();
        app.MapKernelspecResources();
        app.MapLab();
        app.MapNbconvert();
        if (hub != null) app.MapHubOAuth();
        else app.MapLogin();
        app.MapGet("/", (HttpContext c, ServerAppOptions o) => Results.Redirect(o.BaseUrl + o.DefaultUrl.TrimStart('/') + c.Request.QueryString));
        app.MapFallback((HttpContext c) => JupyterError.WriteAsync(c, 404, "Not Found"));
        return new ServerHost(app, options, console);
    }

    /// <summary>Jupyter's port search: the port, then the next ones up to <c>port_retries</c> times.</summary>
    private static int ChoosePort(ServerAppOptions o, TextWriter console)
    {
        if (o.Port == 0) return 0;
        for (var i = 0; i <= o.PortRetries; i++)
        {
            var candidate = o.Port + i;
            if (PortFree(o.Ip, candidate)) return candidate;
            console.WriteLine($"[I {DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} ServerApp] The port {candidate} is already in use, trying another port.");
        }
        throw new IOException(o.PortRetries == 0
            ? $"The port {o.Port} is already in use (ServerApp.port_retries=0)."
            : "No available port could be found.");
    }

    private static bool PortFree(string ip, int port)
    {
        var address = ip is "" or "*" or "0.0.0.0" ? IPAddress.Any : ip == "localhost" ? IPAddress.Loopback : ParseAddress(ip);
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.ExclusiveAddressUse = true;
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static IPAddress ParseAddress(string ip)
    {
        if (IPAddress.TryParse(ip.Trim('[', ']'), out var a)) return a;
        var resolved = Dns.GetHostAddresses(ip);
        return resolved.Length > 0 ? resolved[0] : throw new ArgumentException($"Cannot resolve ServerApp.ip '{ip}'");
    }

    /// <summary>Starts listening, writes the runtime files and prints the URLs as Jupyter does.</summary>
    public async Task StartAsync()
    {
        await HubStartup.CheckHubAsync(App.Services);   // JupyterHub: the hub must answer before we serve
        await App.StartAsync();
        var addresses = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Port = new Uri(addresses.First()).Port;
        var hostname = Options.Ip is "" or "*" or "0.0.0.0" ? Dns.GetHostName() : Options.Ip;
        var connectHost = Options.Ip is "" or "*" or "0.0.0.0" ? "127.0.0.1" : Options.Ip.Contains(':') ? $"[{Options.Ip}]" : Options.Ip;
        BaseAddress = new Uri($"http://{connectHost}:{Port}{Options.BaseUrl}");
        _runtimeFiles.Write(Options, hostname, Port, Version);
        App.Lifetime.ApplicationStopping.Register(_runtimeFiles.Remove);
        PrintBanner(hostname);
    }

    private void PrintBanner(string hostname)
    {
        var log = App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ServerApp");
        var path = Options.BaseUrl + Options.DefaultUrl.TrimStart('/');
        var query = Options.Token.Length == 0 ? "" : Options.TokenGenerated ? "?token=" + Options.Token : "?token=...";
        var urls = new List<string> { $"http://{hostname}:{Port}{path}{query}" };
        if (hostname != "127.0.0.1" && ServerAppOptions.IsLoopback(Options.Ip)) urls.Add($"http://127.0.0.1:{Port}{path}{query}");
        log.LogInformation("Serving notebooks from local directory: {RootDir}", Options.RootDir);
        log.LogInformation("JupyterRtc {Version} (Jupyter Server {Compatible} API) is running at:", Version, StatusEndpoints.CompatibleVersion);
        log.LogInformation("{Url}", urls[0]);
        foreach (var u in urls.Skip(1)) log.LogInformation("    {Url}", u);
        log.LogInformation("Use Control-C to stop this server and shut down all kernels (twice to skip confirmation).");
        if (Options.TokenGenerated)
        {
            _console.WriteLine($"[C {DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} ServerApp] ");
            _console.WriteLine();
            _console.WriteLine("    To access the server, open this file in a browser:");
            _console.WriteLine($"        file://{_runtimeFiles.OpenFile}");
            _console.WriteLine("    Or copy and paste one of these URLs:");
            foreach (var u in urls) _console.WriteLine($"        {u}");
            _console.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _runtimeFiles.Remove();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
