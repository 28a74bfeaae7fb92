using JupyterRtc.Contents;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Api.Contents;

/// <summary>Binds <see cref="ContentsOptions"/> from Jupyter's configuration classes (ContentsManager, FileContentsManager).</summary>
public static class ContentsSettings
{
    public static ContentsOptions Bind(IConfiguration config, string rootDir)
    {
        var cm = config.GetSection("ContentsManager");
        var fcm = config.GetSection("FileContentsManager");
        string? Get(string key) => fcm[key] ?? cm[key];
        var options = new ContentsOptions
        {
            RootDir = fcm["root_dir"] ?? rootDir,
            AllowHidden = ServerAppOptions.Bool(Get("allow_hidden"), false),
            DeleteToTrash = ServerAppOptions.Bool(Get("delete_to_trash") ?? (Environment.GetEnvironmentVariable("JUPYTERHUB_SERVICE_URL") != null ? "False" : null), true),
            AlwaysDeleteDir = ServerAppOptions.Bool(Get("always_delete_dir"), false),
            UntitledNotebook = Get("untitled_notebook") ?? "Untitled",
            UntitledFile = Get("untitled_file") ?? "untitled",
            UntitledDirectory = Get("untitled_directory") ?? "Untitled Folder",
            MaxUploadSize = ServerAppOptions.Int64(Get("max_upload_size"), 512L * 1024 * 1024, "ContentsManager.max_upload_size"),
            MaxPathLength = ServerAppOptions.Int(Get("max_path_length"), 4096, "ContentsManager.max_path_length"),
            HashAlgorithm = Get("hash_algorithm") ?? "sha256",
            TrashDir = Get("trash_dir"),
        };
        var globs = cm.GetSection("hide_globs").GetChildren().Select(c => c.Value!).Where(v => v != null).ToList();
        if (globs.Count > 0) options.HideGlobs = globs;
        return options;
    }
}
