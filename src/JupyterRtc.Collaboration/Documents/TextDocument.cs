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

    public override void Load(JsonElement content)
    {
        var text = Normalize(content.ValueKind == JsonValueKind.String ? content.GetString()! : "");
        Doc.Transact(_ => { if (text.Length > 0) Source.Insert(0, text); });
    }

    public override bool Reload(JsonElement content)
    {
        var text = Normalize(content.ValueKind == JsonValueKind.String ? content.GetString()! : "");
        var changed = false;
        Doc.Transact(_ => changed = PatchText(Source, text));
        return changed;
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
