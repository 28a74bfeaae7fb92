using System.Text;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Contents.Notebooks;

/// <summary>
/// nbformat's on-disk conventions, so a notebook read and written by JupyterRtc is byte-identical to one written by
/// Jupyter: multi-line strings are stored as lists of lines and served joined; transient keys are stripped on save.
/// </summary>
public static class NotebookFormat
{
    /// <summary>Parses notebook text and joins line lists into strings (nbformat's <c>rejoin_lines</c>).</summary>
    public static JObject Read(string text)
    {
        var token = PythonJson.Parse(text);
        if (token is not JObject nb) throw new FormatException("Notebook JSON is not an object");
        var major = nb["nbformat"];
        if (major == null || major.Type != JTokenType.Integer)
            throw new FormatException("Notebook does not appear to be JSON-based nbformat: no integer 'nbformat' key");
        if ((long)major != 4) throw new FormatException($"Unsupported nbformat version {major} (only version 4 is read)");
        // What nbformat's reader cannot do without: it refuses these notebooks outright (Jupyter answers 400).
        if (nb["metadata"] == null) throw new FormatException("The notebook is invalid and is missing an expected key: metadata");
        if (nb["cells"] is not JArray cells) throw new FormatException("The notebook is invalid and is missing an expected key: cells");
        foreach (var cell in cells)
            if (cell is not JObject c || c["metadata"] == null)
                throw new FormatException("The notebook is invalid and is missing an expected key: metadata");
        if (nb["nbformat_minor"] is JValue { Type: JTokenType.Integer } minor && (long)minor >= 5) RepairCellIds(cells);
        RejoinLines(nb);
        return nb;
    }

    /// <summary>Serialises a notebook as nbformat writes it: lines split, transient keys stripped, trailing newline.</summary>
    public static string Write(JObject notebook)
    {
        var nb = (JObject)notebook.DeepClone();
        StripTransient(nb);
        SplitLines(nb);
        return PythonJson.Dumps(nb) + "\n";
    }

    /// <summary>Sets every code cell's <c>metadata.trusted</c>, as Jupyter Server's <c>mark_trusted_cells</c>.</summary>
    public static void MarkTrusted(JObject nb, bool trusted)
    {
        if (nb["cells"] is not JArray cells) return;
        foreach (var cell in cells)
            if (cell is JObject c && (string?)c["cell_type"] == "code" && c["metadata"] is JObject meta)
                meta["trusted"] = trusted;
    }

    /// <summary>
    /// Whether the notebook may be signed on save (nbformat's <c>check_cells</c>): every code cell is either marked
    /// trusted or has no rich output (<c>execute_result</c> / <c>display_data</c> with data); streams and errors are
    /// always sanitised, so they need no trust.
    /// </summary>
    public static bool AllCodeCellsWithOutputsTrusted(JObject nb)
    {
        if (nb["cells"] is not JArray cells) return false;
        foreach (var cell in cells)
        {
            if ((string?)cell["cell_type"] != "code") continue;
            if (cell["metadata"]?["trusted"] is JValue { Type: JTokenType.Boolean } t && (bool)t) continue;
            if (cell["outputs"] is not JArray outputs) continue;
            foreach (var output in outputs)
            {
                if (output is not JObject o || (string?)o["output_type"] is not ("execute_result" or "display_data")) continue;
                foreach (var p in o.Properties())
                    if (p.Name is not ("output_type" or "execution_count" or "metadata")) return false;
            }
        }
        return true;
    }

