using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using JupyterRtc.Contents;
using JupyterRtc.Kernels;
using JupyterRtc.Kernels.Wire;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Kernels;

/// <summary>
/// <c>/api/kernels</c> (section 4.2 of the reference) and the kernel websocket <c>/api/kernels/&lt;id&gt;/channels</c>
/// (4.4 to 4.8): thin handlers over <see cref="IKernelManager"/> and <see cref="KernelRelay"/>.
/// </summary>
public static partial class KernelsEndpoints
{
    public static IServiceCollection AddKernels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp => KernelsSettings.KernelOptions(configuration, sp.GetRequiredService<ServerAppOptions>()));
        services.AddSingleton(_ => KernelsSettings.RelayOptions(configuration));
        services.AddSingleton<IKernelSpecManager>(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("KernelSpecManager");
            return new KernelSpecManager(KernelsSettings.DataPath(sp.GetRequiredService<ServerAppOptions>()),
                sp.GetRequiredService<KernelOptions>().DefaultKernelName, KernelsSettings.AllowedKernelspecs(configuration),
                w => log.LogWarning("{Warning}", w));
        });
        services.AddSingleton<IKernelManager>(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("MappingKernelManager");
            var manager = new KernelManager(sp.GetRequiredService<IKernelSpecManager>(), sp.GetRequiredService<KernelOptions>(), (level, m) =>
                log.Log(level switch
                {
                    KernelLogLevel.Debug => LogLevel.Debug,
                    KernelLogLevel.Information => LogLevel.Information,
                    KernelLogLevel.Warning => LogLevel.Warning,
                    _ => LogLevel.Error,
                }, "{Message}", m));
            var activity = sp.GetRequiredService<ServerActivity>();
            activity.KernelCount = () => manager.List().Count;
            activity.LastKernelActivity = () => manager.List().Select(k => (DateTime?)k.LastActivity).Max();
            return manager;
        });
        services.AddSingleton<ISessionManager>(sp => new SessionManager(sp.GetRequiredService<IKernelManager>()));
        services.AddSingleton(sp =>
        {
            var relay = new KernelRelay(sp.GetRequiredService<IKernelManager>(), sp.GetRequiredService<KernelRelayOptions>(), sp.GetRequiredService<ILoggerFactory>());
            sp.GetRequiredService<ServerActivity>().ConnectionCount = () => relay.ConnectionCount;
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(relay.CloseAll);
            return relay;
        });
        return services;
    }

    [GeneratedRegex(@"^\w+-\w+-\w+-\w+-\w+$")]
    public static partial Regex KernelId();

    public static RouteGroupBuilder MapKernelsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/kernels", List);
        api.MapPost("/kernels", Start);
        api.MapGet("/kernels/{id}", Get);
        api.MapDelete("/kernels/{id}", Delete);
        api.MapPost("/kernels/{id}/interrupt", Interrupt);
        api.MapPost("/kernels/{id}/restart", Restart);
        api.MapGet("/kernels/{id}/channels", Channels);
        // The relay subscribes to kernel removals: make it exist from the start.
        _ = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<KernelRelay>();
        return api;
    }

    public static void WriteModel(Utf8JsonWriter w, Kernel k)
    {
        w.WriteStartObject();
        w.WriteString("id", k.Id);
        w.WriteString("name", k.Name);
        w.WriteString("last_activity", Timestamps.Format(k.LastActivity));
        w.WriteString("execution_state", k.ExecutionState);
        w.WriteNumber("connections", k.Connections);
        if (k.Reason != null) w.WriteString("reason", k.Reason);
        // Only private kernels carry these: a shared kernel's model stays exactly Jupyter Server's.
        if (k.Owner != null)
        {
            w.WriteString("owner", k.Owner);
            w.WriteBoolean("private", true);
        }
        w.WriteEndObject();
    }

    private static Task WriteKernel(HttpContext context, int status, Kernel k) => JsonResponse.WriteUtf8Async(context, status, w => WriteModel(w, k));

    /// <summary>The kernel of a route's id, or null (404) when there is none or it is another user's private kernel.</summary>
    private static Kernel? Find(HttpContext context, IKernelManager kernels, string id) =>
        KernelId().IsMatch(id) ? KernelAccess.Find(context, kernels, id) : null;

    private static Task NotFound(HttpContext context, string id) => JupyterError.WriteAsync(context, 404, $"Kernel does not exist: {id}");

    private static Task List(HttpContext context, IKernelManager kernels) => JsonResponse.WriteUtf8Async(context, 200, w =>
    {
        w.WriteStartArray();
        foreach (var k in KernelAccess.Visible(context, kernels)) WriteModel(w, k);
        w.WriteEndArray();
    });

    private static string? OptionalString(JsonElement body, string key) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static async Task Start(HttpContext context, IKernelManager kernels, ServerAppOptions options)
    {
        using var doc = await JsonResponse.ReadDocumentAsync(context.Request);
        var body = doc?.RootElement ?? default;
        if (doc != null && body.ValueKind != JsonValueKind.Object) throw new BadRequestException("Kernel start body must be a JSON object");
        var name = OptionalString(body, "name");
        var path = OptionalString(body, "path");
        var id = OptionalString(body, "kernel_id");
        var wantPrivate = KernelAccess.PrivateFlag(body);
        if (id != null && kernels.Get(id) is { } existing)
        {
            // Someone else's private kernel is answered as a missing one would be on every other route; starting a
            // new kernel under its id is impossible, so this is the one place where "missing" means 404, not a start.
            if (!KernelAccess.CanUse(context, existing)) { await NotFound(context, id); return; }
            if (wantPrivate is { } p && p != (existing.Owner != null))
            {
                await JupyterError.WriteAsync(context, 409, $"Kernel {id} already exists and is {(existing.Owner == null ? "shared" : "private")}");
                return;
            }
            context.Response.Headers.Location = $"{options.BaseUrl}api/kernels/{existing.Id}";
            await WriteKernel(context, 200, existing);
            return;
        }
        Kernel kernel;
        try
        {
            kernel = await kernels.StartAsync(name, path, null, id, wantPrivate == true ? KernelAccess.UserName(context) : null, context.RequestAborted);
        }
        catch (NoSuchKernelSpecException e)
        {
            await JupyterError.WriteAsync(context, 404, $"Kernel spec {e.KernelName} not found", "No such kernel");
            return;
        }
        catch (KernelStartException e)
        {
            await JupyterError.WriteAsync(context, 500, e.Message, "Kernel failed to start");
            return;
        }
        context.Response.Headers.Location = $"{options.BaseUrl}api/kernels/{kernel.Id}";
        await WriteKernel(context, 201, kernel);
    }

    private static Task Get(HttpContext context, string id, IKernelManager kernels) =>
        Find(context, kernels, id) is { } k ? WriteKernel(context, 200, k) : NotFound(context, id);

    private static async Task Delete(HttpContext context, string id, IKernelManager kernels)
    {
        if (Find(context, kernels, id) == null) { await NotFound(context, id); return; }
        try { await kernels.ShutdownAsync(id); }
        catch (KeyNotFoundException) { await NotFound(context, id); return; }
        context.Response.StatusCode = 204;
    }

    private static async Task Interrupt(HttpContext context, string id, IKernelManager kernels)
    {
        if (Find(context, kernels, id) is not { } k) { await NotFound(context, id); return; }
        await k.InterruptAsync();
        context.Response.StatusCode = 204;
    }

    private static async Task Restart(HttpContext context, string id, IKernelManager kernels, ILoggerFactory logs)
    {
        if (Find(context, kernels, id) is not { } k) { await NotFound(context, id); return; }
        try
        {
            await k.RestartAsync(cancel: CancellationToken.None);
        }
        catch (Exception e) when (e is KernelStartException or TimeoutException)
        {
            logs.CreateLogger("MappingKernelManager").LogError("Exception restarting kernel {Kernel}: {Error}", id, e.Message);
            await JupyterError.WriteAsync(context, 500, $"Exception restarting kernel: {e.Message}");
            return;
        }
        await WriteKernel(context, 200, k);
    }

    /// <summary>The kernel websocket: protocol by subprotocol, many connections per kernel, offline buffering by session_id.</summary>
    private static async Task Channels(HttpContext context, string id, IKernelManager kernels, KernelRelay relay, ILoggerFactory logs)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await JupyterError.WriteAsync(context, 400, "Can \"Upgrade\" only to \"WebSocket\".");
            return;
        }
        if (Find(context, kernels, id) is not { } kernel || kernel.IsDead) { await NotFound(context, id); return; }
        var log = logs.CreateLogger("ZMQChannelsWebsocketConnection");
        var protocol = relay.Options.AllowV1 && context.WebSockets.WebSocketRequestedProtocols.Contains(WebSocketCodec.V1Protocol)
            ? KernelWsProtocol.V1 : KernelWsProtocol.Legacy;
        var sessionId = context.Request.Query["session_id"].FirstOrDefault();
        if (string.IsNullOrEmpty(sessionId))
        {
            log.LogWarning("No session ID specified for websocket of kernel {Kernel}", id);
            sessionId = null;
        }
        // The connection joins the kernel's hub before the handshake completes, so that whatever the kernel says once the
        // client has its 101 reaches it (as Jupyter Server's ZMQ streams exist before the upgrade): it queues meanwhile.
        var connection = new KernelWsConnection(protocol, sessionId, id, log, relay.Options.SendQueueLimit);
        KernelHub? hub = null;
        List<KernelMessage>? replay = null;
        try
        {
            hub = relay.HubFor(kernel);
            replay = hub.Add(connection);
        }
        catch (InvalidOperationException) { hub = null; }
        WebSocket socket;
        try
        {
            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = protocol == KernelWsProtocol.V1 ? WebSocketCodec.V1Protocol : null,
                KeepAliveInterval = TimeSpan.FromSeconds(30),
            });
        }
        catch
        {
            hub?.Remove(connection);
            throw;
        }
        using var _ = socket;
        connection.Attach(socket);
        if (hub == null)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "kernel shut down", CancellationToken.None);
            return;
        }
        log.LogInformation("Connecting to kernel {Kernel} ({Protocol} protocol, session {Session})", id,
            protocol == KernelWsProtocol.V1 ? WebSocketCodec.V1Protocol : "legacy", sessionId);
        if (replay != null) foreach (var m in replay) connection.Enqueue(WebSocketCodec.Encode(m, protocol));
        var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var sending = connection.SendLoopAsync(stop.Token);
        try
        {
            await connection.ReceiveLoopAsync(relay.Options.MaxMessageSize, m =>
            {
                if (!connection.Sessions.Contains(m.Session)) { hub.Route(m.Session, connection); connection.Sessions.Add(m.Session); }
                try { kernel.Client.Send(m); }
                catch (ObjectDisposedException) { log.LogWarning("Kernel {Kernel} is gone: message dropped", id); }
            }, stop.Token);
        }
        finally
        {
            hub.Remove(connection);
            connection.Close(WebSocketCloseStatus.NormalClosure, "");
            try { await sending.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
            await stop.CancelAsync();
            stop.Dispose();
            log.LogInformation("Websocket of kernel {Kernel} (session {Session}) closed", id, sessionId);
        }
    }
}
