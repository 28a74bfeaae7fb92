using System.Buffers;
using System.Text;
using System.Text.Json;

namespace JupyterRtc.Kernels.Wire;

public enum KernelChannel { Shell, Control, Stdin, IOPub }

public static class KernelChannels
{
    public static string Name(this KernelChannel c) => c switch
    {
        KernelChannel.Shell => "shell",
        KernelChannel.Control => "control",
        KernelChannel.Stdin => "stdin",
        _ => "iopub",
    };

    public static byte[] NameUtf8(this KernelChannel c) => c switch
    {
        KernelChannel.Shell => "shell"u8.ToArray(),
        KernelChannel.Control => "control"u8.ToArray(),
        KernelChannel.Stdin => "stdin"u8.ToArray(),
        _ => "iopub"u8.ToArray(),
    };

    /// <summary>Channels a client may send on (iopub is kernel to client only).</summary>
    public static bool TryParseClient(ReadOnlySpan<byte> name, out KernelChannel channel)
    {
        if (name.SequenceEqual("shell"u8)) { channel = KernelChannel.Shell; return true; }
        if (name.SequenceEqual("control"u8)) { channel = KernelChannel.Control; return true; }
        if (name.SequenceEqual("stdin"u8)) { channel = KernelChannel.Stdin; return true; }
        channel = default;
        return false;
    }
}

/// <summary>
/// A kernel message as its raw JSON parts (exactly the bytes that travelled on ZeroMQ) plus the few fields routing
/// needs, read from the header and parent header without building any object model.
/// </summary>
public sealed class KernelMessage
{
    public required KernelChannel Channel { get; init; }
    public required byte[] Header { get; init; }
    public required byte[] ParentHeader { get; init; }
    public required byte[] Metadata { get; init; }
    public required byte[] Content { get; init; }
    public IReadOnlyList<byte[]> Buffers { get; init; } = [];

    public string MsgId { get; private set; } = "";
    public string MsgType { get; private set; } = "";
    public string Session { get; private set; } = "";
    public string? ParentMsgId { get; private set; }
    public string? ParentMsgType { get; private set; }
    public string? ParentSession { get; private set; }

    /// <summary>Size of all parts, for limits and accounting.</summary>
    public long Length => Header.Length + ParentHeader.Length + Metadata.Length + Content.Length + Buffers.Sum(b => (long)b.Length);

    /// <summary>Builds a message from raw parts; throws <see cref="FormatException"/> when the header is not a JSON object with a msg_type.</summary>
    public static KernelMessage FromParts(KernelChannel channel, byte[] header, byte[] parent, byte[] metadata, byte[] content, IReadOnlyList<byte[]>? buffers = null)
    {
        var m = new KernelMessage { Channel = channel, Header = header, ParentHeader = parent, Metadata = metadata, Content = content, Buffers = buffers ?? [] };
        try
        {
            (m.MsgId, m.MsgType, m.Session) = ReadIds(header, required: true);
            if (parent.Length > 2) (m.ParentMsgId, m.ParentMsgType, m.ParentSession) = ReadIds(parent, required: false);
        }
        catch (JsonException e)
        {
            throw new FormatException($"malformed header: {e.Message}");
        }
        if (m.MsgType.Length == 0) throw new FormatException("header without msg_type");
        return m;
    }

    /// <summary>msg_id, msg_type and session of a header object (top level only; other keys skipped unread).</summary>
    internal static (string Id, string Type, string Session) ReadIds(ReadOnlySpan<byte> json, bool required)
    {
        var r = new Utf8JsonReader(json);
        if (!r.Read()) throw new JsonException("empty");
        if (r.TokenType == JsonTokenType.Null && !required) return ("", "", "");
        if (r.TokenType != JsonTokenType.StartObject) throw new JsonException("header is not an object");
        string id = "", type = "", session = "";
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var which = r.ValueTextEquals("msg_id"u8) ? 1 : r.ValueTextEquals("msg_type"u8) ? 2 : r.ValueTextEquals("session"u8) ? 3 : 0;
            r.Read();
            if (which != 0 && r.TokenType == JsonTokenType.String)
            {
                var s = r.GetString()!;
                if (which == 1) id = s; else if (which == 2) type = s; else session = s;
            }
            else r.Skip();
        }
        if (r.TokenType != JsonTokenType.EndObject) throw new JsonException("unterminated header");
        return (id, type, session);
    }

    /// <summary>For iopub <c>status</c> messages: <c>content.execution_state</c>.</summary>
    public string? ExecutionState()
    {
        if (MsgType != "status") return null;
        try
        {
            var r = new Utf8JsonReader(Content);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var hit = r.ValueTextEquals("execution_state"u8);
                r.Read();
                if (hit && r.TokenType == JsonTokenType.String) return r.GetString();
                r.Skip();
            }
        }
        catch (JsonException) { }
        return null;
    }

    public override string ToString() => $"{Channel.Name()} {MsgType} {MsgId}";

    /// <summary>A new message made by this process (requests to the kernel, status messages told to clients).</summary>
    public static KernelMessage Create(KernelChannel channel, string msgType, string session, ReadOnlySpan<byte> contentJson,
        KernelMessage? parent = null, string username = "jupyter-rtc")
    {
        var header = HeaderJson(Guid.NewGuid().ToString("N"), msgType, session, username);
        return FromParts(channel, header, parent?.Header ?? "{}"u8.ToArray(), "{}"u8.ToArray(), contentJson.ToArray());
    }

    public static byte[] HeaderJson(string msgId, string msgType, string session, string username = "jupyter-rtc")
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("msg_id"u8, msgId);
            w.WriteString("msg_type"u8, msgType);
            w.WriteString("username"u8, username);
            w.WriteString("session"u8, session);
            w.WriteString("date"u8, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("version"u8, "5.3");
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
