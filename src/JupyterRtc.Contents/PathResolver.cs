namespace JupyterRtc.Contents;

/// <summary>
/// The one place that turns an API path (<c>sub/nb.ipynb</c>, relative to the root, already URL-decoded) into a path on
/// disk, and refuses everything that would leave the root: <c>..</c> segments, absolute paths, NUL bytes, over-long
/// paths and symbolic links whose target lies outside the root. Hidden names are reported, not refused, because
/// Jupyter answers them differently per method (404 on read, 400 on write).
/// </summary>
public sealed class PathResolver
{
    private readonly string _root;          // real path of the root, without trailing separator
    private readonly string _rootWithSep;
    private readonly int _maxPathLength;

    public PathResolver(string rootDir, int maxPathLength = 4096)
    {
        var full = Path.GetFullPath(rootDir);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"root directory does not exist: {full}");
        _root = RealPath(full).TrimEnd(Path.DirectorySeparatorChar);
        if (_root.Length == 0) _root = Path.DirectorySeparatorChar.ToString();
        _rootWithSep = _root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar;
        _maxPathLength = maxPathLength;
    }

    public string Root => _root;

    /// <summary>Normalises an API path: no leading or trailing slash, no empty or <c>.</c> segments.</summary>
    public string Normalize(string? apiPath)
    {
        apiPath ??= "";
        if (apiPath.Length > _maxPathLength)
            throw ContentsException.BadRequest($"Path is longer than {_maxPathLength} characters");
        if (apiPath.Contains('\0')) throw ContentsException.BadRequest("Path contains a NUL character");
        var segments = apiPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(segments.Length);
        foreach (var s in segments)
        {
            if (s == ".") continue;
            if (s == "..") throw ContentsException.NotFound($"{apiPath} is outside root contents directory");
            kept.Add(s);
        }
        return string.Join('/', kept);
    }

    /// <summary>The OS path of a normalised API path, checked to stay inside the root even through symlinks.</summary>
    public string ToOsPath(string normalizedPath)
    {
        var os = normalizedPath.Length == 0 ? _root : Path.Combine(_root, normalizedPath.Replace('/', Path.DirectorySeparatorChar));
        if (!IsInsideRoot(os)) throw ContentsException.NotFound($"{normalizedPath} is outside root contents directory");
        return os;
    }

    /// <summary>Whether an OS path (existing or not) resolves, through any symlinks, to the root or below it.</summary>
    public bool IsInsideRoot(string osPath)
    {
        var real = RealPath(osPath);
        return real == _root || real.StartsWith(_rootWithSep, StringComparison.Ordinal);
    }

    /// <summary>The API path of an OS path inside the root.</summary>
    public string ToApiPath(string osPath)
    {
        var full = Path.GetFullPath(osPath);
        if (full == _root) return "";
        return full.StartsWith(_rootWithSep, StringComparison.Ordinal)
            ? full[_rootWithSep.Length..].Replace(Path.DirectorySeparatorChar, '/')
            : throw ContentsException.NotFound($"{osPath} is outside root contents directory");
    }

    /// <summary>Whether any segment of an API path is hidden (starts with a dot), as Jupyter's <c>is_hidden</c>.</summary>
    public static bool IsHidden(string normalizedPath)
    {
        if (normalizedPath.Length == 0) return false;
        if (normalizedPath[0] == '.') return true;
        return normalizedPath.Contains("/.", StringComparison.Ordinal);
    }

    /// <summary>
    /// The canonical path with every symlink resolved, like POSIX <c>realpath</c>, also for paths whose tail does not
    /// exist yet (the existing prefix is resolved and the rest appended).
    /// </summary>
    public static string RealPath(string path, int depth = 0)
    {
        if (depth > 40) throw new IOException("too many levels of symbolic links");
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo? target = null;
            try
            {
                var info = new FileInfo(next);
                if (info.Exists || Directory.Exists(next))
                {
                    if (info.LinkTarget != null || new DirectoryInfo(next).LinkTarget != null)
                        target = File.ResolveLinkTarget(next, returnFinalTarget: true);
                }
                else
                {
                    // A dangling symlink still has a target we must not let anyone write through.
                    if (info.LinkTarget != null) target = File.ResolveLinkTarget(next, returnFinalTarget: true);
                    else
                    {
                        // Nothing exists from here on: append the rest as is.
                        return Path.Combine([current, .. parts[i..]]);
                    }
                }
            }
            catch (IOException) { return Path.Combine([current, .. parts[i..]]); }
            catch (UnauthorizedAccessException) { return Path.Combine([current, .. parts[i..]]); }
            current = target != null ? RealPath(target.FullName, depth + 1) : next;
        }
        return current;
    }
}
