namespace JupyterRtc.Server.Hosting;

/// <summary>Jupyter's directories (jupyter_core's <c>paths</c>), from the environment, for this process.</summary>
public static class JupyterPaths
{
    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    public static string ConfigDir => Env("JUPYTER_CONFIG_DIR") ?? Path.Combine(Home, ".jupyter");

    public static string DataDir =>
        Env("JUPYTER_DATA_DIR") ?? Path.Combine(Env("XDG_DATA_HOME") ?? Path.Combine(Home, ".local", "share"), "jupyter");

    public static string RuntimeDir => Env("JUPYTER_RUNTIME_DIR") ?? Path.Combine(DataDir, "runtime");

    /// <summary>Config directories, highest priority first: user, JUPYTER_CONFIG_PATH, system.</summary>
    public static IReadOnlyList<string> ConfigPath
    {
        get
        {
            var list = new List<string> { ConfigDir };
            if (Env("JUPYTER_CONFIG_PATH") is { } extra) list.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
            list.Add("/usr/local/etc/jupyter");
            list.Add("/etc/jupyter");
            return list.Distinct().ToList();
        }
    }

    /// <summary>Data directories, highest priority first: JUPYTER_PATH, user, system.</summary>
    public static IReadOnlyList<string> DataPath
    {
        get
        {
            var list = new List<string>();
            if (Env("JUPYTER_PATH") is { } extra) list.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
            list.Add(DataDir);
            list.Add("/usr/local/share/jupyter");
            list.Add("/usr/share/jupyter");
            return list.Distinct().ToList();
        }
    }
}
