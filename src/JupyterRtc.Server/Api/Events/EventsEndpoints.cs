using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Contents;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Events;

/// <summary>
/// <c>/api/events/subscribe</c> (websocket) and <c>POST /api/events</c>. The Contents API's actions and the rooms'
/// activity (save, merge, overwrite, rename, delete) are published on the bus.
/// </summary>
public static class EventsEndpoints
{
    public static IServiceCollection AddEvents(this IServiceCollection services) => services.AddSingleton<EventBus>();

    /// <summary>Connects the event sources to the bus (called once the services exist).</summary>
    public static void WireEvents(IServiceProvider services)
    {
        var bus = services.GetRequiredService<EventBus>();
        services.GetRequiredService<ContentsManager>().Changed += (action, path, from) =>
        {
            var data = new JsonObject { ["action"] = action, ["path"] = path };
            if (from != null) data["source_path"] = from;
            bus.Emit(EventBus.ContentsSchema, data);
        };
        // Kernel life (jupyter_server's kernel_actions schema): start, restart, death, shutdown.
        var kernels = services.GetRequiredService<JupyterRtc.Kernels.IKernelManager>();
        void KernelEvent(JupyterRtc.Kernels.Kernel k, string action, string status) => bus.Emit(EventBus.KernelActionsSchema, new JsonObject
        {
            ["action"] = action, ["kernel_id"] = k.Id, ["kernel_name"] = k.Name, ["status"] = status,
            ["msg"] = $"Kernel {k.Id} ({k.Name}): {action}",
        });
        kernels.KernelStarted += k =>
        {
            // The bus goes to every subscriber alike; a private kernel's id and life are its owner's business only.
            if (k.Owner != null) return;
            KernelEvent(k, "start", "success");
            k.Lifecycle += (kernel, life) =>
            {
                switch (life)
                {
                    case JupyterRtc.Kernels.KernelLifecycle.Restarted: KernelEvent(kernel, "restart", "success"); break;
                    case JupyterRtc.Kernels.KernelLifecycle.AutoRestarted: KernelEvent(kernel, "restart", "success"); break;
                    case JupyterRtc.Kernels.KernelLifecycle.Dead: KernelEvent(kernel, "dead", "error"); break;
                    case JupyterRtc.Kernels.KernelLifecycle.ShutDown: KernelEvent(kernel, "shutdown", "success"); break;
                }
            };
        };
        // Server-side executions (jupyter-server-nbmodel's cell_execution schema); private kernels' are their owner's.
        services.GetRequiredService<JupyterRtc.Execution.ExecutionService>().Activity += (r, what) =>
        {
            if (r.IsPrivate) return;
            var data = new JsonObject
            {
                ["event_type"] = what, ["kernel_id"] = r.KernelId, ["request_id"] = r.Id, ["cell_id"] = r.CellId,
                ["document_id"] = r.DocumentId, ["path"] = r.DocumentPath, ["username"] = r.User,
                ["timestamp"] = DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
            };
            if (what == "execution_end") { data["status"] = r.Outcome; data["success"] = r.Outcome is "ok" or "empty"; }
            bus.Emit(EventBus.CellExecutionSchema, data);
        };
        services.GetRequiredService<RoomManager>().Activity += (room, action, message) =>
        {
            // INFO: the frontend turns any WARNING session event into its "two views of one file" dialog.
            const string level = "INFO";
            bus.Emit(EventBus.CollaborationSessionSchema, new JsonObject
            {
                ["level"] = level, ["room"] = room.Id, ["path"] = room.ApiPath, ["action"] = action switch
                {
                    "merge" => "overwrite", "rename" => "load", "delete" => "clean", var a => a,
                },
                ["msg"] = message,
            });
        };
    }

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.Map("/events/subscribe", async (HttpContext context, EventBus bus) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await JupyterError.WriteAsync(context, 400, "This endpoint is a websocket");
                return;
            }
            // Subscribed before the handshake completes: an event emitted once the client has its 101 reaches it.
            var channel = bus.Subscribe();
            using var closed = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            try
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                // Client messages are ignored; reading them tells when the client goes away.
                _ = DrainAsync(socket, context.RequestAborted).ContinueWith(_ => closed.Cancel(), TaskScheduler.Default);
                while (await channel.Reader.WaitToReadAsync(closed.Token) && socket.State == WebSocketState.Open)
                    while (channel.Reader.TryRead(out var frame))
                        await socket.SendAsync(frame, WebSocketMessageType.Text, true, closed.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
            finally { bus.Unsubscribe(channel); }
        });
        api.MapPost("/events", async (HttpContext context, EventBus bus) =>
        {
            using var body = await JsonResponse.ReadDocumentAsync(context.Request) ?? throw new BadRequestException("No event in the body");
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("schema_id", out var id) || id.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("version", out var version) || version.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)
                || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                throw new BadRequestException("'schema_id', 'version' and 'data' (an object) are required");
            if (!EventBus.Known.TryGetValue(id.GetString()!, out var known) || known != version.ToString())
                throw new BadRequestException($"Unknown event schema or version: {id.GetString()} {version}");
            bus.Emit(id.GetString()!, JsonNode.Parse(data.GetRawText())!.AsObject());
            context.Response.StatusCode = 204;
        });
        return api;
    }

    private static async Task DrainAsync(WebSocket socket, CancellationToken token)
    {
        var buffer = new byte[4096];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var r = await socket.ReceiveAsync(buffer, token);
                if (r.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
    }
}
