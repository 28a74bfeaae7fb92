using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using JupyterRtc.Contents.Notebooks;

namespace JupyterRtc.Contents;

public sealed partial class ContentsManager
{
    /// <summary>A chunked upload in progress: chunks go to a hidden file that replaces the target on the last chunk.</summary>
    private sealed class ChunkedUpload(string tempPath, bool targetExisted)
    {
        public string TempPath { get; } = tempPath;
        public bool TargetExisted { get; } = targetExisted;
        public long Length { get; set; }
        public DateTime LastChunk { get; set; } = DateTime.UtcNow;
        public Lock Lock { get; } = new();
    }

    [GeneratedRegex(@"-Copy\d*\.")]
    private static partial Regex CopyPattern();

    /// <summary>
    /// PUT: saves a model (<c>type</c>, <c>format</c>, <c>content</c>, optional <c>chunk</c>). Returns the new model
    /// (without content) and whether the path was created (201) rather than overwritten (200).
    /// </summary>
    public (ContentsModel Model, bool Created) Save(string apiPath, JsonElement model)
    {
        using var tape = JsonTape.From(model);
        return Save(apiPath, tape.Root);
    }

    /// <inheritdoc cref="Save(string, JsonElement)"/>
    public (ContentsModel Model, bool Created) Save(string apiPath, TapeValue model)
    {
        var path = _paths.Normalize(apiPath);
        if (model.ValueKind != JsonValueKind.Object) throw ContentsException.BadRequest("The body must be a JSON object");
        if (model.TryGetProperty("copy_from", out _)) throw ContentsException.BadRequest("Cannot copy with PUT, only POST");
        var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type == null) throw ContentsException.BadRequest("No file type provided");
        var hasContent = model.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null;
        if (!hasContent && type != "directory") throw ContentsException.BadRequest("No file content provided");
        var os = CheckWritablePath(path);

        if (model.TryGetProperty("chunk", out var chunk) && chunk.ValueKind == JsonValueKind.Number && chunk.TryGetInt32(out var chunkNumber))
            return SaveChunk(path, os, model, type, chunkNumber);

