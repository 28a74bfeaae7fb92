namespace JupyterRtc.Contents;

/// <summary>
/// Guesses a mimetype from a file name the way Python's <c>mimetypes.guess_type</c> does on the same machine (Jupyter
/// Server uses it for the <c>mimetype</c> field): a built-in table of common types, overridden by the system's
/// <c>/etc/mime.types</c>; compression suffixes (<c>.gz</c>...) are looked through; unknown gives null.
/// </summary>
public static class MimeTypes
{
    private static readonly Lazy<Dictionary<string, string>> Map = new(Load);
    private static readonly HashSet<string> Encodings = [".gz", ".z", ".bz2", ".xz", ".br"];

    public static string? Guess(string name)
    {
        var dot = name.LastIndexOf('.');
        if (dot <= 0 && !(dot == 0 && name.Length > 1)) return null;
        var ext = name[dot..];
        if (Encodings.Contains(ext.ToLowerInvariant()))
        {
            var rest = name[..dot];
            var d2 = rest.LastIndexOf('.');
            if (d2 < 0) return null;
            ext = rest[d2..];
        }
        var map = Map.Value;
        if (map.TryGetValue(ext, out var t)) return t;
        return map.TryGetValue(ext.ToLowerInvariant(), out t) ? t : null;
    }

    private static Dictionary<string, string> Load()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [".txt"] = "text/plain", [".text"] = "text/plain", [".py"] = "text/x-python", [".md"] = "text/markdown",
            [".html"] = "text/html", [".htm"] = "text/html", [".css"] = "text/css", [".csv"] = "text/csv",
            [".js"] = "text/javascript", [".mjs"] = "text/javascript", [".json"] = "application/json",
            [".xml"] = "text/xml", [".svg"] = "image/svg+xml", [".png"] = "image/png", [".jpg"] = "image/jpeg",
            [".jpeg"] = "image/jpeg", [".gif"] = "image/gif", [".ico"] = "image/vnd.microsoft.icon", [".bmp"] = "image/bmp",
            [".webp"] = "image/webp", [".tif"] = "image/tiff", [".tiff"] = "image/tiff", [".pdf"] = "application/pdf",
            [".zip"] = "application/zip", [".tar"] = "application/x-tar", [".bin"] = "application/octet-stream",
            [".exe"] = "application/octet-stream", [".so"] = "application/octet-stream", [".wasm"] = "application/wasm",
            [".sh"] = "application/x-sh", [".c"] = "text/plain", [".h"] = "text/plain", [".mp3"] = "audio/mpeg",
            [".wav"] = "audio/x-wav", [".mp4"] = "video/mp4", [".webm"] = "video/webm", [".ogg"] = "audio/ogg",
            [".tsv"] = "text/tab-separated-values", [".rtf"] = "application/rtf", [".ps"] = "application/postscript",
            [".tex"] = "application/x-tex", [".doc"] = "application/msword", [".xls"] = "application/vnd.ms-excel",
            [".ppt"] = "application/vnd.ms-powerpoint", [".woff"] = "font/woff", [".woff2"] = "font/woff2",
            [".ttf"] = "font/ttf", [".otf"] = "font/otf",
        };
        foreach (var file in new[] { "/etc/mime.types", "/etc/httpd/mime.types", "/etc/apache2/mime.types", "/usr/local/etc/mime.types" })
        {
            try
            {
                if (!File.Exists(file)) continue;
                foreach (var raw in File.ReadLines(file))
                {
                    var line = raw;
                    var hash = line.IndexOf('#');
                    if (hash >= 0) line = line[..hash];
                    var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    for (var i = 1; i < parts.Length; i++) map["." + parts[i]] = parts[0];
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return map;
    }
}
