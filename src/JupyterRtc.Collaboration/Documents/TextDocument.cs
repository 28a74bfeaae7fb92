using System.Text.Json;
using JupyterRtc.Crdt;
using JupyterRtc.Crdt.Types;

namespace JupyterRtc.Collaboration.Documents;

/// <summary>
/// A text file (<c>text:file:&lt;id&gt;</c>): the whole content in the <c>source</c> text. Lines end with <c>\n</c> in the
/// shared text, as the editor expects; a file that used <c>\r\n</c> gets them back when saved, so a collaborative
/// edit does not rewrite every line of a Windows file.
/// </summary>
public sealed class TextDocument : SharedDocument
{
    public TextDocument(Doc doc) : base(doc) => Source = doc.GetText("source");

    public YText Source { get; }
    public override string Format => "text";
    public override string ContentType => "file";

    /// <summary>Whether the file on disk uses Windows line endings.</summary>
    public bool Crlf { get; private set; }

    private string Normalize(string text)
    {
        if (text.Contains("\r\n", StringComparison.Ordinal))
        {
            Crlf = true;
            return text.Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        Crlf = false;
        return text;
    }

    public override void Load(JsonElement content, object? origin = null)
    {
        var text = Normalize(content.ValueKind == JsonValueKind.String ? content.GetString()! : "");
        Doc.Transact(_ => { if (text.Length > 0) Source.Insert(0, text); }, origin);
    }

    public override bool Reload(JsonElement content, object? origin = null)
    {
        var text = Normalize(content.ValueKind == JsonValueKind.String ? content.GetString()! : "");
        var changed = false;
        Doc.Transact(_ => changed = PatchText(Source, text), origin);
        return changed;
    }

    public override int Merge(JsonElement baseContent, JsonElement diskContent, object? origin = null)
    {
        static string Lf(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal) : "";
        var b = Lf(baseContent);
        var d = Lf(diskContent);
        var t = Source.ToString();
        var (p1, e1) = ChangedRange(b, d);     // what the disk changed, as a range of the base
        var (p2, e2) = ChangedRange(b, t);     // what the document changed
        if (p1 == e1 && b.Length == d.Length) return 0;   // the disk did not change after all
        var disjoint = e1 < p2 || e2 < p1 || (p2 == e2 && t.Length == b.Length);
        if (!disjoint) return 1;
        // Apply the disk's change at the same place in the document, shifted if the document's change came before it.
        var at = p1 >= e2 ? p1 + (t.Length - b.Length) : p1;
        var deleteLength = e1 - p1;
        var insert = d.Substring(p1, d.Length - (b.Length - e1) - p1);
        Doc.Transact(_ =>
        {
            if (deleteLength > 0) Source.Delete(at, deleteLength);
            if (insert.Length > 0) Source.Insert(at, insert);
        }, origin);
        return 0;
    }

    public override void WriteContent(Utf8JsonWriter w)
    {
        var text = Source.ToString();
        w.WriteStringValue(Crlf ? text.Replace("\n", "\r\n", StringComparison.Ordinal) : text);
    }

    public override bool ContentEquals(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.String) return false;
        return content.GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal) == Source.ToString();
    }
}
