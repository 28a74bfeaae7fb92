using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text.Json;
using JupyterRtc.Kernels.Wire;

namespace JupyterRtc.Server.Api.Kernels;

public enum KernelWsProtocol { Legacy, V1 }

/// <summary>One websocket message ready to send: the bytes and whether it is a text or binary frame.</summary>
public readonly record struct WsFrame(byte[] Data, WebSocketMessageType Type);

/// <summary>A client message that cannot be relayed; the text says why (it ends up in the log).</summary>
public sealed class BadKernelFrameException(string message) : Exception(message);

/// <summary>
/// The two kernel websocket encodings (section 4.5/4.6 of the reference). Kernel to client, the raw JSON parts as
/// they came from ZeroMQ are copied into the frame, never re-serialised; client to kernel, only the part boundaries
/// are found (and the header checked for a msg_type).
/// </summary>
public static class WebSocketCodec
{
    public const string V1Protocol = "v1.kernel.websocket.jupyter.org";

    public static WsFrame Encode(KernelMessage m, KernelWsProtocol protocol) =>
        protocol == KernelWsProtocol.V1 ? new(EncodeV1(m), WebSocketMessageType.Binary) : EncodeLegacy(m);

    /// <summary>uint64 LE: n = 6 + nbuf, n offsets, then channel, header, parent, metadata, content, buffers.</summary>
    public static byte[] EncodeV1(KernelMessage m)
    {
        var channel = m.Channel.NameUtf8();
        var nbuf = m.Buffers.Count;
        var n = 6 + nbuf;
        var start = 8 * (n + 1);
        long total = start + channel.Length + m.Header.Length + m.ParentHeader.Length + m.Metadata.Length + m.Content.Length;
        foreach (var b in m.Buffers) total += b.Length;
        var frame = new byte[total];
        var span = frame.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)n);
        var pos = start;
        var i = 1;
        void Part(ReadOnlySpan<byte> part, Span<byte> s)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(s[(8 * i)..], (ulong)pos);
            part.CopyTo(s[pos..]);
            pos += part.Length;
            i++;
        }
        Part(channel, span);
        Part(m.Header, span);
        Part(m.ParentHeader, span);
        Part(m.Metadata, span);
        Part(m.Content, span);
        foreach (var b in m.Buffers) Part(b, span);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(8 * i)..], (ulong)pos);
        return frame;
    }

    /// <summary>JSON text frame, or (with buffers) the big-endian uint32 binary layout.</summary>
    public static WsFrame EncodeLegacy(KernelMessage m)
    {
        var json = LegacyJson(m);
        if (m.Buffers.Count == 0) return new(json, WebSocketMessageType.Text);
        var nbufs = 1 + m.Buffers.Count;
        var start = 4 * (nbufs + 1);
        var total = start + json.Length + m.Buffers.Sum(b => b.Length);
        var frame = new byte[total];
        var span = frame.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)nbufs);
        var pos = start;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)pos);
        json.CopyTo(span[pos..]);
        pos += json.Length;
        for (var k = 0; k < m.Buffers.Count; k++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[(8 + 4 * k)..], (uint)pos);
            m.Buffers[k].CopyTo(span[pos..]);
            pos += m.Buffers[k].Length;
        }
        return new(frame, WebSocketMessageType.Binary);
    }

    private static readonly byte[] K1 = "{\"header\":"u8.ToArray(), K2 = ",\"msg_id\":"u8.ToArray(), K3 = ",\"msg_type\":"u8.ToArray(),
        K4 = ",\"parent_header\":"u8.ToArray(), K5 = ",\"metadata\":"u8.ToArray(), K6 = ",\"content\":"u8.ToArray(),
        K7 = ",\"buffers\":[],\"channel\":\""u8.ToArray(), K8 = "\"}"u8.ToArray(), K7NoBuffers = ",\"channel\":\""u8.ToArray();

    /// <summary>The legacy JSON message, assembled from the raw parts (plus Python's top-level msg_id/msg_type copies).</summary>
    public static byte[] LegacyJson(KernelMessage m)
    {
        var id = JsonString(m.MsgId);
        var type = JsonString(m.MsgType);
        var channel = m.Channel.NameUtf8();
        var k7 = m.Buffers.Count == 0 ? K7 : K7NoBuffers;
        var parent = m.ParentHeader.Length == 0 ? "{}"u8.ToArray() : m.ParentHeader;
        var total = K1.Length + m.Header.Length + K2.Length + id.Length + K3.Length + type.Length + K4.Length + parent.Length +
                    K5.Length + m.Metadata.Length + K6.Length + m.Content.Length + k7.Length + channel.Length + K8.Length;
        var result = new byte[total];
        var pos = 0;
        foreach (var part in new[] { K1, m.Header, K2, id, K3, type, K4, parent, K5, m.Metadata, K6, m.Content, k7, channel, K8 })
        {
            part.CopyTo(result, pos);
            pos += part.Length;
        }
        return result;
    }

    private static byte[] JsonString(string s) => JsonSerializer.SerializeToUtf8Bytes(s);

    /// <summary>Decodes a client frame into a message for the kernel (header checked, other parts kept as bytes).</summary>
    public static KernelMessage Decode(ReadOnlySpan<byte> data, WebSocketMessageType type, KernelWsProtocol protocol)
    {
        if (protocol == KernelWsProtocol.V1)
        {
            if (type != WebSocketMessageType.Binary) throw new BadKernelFrameException("text frame in the v1 protocol (binary expected)");
            return DecodeV1(data);
        }
        if (type == WebSocketMessageType.Text) return DecodeLegacyJson(data, []);
        return DecodeLegacyBinary(data);
    }

    public static KernelMessage DecodeV1(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8) throw new BadKernelFrameException($"v1 frame of {data.Length} bytes is too short");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n < 6 || n > 100_000 || 8 * (n + 1) > (ulong)data.Length)
            throw new BadKernelFrameException($"v1 frame declares {n} offsets, which does not fit its {data.Length} bytes");
        var offsets = new int[n];
        ulong prev = 8 * (n + 1);
        for (var i = 0; i < (int)n; i++)
        {
            var o = BinaryPrimitives.ReadUInt64LittleEndian(data[(8 + 8 * i)..]);
            if (o < prev || o > (ulong)data.Length) throw new BadKernelFrameException($"v1 frame offset {i} ({o}) is out of order or beyond the frame");
            offsets[i] = (int)o;
            prev = o;
        }
        ReadOnlySpan<byte> Part(ReadOnlySpan<byte> d, int k) => d[offsets[k]..(k + 1 < offsets.Length ? offsets[k + 1] : d.Length)];
        if (!KernelChannels.TryParseClient(Part(data, 0), out var channel))
            throw new BadKernelFrameException($"unknown channel '{System.Text.Encoding.UTF8.GetString(Part(data, 0)[..Math.Min(40, Part(data, 0).Length)])}'");
        var parent = Part(data, 2);
        var buffers = new List<byte[]>();
        for (var k = 5; k < (int)n - 1; k++) buffers.Add(Part(data, k).ToArray());
        return Build(channel, Part(data, 1).ToArray(), parent.IsEmpty ? "{}"u8.ToArray() : parent.ToArray(), Part(data, 3).ToArray(), Part(data, 4).ToArray(), buffers);
    }

    public static KernelMessage DecodeLegacyBinary(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4) throw new BadKernelFrameException("binary frame too short");
        var nbufs = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (nbufs < 1 || nbufs > 100_000 || 4 * (nbufs + 1) > data.Length)
            throw new BadKernelFrameException($"binary frame declares {nbufs} parts, which does not fit its {data.Length} bytes");
        var offsets = new int[nbufs];
        long prev = 4 * (nbufs + 1);
        for (var i = 0; i < nbufs; i++)
        {
            var o = BinaryPrimitives.ReadUInt32BigEndian(data[(4 + 4 * i)..]);
            if (o < prev || o > data.Length) throw new BadKernelFrameException($"binary frame offset {i} ({o}) is out of order or beyond the frame");
            offsets[i] = (int)o;
            prev = o;
        }
        var buffers = new List<byte[]>();
        for (var k = 1; k < nbufs; k++) buffers.Add(data[offsets[k]..(k + 1 < nbufs ? offsets[k + 1] : data.Length)].ToArray());
        return DecodeLegacyJson(data[offsets[0]..(nbufs > 1 ? offsets[1] : data.Length)], buffers);
    }

    /// <summary>Finds the raw spans of header, parent_header, metadata, content and channel in one pass.</summary>
    public static KernelMessage DecodeLegacyJson(ReadOnlySpan<byte> json, List<byte[]> buffers)
    {
        byte[]? header = null, parent = null, metadata = null, content = null;
        string? channelName = null;
        try
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new BadKernelFrameException("message is not a JSON object");
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var which = r.ValueTextEquals("header"u8) ? 1 : r.ValueTextEquals("parent_header"u8) ? 2 : r.ValueTextEquals("metadata"u8) ? 3
                    : r.ValueTextEquals("content"u8) ? 4 : r.ValueTextEquals("channel"u8) ? 5 : 0;
                r.Read();
                if (which == 5)
                {
                    channelName = r.TokenType == JsonTokenType.String ? r.GetString() : null;
                    continue;
                }
                var startIndex = (int)r.TokenStartIndex;
                r.Skip();
                var raw = json[startIndex..(int)r.BytesConsumed];
                switch (which)
                {
                    case 1: header = raw.ToArray(); break;
                    case 2: parent = raw.SequenceEqual("null"u8) ? "{}"u8.ToArray() : raw.ToArray(); break;
                    case 3: metadata = raw.ToArray(); break;
                    case 4: content = raw.ToArray(); break;
                }
            }
            if (r.TokenType != JsonTokenType.EndObject) throw new BadKernelFrameException("unterminated JSON message");
        }
        catch (JsonException e)
        {
            throw new BadKernelFrameException($"malformed JSON message: {e.Message}");
        }
        KernelChannel channel;
        if (channelName == null) channel = KernelChannel.Shell;
        else if (!KernelChannels.TryParseClient(System.Text.Encoding.UTF8.GetBytes(channelName), out channel))
            throw new BadKernelFrameException($"unknown channel '{(channelName.Length > 40 ? channelName[..40] : channelName)}'");
        if (header == null) throw new BadKernelFrameException("message without header");
        return Build(channel, header, parent ?? "{}"u8.ToArray(), metadata ?? "{}"u8.ToArray(), content ?? "{}"u8.ToArray(), buffers);
    }

    private static KernelMessage Build(KernelChannel channel, byte[] header, byte[] parent, byte[] metadata, byte[] content, List<byte[]> buffers)
    {
        try
        {
            return KernelMessage.FromParts(channel, header, parent, metadata, content, buffers);
        }
        catch (FormatException e)
        {
            throw new BadKernelFrameException(e.Message);
        }
    }
}
