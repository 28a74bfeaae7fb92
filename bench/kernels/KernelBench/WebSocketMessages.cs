using System.Net.WebSockets;

/// <summary>Reads whole websocket messages into one growing buffer and hands each to the client (both benchmark clients).</summary>
static class WebSocketMessages
{
    public static async Task ReadAllAsync(WebSocket ws, Action<ReadOnlyMemory<byte>> handle)
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                var len = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    if (len == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                    r = await ws.ReceiveAsync(buffer.AsMemory(len), CancellationToken.None);
                    len += r.Count;
                } while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close) return;
                handle(buffer.AsMemory(0, len));
            }
        }
        catch (WebSocketException) { }
    }
}
