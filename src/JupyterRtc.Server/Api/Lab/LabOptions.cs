using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Api.Lab;

/// <summary>
/// Where the installed JupyterLab lives and where the lab keeps its user state (reference section 6.3):
/// <c>LabApp.app_dir</c> (<c>--app-dir</c>), else <c>$JUPYTERLAB_DIR</c>, else the first <c>lab</c> folder with a
/// <c>static</c> folder in the Jupyter data path (where <c>pip install jupyterlab</c> puts it:
/// <c>{prefix}/share/jupyter/lab</c>). Prebuilt extensions come from <c>labextensions</c> in the same data path.
/// </summary>
public sealed class LabOptions
{
    /// <summary>Null: no JupyterLab found; the page then says so instead of failing later.</summary>
    public string? AppDir { get; init; }
    public IReadOnlyList<string> LabextensionsPath { get; init; } = [];
    public string UserSettingsDir { get; init; } = "";
    public string WorkspacesDir { get; init; } = "";
    public IReadOnlyList<string> ConfigPath { get; init; } = [];
    public string AppName { get; init; } = "JupyterLab";
    public string AppNamespace { get; init; } = "lab";
    public string? AppVersion { get; set; }
    public bool CollaborativeHint { get; init; }

    public string? StaticDir => AppDir == null ? null : Path.Combine(AppDir, "static");
    public string? SchemasDir => AppDir == null ? null : Path.Combine(AppDir, "schemas");
    public string? ThemesDir => AppDir == null ? null : Path.Combine(AppDir, "themes");
    public string? SettingsDir => AppDir == null ? null : Path.Combine(AppDir, "settings");

    public static LabOptions From(IConfiguration config, ServerAppOptions server)
    {
        var lab = config.GetSection("LabApp");
        var labServer = config.GetSection("LabServerApp");
        var dataPath = DataPath(server);
        var appDir = lab["app_dir"] ?? labServer["app_dir"] ?? server.Env("JUPYTERLAB_DIR");
        if (appDir != null)
        {
            appDir = Path.GetFullPath(ExpandHome(appDir));
            if (!Directory.Exists(appDir)) throw new ArgumentException($"No such directory: '{appDir}' (LabApp.app_dir)");
        }
        else
        {
            appDir = dataPath.Select(d => Path.Combine(d, "lab")).FirstOrDefault(d => Directory.Exists(Path.Combine(d, "static")));
        }
        // A pip install keeps prebuilt extensions next to the app: {prefix}/share/jupyter/{lab,labextensions}.
        var extensionDirs = dataPath.Select(d => Path.Combine(d, "labextensions")).ToList();
        if (appDir != null) extensionDirs.Insert(Math.Min(1, extensionDirs.Count), Path.Combine(Path.GetDirectoryName(appDir)!, "labextensions"));
        var extraExt = lab.GetSection("extra_labextensions_path").GetChildren().Select(c => c.Value!).Where(v => v != null);
        var configPath = new List<string> { server.ConfigDir };
        configPath.AddRange(JupyterPaths.ConfigPath.Skip(1));
        return new LabOptions
        {
            AppDir = appDir,
            LabextensionsPath = extraExt.Concat(extensionDirs).Distinct().ToList(),
            UserSettingsDir = lab["user_settings_dir"] ?? server.Env("JUPYTERLAB_SETTINGS_DIR") ?? Path.Combine(server.ConfigDir, "lab", "user-settings"),
            WorkspacesDir = lab["workspaces_dir"] ?? server.Env("JUPYTERLAB_WORKSPACES_DIR") ?? Path.Combine(server.ConfigDir, "lab", "workspaces"),
            ConfigPath = configPath.Distinct().ToList(),
        };
    }

    /// <summary>Jupyter's data path with this server's own data dir (<c>JupyterRtc.data_dir</c>) in the user's place.</summary>
    private static List<string> DataPath(ServerAppOptions server)
    {
        var list = new List<string>();
        if (server.Env("JUPYTER_PATH") is { } extra) list.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        list.Add(server.DataDir);
        // The prefix of the Python that pip would install into, as jupyter_core's ENV_JUPYTER_PATH (sys.prefix/share/jupyter).
        if (server.Env("VIRTUAL_ENV") is { } venv) list.Add(Path.Combine(venv, "share", "jupyter"));
        if (server.Env("CONDA_PREFIX") is { } conda) list.Add(Path.Combine(conda, "share", "jupyter"));
        list.Add("/usr/local/share/jupyter");
        list.Add("/usr/share/jupyter");
        return list.Distinct().ToList();
    }

    private static string ExpandHome(string path) =>
        path.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..] : path;
}