        // Jupyter Server answers 200 only when a file was overwritten; a PUT of a directory is always 201.
        var existed = File.Exists(os);
        string? message = null;
        switch (type)
        {
            case "directory":
                if (File.Exists(os)) throw ContentsException.BadRequest($"{path} is a file, not a directory");
                Directory.CreateDirectory(os);
                break;
            case "file":
                if (Directory.Exists(os)) throw ContentsException.BadRequest($"{path} is a directory, not a file");
                WriteChecked(os, DecodeFileContent(model, path));
                break;
            case "notebook":
                if (Directory.Exists(os)) throw ContentsException.BadRequest($"{path} is a directory, not a notebook");
                if (content.ValueKind != JsonValueKind.Object) throw ContentsException.BadRequest("Notebook content must be a JSON object");
                message = SaveNotebook(os, content, trustedAlready: false);
                break;
            default:
                throw ContentsException.BadRequest($"Unhandled contents type: {type}");
        }
        var result = Get(path, type: type == "directory" ? "directory" : null, content: false);
        result.Message = message;
        Changed?.Invoke(existed ? "save" : "create", path, null);
        return (result, !existed);
    }

    /// <summary>Writes a notebook in nbformat's layout, signs it when its outputs are trusted, keeps one checkpoint.</summary>
    private string? SaveNotebook(string os, TapeValue nb, bool trustedAlready)
    {
        // A large notebook is validated on another core while this one writes the file (a JsonTape is safe to read
        // from several threads). A 20 MB notebook: docs/benchmarks.md, contents. Whether the file is written does not
        // depend on validation, as in Jupyter.
        var validation = nb.Raw.Length >= LargeNotebookBytes
            ? Task.Run(() => NotebookValidator.ValidationMessage(nb)) : null;
        try
        {
            WriteNotebook(os, nb, trustedAlready);
        }
        catch
        {
            // The caller frees the document once this returns: the validation must be done reading it.
            try { validation?.Wait(); } catch (AggregateException) { }
            throw;
        }
        return validation != null ? validation.GetAwaiter().GetResult() : NotebookValidator.ValidationMessage(nb);
    }

    private void WriteNotebook(string os, TapeValue nb, bool trustedAlready)
    {
        // The file is written while nbformat's layout is produced (its writeback starting as it goes, AtomicFile), and
        // its signature's HMAC is fed the same pieces: nothing holds the whole file.
        var sign = trustedAlready || NotebookFormat.AllCodeCellsWithOutputsTrusted(nb);
        using var digest = sign ? _notary.NewDigest() : null;
        long size = 0;
        WriteChecked(os, sink => NotebookFormat.Write(nb, bytes =>
        {
            size += bytes.Length;
            if (size > _options.MaxUploadSize)
                throw new ContentsException(413, $"The notebook exceeds the maximum size of {_options.MaxUploadSize} bytes");
            digest?.Append(bytes);
            sink(bytes);
        }));
        if (digest != null) _notary.Sign(digest.Finish());
        // One checkpoint always exists for a notebook, as in Jupyter.
        if (_checkpoints.List(os).Count == 0) _checkpoints.Create(os);
    }

    /// <summary>The OS path of a path that may be written: not hidden, inside the root, in an existing directory.</summary>
    private string CheckWritablePath(string path)
    {
        if (path.Length == 0) throw ContentsException.BadRequest("Cannot save to the root directory");
        if (!_options.AllowHidden && PathResolver.IsHidden(path))
            throw ContentsException.BadRequest($"Cannot create file or directory '{path}'");
        var os = _paths.ToOsPath(path);
        if (!Directory.Exists(Path.GetDirectoryName(os)!)) throw ContentsException.NotFound($"No such directory: {ParentApiPath(path)}");
        return os;
    }

    private (ContentsModel, bool) SaveChunk(string path, string os, TapeValue model, string type, int chunk)
    {
        if (type != "file") throw ContentsException.BadRequest($"File type '{type}' is not supported for chunked upload");
        var data = DecodeFileContent(model, path);
        ChunkedUpload upload;
        if (chunk == 1)
        {
            if (_uploads.TryRemove(path, out var stale)) AtomicFile.TryDelete(stale.TempPath);
            var temp = Path.Combine(Path.GetDirectoryName(os)!, $".~{Path.GetFileName(os)}.{Guid.NewGuid():N}.upload");
            upload = new ChunkedUpload(temp, File.Exists(os));
            _uploads[path] = upload;
        }
        else if (!_uploads.TryGetValue(path, out upload!))
        {
            throw ContentsException.BadRequest($"Chunk {chunk} of '{path}' has no upload in progress (chunks start at 1)");
        }
        lock (upload.Lock)
        {
            if (upload.Length + data.Length > _options.MaxUploadSize)
            {
                _uploads.TryRemove(path, out _);
                AtomicFile.TryDelete(upload.TempPath);
                throw new ContentsException(413, $"Upload of '{path}' exceeds the maximum size of {_options.MaxUploadSize} bytes");
            }
            try
            {
                using var fs = new FileStream(upload.TempPath, chunk == 1 ? FileMode.Create : FileMode.Append, FileAccess.Write);
                fs.Write(data);
                if (chunk == -1) fs.Flush(flushToDisk: true);
            }
            catch
            {
                _uploads.TryRemove(path, out _);
                AtomicFile.TryDelete(upload.TempPath);
                throw;
            }
            upload.Length += data.Length;
            upload.LastChunk = DateTime.UtcNow;
            if (chunk == -1)
            {
                _uploads.TryRemove(path, out _);
                try { AtomicFile.Replace(upload.TempPath, os); }
                catch { AtomicFile.TryDelete(upload.TempPath); throw; }
                Changed?.Invoke("upload", path, null);
                return (Get(path, content: false), !upload.TargetExisted && chunk == 1);
            }
        }
        // The upload is not visible until its last chunk: answer with what the finished file will be called.
        var info = new FileInfo(upload.TempPath);
        var name = Path.GetFileName(os);
        var partial = new ContentsModel
        {
            Name = name, Path = path, Type = name.EndsWith(".ipynb", StringComparison.Ordinal) ? "notebook" : "file",
            LastModified = info.LastWriteTimeUtc, Created = info.CreationTimeUtc, Size = info.Length, Writable = true,
            Mimetype = MimeTypes.Guess(name),
        };
        return (partial, chunk == 1 && !upload.TargetExisted);
    }

    private byte[] DecodeFileContent(TapeValue model, string path)
    {
        var format = model.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (!model.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            throw ContentsException.BadRequest("File content must be a string");
        var text = content.GetString()!;
        byte[] bytes;
        if (format == "text")
        {
            try { bytes = StrictUtf8.GetBytes(text); }
            catch (EncoderFallbackException e) { throw ContentsException.BadRequest($"Encoding error saving {path}: {e.Message}"); }
        }
        else if (format == "base64")
        {
            try { bytes = Convert.FromBase64String(text.Replace("\n", "").Replace("\r", "")); }
            catch (FormatException e) { throw ContentsException.BadRequest($"Encoding error saving {path}: {e.Message}"); }
        }
        else throw ContentsException.BadRequest("Must specify format of file contents as 'text' or 'base64'");
        if (bytes.LongLength > _options.MaxUploadSize)
            throw new ContentsException(413, $"'{path}' exceeds the maximum size of {_options.MaxUploadSize} bytes");
        return bytes;
    }

    private static void WriteChecked(string os, byte[] bytes) => WriteChecked(os, () => AtomicFile.Write(os, bytes));

    private static void WriteChecked(string os, Action<ByteSink> produce) => WriteChecked(os, () => AtomicFile.Write(os, produce));

    private static void WriteChecked(string os, Action write)
    {
        try { write(); }
        catch (UnauthorizedAccessException) { throw new ContentsException(403, $"Permission denied: {os}"); }
        catch (IOException e) { throw new ContentsException(500, $"Unexpected error while saving file: {os} {e.Message}"); }
    }

    // ---- creating --------------------------------------------------------------------------------------------------

    /// <summary>POST with a type: a new untitled notebook, file or directory in <paramref name="dirPath"/>.</summary>
    public ContentsModel NewUntitled(string dirPath, string? type = null, string? ext = null)
    {
        var dir = _paths.Normalize(dirPath);
        CheckPostTarget(dir);
        ext ??= "";
        type = string.IsNullOrEmpty(type) ? (ext == ".ipynb" ? "notebook" : "file") : type;
        string untitled;
        var insert = "";
        switch (type)
        {
            case "directory": untitled = _options.UntitledDirectory; insert = " "; ext = ""; break;
            case "notebook": untitled = _options.UntitledNotebook; ext = ".ipynb"; break;
            case "file": untitled = _options.UntitledFile; break;
            default: throw ContentsException.BadRequest($"Unexpected model type: '{type}'");
        }
        var name = IncrementFilename(untitled + ext, dir, insert);
        var path = dir.Length == 0 ? name : dir + "/" + name;
        var os = CheckWritablePath(path);
        switch (type)
        {
            case "directory": Directory.CreateDirectory(os); break;
            case "notebook":
                using (var doc = JsonTape.Parse(NotebookFormat.NewNotebook)) SaveNotebook(os, doc.Root, trustedAlready: false);
                break;
            default: WriteChecked(os, []); break;
        }
        Changed?.Invoke("create", path, null);
        return Get(path, type: type == "directory" ? "directory" : null, content: false);
    }

    /// <summary>POST with <c>copy_from</c>: copies a file or notebook into <paramref name="toDir"/>.</summary>
    public ContentsModel Copy(string fromPath, string toDir)
    {
        var from = _paths.Normalize(fromPath);
        var dir = _paths.Normalize(toDir);
        if (!_options.AllowHidden && (PathResolver.IsHidden(from) || PathResolver.IsHidden(dir)))
            throw ContentsException.BadRequest($"Cannot copy file or directory '{from}'");
        CheckPostTarget(dir);
        using var source = Get(from);
        if (source.Type == "directory") throw ContentsException.BadRequest("Can't copy directories");
        var fromName = from.Contains('/') ? from[(from.LastIndexOf('/') + 1)..] : from;
        var name = IncrementFilename(CopyPattern().Replace(fromName, "."), dir, "-Copy");
        var target = dir.Length == 0 ? name : dir + "/" + name;
        var targetOs = CheckWritablePath(target);
        if (source.Content is NotebookContent nb) SaveNotebook(targetOs, nb.Root, trustedAlready: nb.Trusted);
        else WriteChecked(targetOs, File.ReadAllBytes(_paths.ToOsPath(from)));
        Changed?.Invoke("copy", target, from);
        return Get(target, content: false);
    }

    private void CheckPostTarget(string dir)
    {
        if (FileExists(dir)) throw ContentsException.BadRequest("Cannot POST to files, use PUT instead.");
        if (!DirExists(dir)) throw ContentsException.NotFound($"No such directory: {dir}");
    }

    /// <summary>Jupyter's <c>increment_filename</c>: name, then name with insert+1, insert+2... before the suffix.</summary>
    public string IncrementFilename(string filename, string dir, string insert)
    {
        string basename, suffix;
        var last = filename.LastIndexOf('.');
        if (last >= 0 && filename[(last + 1)..] == "ipynb") { basename = filename[..last]; suffix = filename[last..]; }
        else
        {
            var first = filename.IndexOf('.');
            basename = first >= 0 ? filename[..first] : filename;
            suffix = first >= 0 ? filename[first..] : "";
        }
        var osDir = _paths.ToOsPath(dir);
        for (var i = 0; ; i++)
        {
            var name = i == 0 ? basename + suffix : $"{basename}{insert}{i}{suffix}";
            var candidate = Path.Combine(osDir, name);
            if (!File.Exists(candidate) && !Directory.Exists(candidate)) return name;
        }
    }

    // ---- rename and delete -----------------------------------------------------------------------------------------

    /// <summary>PATCH: renames or moves a file or directory (with its checkpoint).</summary>
    public ContentsModel Rename(string oldApiPath, string newApiPath)
    {
        var oldPath = _paths.Normalize(oldApiPath);
        var newPath = _paths.Normalize(newApiPath);
        if (newPath == oldPath) return Get(oldPath, content: false);
        if (!_options.AllowHidden && (PathResolver.IsHidden(oldPath) || PathResolver.IsHidden(newPath)))
            throw ContentsException.BadRequest($"Cannot rename file or directory '{oldPath}'");
        if (oldPath.Length == 0 || newPath.Length == 0) throw ContentsException.BadRequest("Cannot rename the root directory");
        var oldOs = _paths.ToOsPath(oldPath);
        var newOs = _paths.ToOsPath(newPath);
        if ((File.Exists(newOs) || Directory.Exists(newOs)) && !string.Equals(oldOs, newOs, StringComparison.OrdinalIgnoreCase))
            throw new ContentsException(409, $"File already exists: {newPath}");
        var isDir = Directory.Exists(oldOs);
        if (!isDir && !File.Exists(oldOs)) throw ContentsException.NotFound($"File or directory does not exist: {oldPath}");
        if (!Directory.Exists(Path.GetDirectoryName(newOs)!)) throw ContentsException.NotFound($"No such directory: {ParentApiPath(newPath)}");
        try
        {
            if (isDir) Directory.Move(oldOs, newOs);
            else
            {
                File.Move(oldOs, newOs);
                _checkpoints.RenameAll(oldOs, newOs);
            }
        }
        catch (UnauthorizedAccessException) { throw new ContentsException(403, $"Permission denied: {oldPath}"); }
        catch (IOException e) { throw new ContentsException(500, $"Unknown error renaming file: {oldPath} {e.Message}"); }
        Changed?.Invoke("rename", newPath, oldPath);
        return Get(newPath, content: false);
    }

    /// <summary>DELETE: to the trash or for good, as <c>delete_to_trash</c> says.</summary>
    public void Delete(string apiPath)
    {
        var path = _paths.Normalize(apiPath);
        if (path.Length == 0) throw ContentsException.BadRequest("Can't delete root");
        if (!_options.AllowHidden && PathResolver.IsHidden(path))
            throw ContentsException.BadRequest($"Cannot delete file or directory '{path}'");
        var os = _paths.ToOsPath(path);
        var isDir = Directory.Exists(os);
        if (!isDir && !File.Exists(os)) throw ContentsException.NotFound($"File or directory does not exist: {path}");
        try
        {
            if (_options.DeleteToTrash)
            {
                if (!isDir) _checkpoints.DeleteAll(os);
                Trash.MoveToTrash(os, _options.TrashDir ?? Trash.DefaultDir());
            }
            else if (isDir)
            {
                var nonEmpty = Directory.EnumerateFileSystemEntries(os).Any(e => Path.GetFileName(e) != CheckpointManager.DirName);
                if (nonEmpty && !_options.AlwaysDeleteDir) throw ContentsException.BadRequest($"Directory {path} not empty");
                Directory.Delete(os, recursive: true);
            }
            else
            {
                _checkpoints.DeleteAll(os);
                File.Delete(os);
            }
        }
        catch (UnauthorizedAccessException) { throw new ContentsException(403, $"Permission denied: {path}"); }
        catch (IOException e) { throw new ContentsException(500, $"Unknown error deleting file: {path} {e.Message}"); }
        Changed?.Invoke("delete", path, null);
    }

    // ---- checkpoints -----------------------------------------------------------------------------------------------

    public CheckpointModel CreateCheckpoint(string apiPath) => _checkpoints.Create(ExistingFile(apiPath, out _));

    public IReadOnlyList<CheckpointModel> ListCheckpoints(string apiPath)
    {
        var path = _paths.Normalize(apiPath);
        if (!_options.AllowHidden && PathResolver.IsHidden(path)) throw ContentsException.NotFound($"file does not exist: '{path}'");
        var os = _paths.ToOsPath(path);
        return File.Exists(os) || !Directory.Exists(os) ? _checkpoints.List(os) : [];
    }

    public void RestoreCheckpoint(string apiPath, string id)
    {
        var os = ExistingFile(apiPath, out var path);
        if (!_checkpoints.Restore(os, id)) throw ContentsException.NotFound($"Checkpoint does not exist: {path}@{id}");
        Changed?.Invoke("save", path, null);
    }

    public void DeleteCheckpoint(string apiPath, string id)
    {
        var path = _paths.Normalize(apiPath);
        if (!_options.AllowHidden && PathResolver.IsHidden(path)) throw ContentsException.NotFound($"file does not exist: '{path}'");
        if (!_checkpoints.Delete(_paths.ToOsPath(path), id)) throw ContentsException.NotFound($"Checkpoint does not exist: {path}@{id}");
    }

    private string ExistingFile(string apiPath, out string path)
    {
        path = _paths.Normalize(apiPath);
        if (!_options.AllowHidden && PathResolver.IsHidden(path)) throw ContentsException.NotFound($"file does not exist: '{path}'");
        var os = _paths.ToOsPath(path);
        if (!File.Exists(os)) throw ContentsException.NotFound($"file does not exist: '{path}'");
        return os;
    }

    private static string ParentApiPath(string path) => path.Contains('/') ? path[..path.LastIndexOf('/')] : "";
}
