using System.Collections.Concurrent;
using System.IO.Enumeration;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Contents;

/// <summary>
/// Files, directories and notebooks under the root directory, with Jupyter Server's semantics (its
/// <c>FileContentsManager</c>): models, untitled names, copy names, saves, chunked uploads, rename, delete, checkpoints.
/// Every operation either completes or leaves the disk as it was, and throws <see cref="ContentsException"/> with the
/// status Jupyter answers for a refused request.
/// </summary>
public sealed partial class ContentsManager
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ContentsOptions _options;
    private readonly PathResolver _paths;
    private readonly CheckpointManager _checkpoints = new();
    private readonly NotebookNotary _notary;
    private readonly ConcurrentDictionary<string, ChunkedUpload> _uploads = new(StringComparer.Ordinal);

    public ContentsManager(ContentsOptions options, NotebookNotary? notary = null)
    {
        _options = options;
        _paths = new PathResolver(options.RootDir, options.MaxPathLength);
        _notary = notary ?? new NotebookNotary(null);
    }

    public ContentsOptions Options => _options;
    public PathResolver Paths => _paths;

    /// <summary>Raised after a change made through this manager: action (create, save, upload, rename, copy, delete), path, source path.</summary>
    public event Action<string, string, string?>? Changed;

    // ---- reading ---------------------------------------------------------------------------------------------------

    /// <summary>GET: the model of a path. <paramref name="type"/> and <paramref name="format"/> as the query gives them.</summary>
    public ContentsModel Get(string apiPath, string? type = null, string? format = null, bool content = true, bool hash = false)
    {
        var path = _paths.Normalize(apiPath);
        var os = ResolveReadable(path);
        if (Directory.Exists(os))
        {
            if (type != null && type != "directory")
                throw new ContentsException(400, $"{path} is a directory, not a {type}", "bad type");
            return DirectoryModel(path, os, content);
        }
        if (!File.Exists(os)) throw ContentsException.NotFound($"file or directory does not exist: '{path}'");
        if (type == "directory") throw new ContentsException(400, $"{path} is not a directory", "bad type");
        if (type == "notebook" || (type == null && path.EndsWith(".ipynb", StringComparison.Ordinal)))
            return NotebookModel(path, os, content, hash);
        return FileModel(path, os, content, format, hash);
    }

    public bool FileExists(string apiPath)
    {
        var path = _paths.Normalize(apiPath);
        return path.Length > 0 && TryOsPath(path, out var os) && File.Exists(os);
    }

    public bool DirExists(string apiPath)
    {
        var path = _paths.Normalize(apiPath);
        return TryOsPath(path, out var os) && Directory.Exists(os) && (_options.AllowHidden || !PathResolver.IsHidden(path));
    }

    /// <summary>The OS path behind <c>/files/&lt;path&gt;</c>: an existing, non-hidden regular file inside the root.</summary>
    public string GetFileForDownload(string apiPath)
    {
        var path = _paths.Normalize(apiPath);
        var os = ResolveReadable(path);
        if (!File.Exists(os)) throw ContentsException.NotFound($"file does not exist: '{path}'");
        return os;
    }

    private string ResolveReadable(string path)
    {
        if (!_options.AllowHidden && PathResolver.IsHidden(path))
            throw ContentsException.NotFound($"file or directory does not exist: '{path}'");
        return _paths.ToOsPath(path);
    }

    private bool TryOsPath(string path, out string os)
    {
        try { os = _paths.ToOsPath(path); return true; }
        catch (ContentsException) { os = ""; return false; }
    }

    private ContentsModel DirectoryModel(string path, string os, bool content)
    {
        var info = new DirectoryInfo(os);
        var model = new ContentsModel
        {
            Name = path.Length == 0 ? "" : info.Name, Path = path, Type = "directory",
            LastModified = info.LastWriteTimeUtc, Created = Created(info), Size = null, Writable = IsWritable(info),
        };
        if (!content) return model;
        var children = new List<ContentsModel>();
        foreach (var child in info.EnumerateFileSystemInfos())
        {
            var name = child.Name;
            if (!_options.AllowHidden && name.StartsWith('.')) continue;
            if (IsHiddenByGlob(name)) continue;
            var childPath = path.Length == 0 ? name : path + "/" + name;
            try
            {
                var entry = child;
                // The attribute comes from the entry's lstat, which the listing makes anyway; LinkTarget alone would
                // cost a readlink call per entry (10,000 in a large directory).
                if ((child.Attributes & FileAttributes.ReparsePoint) != 0 && child.LinkTarget != null)
                {
                    // Symlinks are listed only when they resolve to something inside the root.
                    if (!_paths.IsInsideRoot(child.FullName)) continue;
                    entry = Directory.Exists(child.FullName) ? new DirectoryInfo(child.FullName) : new FileInfo(child.FullName);
                    if (!entry.Exists) continue;
                }
                if (entry is DirectoryInfo d)
                    children.Add(new ContentsModel
                    {
                        Name = name, Path = childPath, Type = "directory", LastModified = d.LastWriteTimeUtc,
                        Created = Created(d), Size = null, Writable = IsWritable(d),
                    });
                else if (entry is FileInfo f && IsRegularFile(f))
                    children.Add(new ContentsModel
                    {
                        Name = name, Path = childPath,
                        Type = name.EndsWith(".ipynb", StringComparison.Ordinal) ? "notebook" : "file",
                        LastModified = f.LastWriteTimeUtc, Created = Created(f), Size = f.Length, Writable = IsWritable(f),
                        Mimetype = name.EndsWith(".ipynb", StringComparison.Ordinal) ? null : MimeTypes.Guess(name),
                    });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable entries are left out, as Jupyter does.
            }
        }
        model.Content = children;
        model.Format = "json";
        return model;
    }

    private ContentsModel FileModel(string path, string os, bool content, string? format, bool hash)
    {
        var info = new FileInfo(os);
        var mimetype = MimeTypes.Guess(info.Name);
        byte[]? bytes = content || hash ? File.ReadAllBytes(os) : null;
        var model = new ContentsModel
        {
            Name = info.Name, Path = path, Type = "file", LastModified = info.LastWriteTimeUtc, Created = Created(info),
            Size = bytes?.LongLength ?? info.Length, Writable = IsWritable(info), Mimetype = mimetype,
        };
        if (hash) SetHash(model, bytes!);
        if (!content) return model;
        if (format == "base64")
        {
            model.Content = EncodeBytes(bytes!);
            model.Format = "base64";
            model.Mimetype ??= "application/octet-stream";
        }
        else
        {
            try
            {
                model.Content = StrictUtf8.GetString(bytes!);
                model.Format = "text";
                model.Mimetype ??= "text/plain";
            }
            catch (DecoderFallbackException)
            {
                if (format == "text") throw new ContentsException(400, $"{os} is not UTF-8 encoded", "bad format");
                model.Content = EncodeBytes(bytes!);
                model.Format = "base64";
                model.Mimetype ??= "application/octet-stream";
            }
        }
        return model;
    }

    private ContentsModel NotebookModel(string path, string os, bool content, bool hash)
    {
        var info = new FileInfo(os);
        var model = new ContentsModel
        {
            Name = info.Name, Path = path, Type = "notebook", LastModified = info.LastWriteTimeUtc, Created = Created(info),
            Size = info.Length, Writable = IsWritable(info),
        };
        if (!content && !hash) return model;
        var file = PooledFile.Read(os);
        var bytes = file.Bytes;
        if (hash) SetHash(model, bytes.Span);
        if (!content) { file.Release(); return model; }
        // A large notebook's signature is checked on another core while this one parses it; then its validation reads
        // the parsed document on another core while the caller writes the client's JSON from it, streaming it to the
        // client (a JsonTape is immutable, safe to read from several threads). A 20 MB notebook: docs/benchmarks.md,
        // contents. A small one is done in line.
        var parallel = bytes.Length >= LargeNotebookBytes;
        var signed = parallel ? Task.Run(() => _notary.IsSigned(bytes.Span)) : null;
        JsonTape doc;
        try
        {
            doc = NotebookFormat.Read(bytes, out _);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            if (signed == null) file.Release();
            else signed.ContinueWith(_ => file.Release(), TaskScheduler.Default);
            throw new ContentsException(400, $"Unreadable Notebook: {os} {e.GetType().Name}({e.Message})");
        }
        var trusted = signed?.GetAwaiter().GetResult() ?? _notary.IsSigned(bytes.Span);
        var validation = parallel ? Task.Run(() => NotebookValidator.ValidationMessage(doc.Root)) : null;
        model.Content = new NotebookContent(doc, trusted, validation, file.Release);
        model.Format = "json";
        if (validation == null) model.Message = NotebookValidator.ValidationMessage(doc.Root);
        else model.DeferMessage(validation);
        return model;
    }

    /// <summary>From this size a notebook is large: its signature is checked beside its parsing, its validation beside
    /// its writing, and the HTTP layer streams its model to the client while writing it.</summary>
    public const int LargeNotebookBytes = 1 << 20;

    private void SetHash(ContentsModel model, ReadOnlySpan<byte> bytes)
    {
        model.HashAlgorithm = _options.HashAlgorithm;
        model.Hash = _options.HashAlgorithm switch
        {
            "sha1" => Convert.ToHexStringLower(SHA1.HashData(bytes)),
            "md5" => Convert.ToHexStringLower(MD5.HashData(bytes)),
            "sha512" => Convert.ToHexStringLower(SHA512.HashData(bytes)),
            "sha384" => Convert.ToHexStringLower(SHA384.HashData(bytes)),
            _ => Convert.ToHexStringLower(SHA256.HashData(bytes)),
        };
    }

    /// <summary>Base64 as Python's <c>encodebytes</c>: lines of 76 characters, each ending in a newline.</summary>
    public static string EncodeBytes(byte[] bytes)
    {
        if (bytes.Length == 0) return "";
        var b64 = Convert.ToBase64String(bytes);
        var sb = new StringBuilder(b64.Length + b64.Length / 76 + 1);
        for (var i = 0; i < b64.Length; i += 76) sb.Append(b64, i, Math.Min(76, b64.Length - i)).Append('\n');
        return sb.ToString();
    }

    private bool IsHiddenByGlob(string name)
    {
        foreach (var glob in _options.HideGlobs)
            if (FileSystemName.MatchesSimpleExpression(glob, name, ignoreCase: false)) return true;
        return false;
    }

    private static bool IsRegularFile(FileInfo f) =>
        OperatingSystem.IsWindows() || (f.Attributes & (FileAttributes.Device | FileAttributes.System)) == 0 && f.Exists;

    private static DateTime Created(FileSystemInfo info)
    {
        var c = info.CreationTimeUtc;
        return c.Year < 1971 ? info.LastWriteTimeUtc : c;
    }

    private static readonly bool IsRoot = !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private static bool IsWritable(FileSystemInfo info)
    {
        if (OperatingSystem.IsWindows()) return (info.Attributes & FileAttributes.ReadOnly) == 0;
        if (IsRoot) return true;
        return (info.UnixFileMode & UnixFileMode.UserWrite) != 0;
    }
}
