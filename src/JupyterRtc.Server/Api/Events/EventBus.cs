using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace JupyterRtc.Server.Api.Events;

/// <summary>
/// The server's event bus (jupyter_events), seen by clients on <c>/api/events/subscribe</c>: each event is one JSON text
/// frame <c>{"schema_id": ..., ...data}</c>, serialised once and queued to every subscriber. A subscriber that falls
/// far behind loses its oldest events rather than slowing the server down.
/// </summary>
public sealed class EventBus
{
    public const string ContentsSchema = "https://events.jupyter.org/jupyter_server/contents_service/v1";
    public const string KernelActionsSchema = "https://events.jupyter.org/jupyter_server/kernel_actions/v1";
    public const string CellExecutionSchema = "https://events.jupyter.org/jupyter_server_nbmodel/cell_execution/v1";
    public const string CollaborationSessionSchema = "https://schema.jupyter.org/jupyter_collaboration/session/v1";

    /// <summary>Schemas a client may emit with <c>POST /api/events</c>, with their versions.</summary>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        [ContentsSchema] = "1", [KernelActionsSchema] = "1", [CollaborationSessionSchema] = "1",
    };

    private readonly Lock _lock = new();
    private readonly List<Channel<byte[]>> _subscribers = [];

    public Channel<byte[]> Subscribe()
    {
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock) _subscribers.Add(channel);
        return channel;
    }

    public void Unsubscribe(Channel<byte[]> channel)
    {
        lock (_lock) _subscribers.Remove(channel);
        channel.Writer.TryComplete();
    }

    public int SubscriberCount { get { lock (_lock) return _subscribers.Count; } }

    public void Emit(string schemaId, JsonObject data)
    {
        Channel<byte[]>[] targets;
        lock (_lock)
        {
            if (_subscribers.Count == 0) return;
            targets = [.. _subscribers];
        }
        var capsule = new JsonObject { ["schema_id"] = schemaId };
        foreach (var (k, v) in data) capsule[k] = v?.DeepClone();
        var frame = JsonSerializer.SerializeToUtf8Bytes(capsule);
        foreach (var t in targets) t.Writer.TryWrite(frame);
    }
}
