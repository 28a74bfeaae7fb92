using System.Buffers;
using System.Net.WebSockets;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Collaboration.Storage;
using JupyterRtc.Contents;
using JupyterRtc.Contents.FileIds;
using JupyterRtc.Server.Auth;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Collaboration;

/// <summary>
/// <c>/api/collaboration/room/&lt;room id&gt;</c>: the websocket of jupyter-collaboration's rooms (rtc-protocol §2).
/// The handler only moves frames between the socket and the <see cref="RoomManager"/>; authentication and the origin
/// check happened in the auth middleware like for every websocket.
/// </summary>
public static class RoomEndpoints
{
    private static int _connectionCounter;

    public static IServiceCollection AddCollaboration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => CollaborationSettings.Bind(configuration));
        services.AddSingleton<IUpdateStore>(sp => new FileUpdateStore(
            Path.Combine(sp.GetRequiredService<ServerAppOptions>().DataDir, "jupyter-rtc", "ystore"),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Collaboration.Store")));
        services.AddSingleton(sp => new RoomManager(sp.GetRequiredService<ContentsManager>(), sp.GetRequiredService<FileIdStore>(),
            sp.GetRequiredService<IUpdateStore>(), sp.GetRequiredService<CollaborationOptions>(), sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }

    public static RouteGroupBuilder MapCollaborationRooms(this RouteGroupBuilder api)
    {
        api.Map("/collaboration/room/{**roomId}", async (HttpContext context, string? roomId, RoomManager rooms, ILoggerFactory logs) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await JupyterError.WriteAsync(context, 400, "This endpoint is a websocket");
                return;
            }
            var log = logs.CreateLogger("Collaboration");
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var user = context.GetUser()?.Username ?? "anonymous";
            var name = $"{user}#{Interlocked.Increment(ref _connectionCounter)}";
            var options = rooms.Options;
            var connection = new WebSocketRoomConnection(socket, name, options.MaxQueuedBytesPerClient, log, context.Abort);
            Room room;
            try
            {
                room = await rooms.JoinAsync(Uri.UnescapeDataString(roomId ?? ""), connection);
            }
            catch (RoomException e)
            {
                log.LogWarning("Room {Room} refused {Client}: {Reason}", roomId, name, e.Message);
                connection.Close(e.CloseCode, Truncate(e.Message));
                await connection.Finished;
                return;
            }
            try
            {
                await ReceiveLoopAsync(socket, connection, room, options.MaxMessageSize, log, context.RequestAborted);
            }
            finally
            {
                await rooms.LeaveAsync(room, connection);
                await connection.StopAsync();
            }
        });
        return api;
    }

    private static async Task ReceiveLoopAsync(WebSocket socket, WebSocketRoomConnection connection, Room room, long maxMessage,
        ILogger log, CancellationToken aborted)
    {
        // Not cancelled by our own close: cancelling a receive aborts the socket (the client would see 1006, not our
        // code). Our close frame goes out from the send loop; the client answers it and this loop sees the close.
        var stop = aborted;
        // An idle client holds no buffer: the loop waits with a zero-byte read, then borrows one from the pool for the
        // message (grown for the rare large one, a first sync) and gives it back.
        while (socket.State == WebSocketState.Open)
        {
            ValueWebSocketReceiveResult result;
            byte[]? message = null;
            var count = 0;
            var buffer = Array.Empty<byte>();
            try
            {
                result = await socket.ReceiveAsync(Memory<byte>.Empty, stop);
                if (result.MessageType == WebSocketMessageType.Close) return;
                buffer = ArrayPool<byte>.Shared.Rent(4096);
                while (!result.EndOfMessage)
                {
                    if (count == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), stop);
                    count += result.Count;
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    if (count > maxMessage)
                    {
                        log.LogWarning("{Client} sent a message over {Max} bytes (YDocExtension.max_message_size); closing it", connection.Name, maxMessage);
                        connection.Close(CloseCodes.MessageTooBig, "message too big");
                        return;
                    }
                }
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    log.LogDebug("{Client} sent a text frame; rooms speak binary only", connection.Name);
                    continue;
                }
                if (count > 0) message = buffer.AsSpan(0, count).ToArray();
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                return;
            }
            finally
            {
                if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
            }
            if (message != null) await room.ReceiveAsync(connection, message);
        }
    }

    private static string Truncate(string reason)
    {
        // A close reason is at most 123 UTF-8 bytes (RFC 6455).
        while (System.Text.Encoding.UTF8.GetByteCount(reason) > 123) reason = reason[..^1];
        return reason;
    }
}

/// <summary>Binds <see cref="CollaborationOptions"/> from <c>YDocExtension</c> (jupyter-collaboration's names) plus our own traits in the same section (max_message_size, max_save_interval, max_queued_bytes, broadcast_interval).</summary>
public static class CollaborationSettings
{
    public static CollaborationOptions Bind(IConfiguration config)
    {
        var y = config.GetSection("YDocExtension");
        static TimeSpan? Seconds(string? value, TimeSpan? fallback, string name) => ServerAppOptions.OptionalSeconds(value, fallback, name);
        var defaults = new CollaborationOptions();
        return new CollaborationOptions
        {
            SaveDelay = Seconds(y["document_save_delay"], defaults.SaveDelay, "YDocExtension.document_save_delay"),
            FilePollInterval = Seconds(y["file_poll_interval"], defaults.FilePollInterval, "YDocExtension.file_poll_interval") ?? TimeSpan.Zero,
            CleanupDelay = Seconds(y["document_cleanup_delay"], defaults.CleanupDelay, "YDocExtension.document_cleanup_delay") ?? TimeSpan.FromDays(3650),
            MaxSaveInterval = Seconds(y["max_save_interval"], defaults.MaxSaveInterval, "YDocExtension.max_save_interval") ?? defaults.MaxSaveInterval,
            BroadcastIntervalPerClient = Seconds(y["broadcast_interval"], defaults.BroadcastIntervalPerClient, "YDocExtension.broadcast_interval") ?? TimeSpan.Zero,
            MaxMessageSize = ServerAppOptions.Int64(y["max_message_size"], defaults.MaxMessageSize, "YDocExtension.max_message_size"),
            MaxQueuedBytesPerClient = ServerAppOptions.Int64(y["max_queued_bytes"], defaults.MaxQueuedBytesPerClient, "YDocExtension.max_queued_bytes"),
        };
    }
}
