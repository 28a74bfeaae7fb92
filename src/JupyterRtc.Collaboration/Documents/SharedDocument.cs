using System.Text.Json;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Encoding;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Collaboration.Documents;

/// <summary>
/// A file's shared document: a Yjs doc in the schema the JupyterLab frontend expects (jupyter_ydoc), with the
/// conversions to and from the Contents model. Every document has the <c>state</c> map (<c>dirty</c>, <c>path</c>,
/// <c>hash</c>, <c>document_id</c>); subclasses add their content types.
/// </summary>
public abstract class SharedDocument
{
    protected SharedDocument(Doc doc)
    {
        Doc = doc;
        State = doc.GetMap("state");
    }

    public Doc Doc { get; }
    public YMap State { get; }

    /// <summary>The Contents API format and type this document loads and saves (<c>json</c>/<c>notebook</c>, <c>text</c>/<c>file</c>).</summary>
    public abstract string Format { get; }
    public abstract string ContentType { get; }

    /// <summary>Fills an empty document from the content of a Contents model (as a client receives it).</summary>
    public abstract void Load(JsonElement content, object? origin = null);

    /// <summary>
    /// Makes the document equal to new content read from disk with the smallest edits it can (cells matched by id,
    /// text by common prefix and suffix), so collaborators keep their cursors, undo stacks and widgets.
    /// Returns whether anything changed.
    /// </summary>
    public abstract bool Reload(JsonElement content, object? origin = null);

    /// <summary>
    /// Three-way merge of a change made on disk into a document with unsaved edits: what changed on disk since
    /// <paramref name="baseContent"/> is applied where the document did not change the same cell (or lines); those
    /// places are conflicts, where the document keeps its version. Returns the number of conflicts.
    /// </summary>
    public abstract int Merge(JsonElement baseContent, JsonElement diskContent, object? origin = null);

    /// <summary>The content as the Contents API takes it in a save (<c>content</c> of the model).</summary>
    public abstract void WriteContent(Utf8JsonWriter w);

    /// <summary>Whether the document's content equals this Contents model content.</summary>
    public abstract bool ContentEquals(JsonElement content);

    public bool Dirty => State.Get("dirty") is AnyValue { Kind: AnyKind.Boolean } d && d.AsBoolean();
    public string? Path => State.Get("path") is AnyValue { Kind: AnyKind.String } p ? p.AsString() : null;

    public static SharedDocument Create(string format, string type, Doc doc) => (format, type) switch
    {
        (_, "notebook") => new NotebookDocument(doc),
        ("base64", _) => new BlobDocument(doc),
        _ => new TextDocument(doc),
    };

    public byte[] ContentJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 1024 }))
            WriteContent(w);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Replaces <paramref name="text"/>'s content with <paramref name="target"/> by one delete and one insert between
    /// their common prefix and suffix (UTF-16 positions, never splitting a surrogate pair).
    /// </summary>
    /// <summary>
    /// The range [start, end) of <paramref name="from"/> that differs from <paramref name="to"/> (their common prefix and
    /// suffix aside), never splitting a surrogate pair.
    /// </summary>
    protected static (int Start, int End) ChangedRange(string from, string to)
    {
        var max = Math.Min(from.Length, to.Length);
        var prefix = 0;
        while (prefix < max && from[prefix] == to[prefix]) prefix++;
        if (prefix > 0 && char.IsHighSurrogate(from[prefix - 1])) prefix--;
        var suffix = 0;
        while (suffix < max - prefix && from[from.Length - 1 - suffix] == to[to.Length - 1 - suffix]) suffix++;
        if (suffix > 0 && char.IsLowSurrogate(from[from.Length - suffix])) suffix--;
        return (prefix, from.Length - suffix);
    }

    public static bool PatchText(YText text, string target)
    {
        var current = text.ToString();
        if (current == target) return false;
        var (prefix, end) = ChangedRange(current, target);
        var deleteLength = end - prefix;
        var insert = target.Substring(prefix, target.Length - (current.Length - end) - prefix);
        if (deleteLength > 0) text.Delete(prefix, deleteLength);
        if (insert.Length > 0) text.Insert(prefix, insert);
        return true;
    }
}
