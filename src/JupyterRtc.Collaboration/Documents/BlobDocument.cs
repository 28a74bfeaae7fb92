using System.Text.Json;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Collaboration.Documents;

/// <summary>
/// A binary file (<c>base64:file:&lt;id&gt;</c>), as jupyter_ydoc's YBlob: the <c>source</c> map holds the whole content
/// under <c>bytes</c> (a lib0 Uint8Array). The Contents API exchanges it as base64. A change replaces the bytes whole.
/// </summary>
public sealed class BlobDocument : SharedDocument
{
    public BlobDocument(Doc doc) : base(doc) => Source = doc.GetMap("source");

    public YMap Source { get; }
    public override string Format => "base64";
    public override string ContentType => "file";

    public byte[] Bytes => Source.Get("bytes") switch
    {
        byte[] b => b,
        AnyValue { Kind: AnyKind.Bytes } a => a.AsBytes(),
        _ => [],
    };

    private static byte[] Decode(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.String) return [];
        try { return Convert.FromBase64String(content.GetString()!); }
        catch (FormatException) { return []; }
    }

    public override void Load(JsonElement content, object? origin = null) =>
        Doc.Transact(_ => Source.Set("bytes", Decode(content)), origin);

    public override bool Reload(JsonElement content, object? origin = null)
    {
        var bytes = Decode(content);
        if (bytes.AsSpan().SequenceEqual(Bytes)) return false;
        Doc.Transact(_ => Source.Set("bytes", bytes), origin);
        return true;
    }

    /// <summary>Bytes cannot be merged: a change on disk during unsaved edits is one conflict (the disk copy is kept).</summary>
    public override int Merge(JsonElement baseContent, JsonElement diskContent, object? origin = null) =>
        Decode(baseContent).AsSpan().SequenceEqual(Bytes) ? (Reload(diskContent, origin) ? 0 : 0) : 1;

    public override void WriteContent(Utf8JsonWriter w) => w.WriteBase64StringValue(Bytes);

    public override bool ContentEquals(JsonElement content) => Decode(content).AsSpan().SequenceEqual(Bytes);
}