    /// <summary>
    /// From nbformat 4.5 every cell has a unique id; like nbformat's reader, a missing or duplicated id gets a fresh
    /// one (in memory: the file changes only when saved).
    /// </summary>
    private static void RepairCellIds(JArray cells)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in cells)
        {
            var c = (JObject)cell;
            if (c["id"] is JValue { Type: JTokenType.String } id && seen.Add((string)id!)) continue;
            if (c["id"] != null && c["id"]!.Type != JTokenType.String) continue; // a wrong type is reported by validation
            string fresh;
            do fresh = Guid.NewGuid().ToString("N")[..8]; while (!seen.Add(fresh));
            c["id"] = fresh;
        }
    }

    public static JObject NewNotebook() => new()
    {
        ["cells"] = new JArray(),
        ["metadata"] = new JObject(),
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    };

    private static void StripTransient(JObject nb)
    {
        if (nb["metadata"] is JObject meta)
        {
            meta.Remove("orig_nbformat");
            meta.Remove("orig_nbformat_minor");
            meta.Remove("signature");
        }
        if (nb["cells"] is JArray cells)
            foreach (var cell in cells)
                if (cell["metadata"] is JObject cm) cm.Remove("trusted");
    }

    private static void RejoinLines(JObject nb)
    {
        if (nb["cells"] is not JArray cells) return;
        foreach (var cell in cells)
        {
            if (cell is not JObject c) continue;
            if (c["source"] is JArray src && AllStrings(src)) c["source"] = Join(src);
            if (c["attachments"] is JObject atts)
                foreach (var a in atts.Properties())
                    if (a.Value is JObject bundle) RejoinBundle(bundle);
            if ((string?)c["cell_type"] != "code" || c["outputs"] is not JArray outputs) continue;
            foreach (var output in outputs)
            {
                if (output is not JObject o) continue;
                var type = (string?)o["output_type"];
                if (type is "execute_result" or "display_data") { if (o["data"] is JObject data) RejoinBundle(data); }
                else if (type != null && o["text"] is JArray text && AllStrings(text)) o["text"] = Join(text);
            }
        }
    }

    private static void RejoinBundle(JObject bundle)
    {
        foreach (var p in bundle.Properties())
            if (!IsJsonMime(p.Name) && p.Value is JArray lines && AllStrings(lines)) p.Value = Join(lines);
    }

    private static void SplitLines(JObject nb)
    {
        if (nb["cells"] is not JArray cells) return;
        foreach (var cell in cells)
        {
            if (cell is not JObject c) continue;
            if (c["source"] is JValue { Type: JTokenType.String } src) c["source"] = Split((string)src!);
            if (c["attachments"] is JObject atts)
                foreach (var a in atts.Properties())
                    if (a.Value is JObject bundle) SplitBundle(bundle);
            if ((string?)c["cell_type"] != "code" || c["outputs"] is not JArray outputs) continue;
            foreach (var output in outputs)
            {
                if (output is not JObject o) continue;
                var type = (string?)o["output_type"];
                if (type is "execute_result" or "display_data") { if (o["data"] is JObject data) SplitBundle(data); }
                else if (type == "stream" && o["text"] is JValue { Type: JTokenType.String } text) o["text"] = Split((string)text!);
            }
        }
    }

    private static void SplitBundle(JObject bundle)
    {
        foreach (var p in bundle.Properties())
            if (p.Value is JValue { Type: JTokenType.String } v &&
                (p.Name.StartsWith("text/", StringComparison.Ordinal) || p.Name is "application/javascript" or "image/svg+xml"))
                p.Value = Split((string)v!);
    }

    private static bool IsJsonMime(string mime) =>
        mime == "application/json" || (mime.StartsWith("application/", StringComparison.Ordinal) && mime.EndsWith("+json", StringComparison.Ordinal));

    private static bool AllStrings(JArray arr)
    {
        foreach (var t in arr) if (t.Type != JTokenType.String) return false;
        return true;
    }

    private static JValue Join(JArray lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines) sb.Append((string)l!);
        return new JValue(sb.ToString());
    }

    /// <summary>Python's <c>str.splitlines(keepends=True)</c>, with every line boundary Python recognises.</summary>
    public static JArray Split(string text)
    {
        var result = new JArray();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                result.Add(text.Substring(start, i + 1 - start));
                start = i + 1;
            }
        }
        if (start < text.Length) result.Add(text[start..]);
        return result;
    }
}
