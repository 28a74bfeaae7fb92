namespace JupyterRtc.Contents;

/// <summary>
/// Settings of the contents service. The server binds them from Jupyter's configuration classes
/// (<c>ServerApp.root_dir</c>, <c>ContentsManager.*</c>, <c>FileContentsManager.*</c>) so users keep their spellings.
/// </summary>
public sealed class ContentsOptions
{
    /// <summary>The directory served; every API path is relative to it and nothing outside it is reachable.</summary>
    public string RootDir { get; set; } = Directory.GetCurrentDirectory();

    /// <summary><c>ContentsManager.allow_hidden</c>: serve files and directories whose name starts with a dot.</summary>
    public bool AllowHidden { get; set; }

    /// <summary><c>FileContentsManager.delete_to_trash</c>: move deleted items to the freedesktop trash.</summary>
    public bool DeleteToTrash { get; set; } = true;

    /// <summary><c>FileContentsManager.always_delete_dir</c>: delete non-empty directories when not using the trash.</summary>
    public bool AlwaysDeleteDir { get; set; }

    /// <summary><c>ContentsManager.hide_globs</c>: names left out of listings.</summary>
    public IReadOnlyList<string> HideGlobs { get; set; } = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"];

    /// <summary><c>ContentsManager.untitled_notebook</c>, <c>untitled_file</c>, <c>untitled_directory</c>.</summary>
    public string UntitledNotebook { get; set; } = "Untitled";
    public string UntitledFile { get; set; } = "untitled";
    public string UntitledDirectory { get; set; } = "Untitled Folder";

    /// <summary>
    /// <c>ContentsManager.max_upload_size</c>: the largest file a save or a chunked upload may produce, in bytes (413 beyond).
    /// </summary>
    public long MaxUploadSize { get; set; } = 512L * 1024 * 1024;

    /// <summary><c>ContentsManager.max_path_length</c>: the longest API path accepted, in characters (400 beyond).</summary>
    public int MaxPathLength { get; set; } = 4096;

    /// <summary><c>ContentsManager.hash_algorithm</c>: the digest reported with <c>hash=1</c>.</summary>
    public string HashAlgorithm { get; set; } = "sha256";

    /// <summary>Where the freedesktop trash lives; default <c>$XDG_DATA_HOME/Trash</c> or <c>~/.local/share/Trash</c>.</summary>
    public string? TrashDir { get; set; }

    /// <summary>Seconds after which an unfinished chunked upload is abandoned and its partial file removed.</summary>
    public int ChunkedUploadTimeoutSeconds { get; set; } = 3600;
}
