namespace JupyterRtc.Server.Hosting;

/// <summary>
/// Jupyter's command line, as traitlets parses it for <c>jupyter server</c>: <c>--Class.trait=value</c> (or
/// <c>--Class.trait value</c>), the short aliases (<c>--ip</c>, <c>--port</c>, <c>--notebook-dir</c>...) and flags
/// (<c>--no-browser</c>, <c>--allow-root</c>...). Everything becomes an IConfiguration key <c>Class:trait</c>. An option
/// of a class or alias this server does not know is an error that names it.
/// </summary>
public sealed class CommandLine
{
    /// <summary>Configurable classes whose options are accepted. Resources add theirs here.</summary>
    public static readonly HashSet<string> KnownClasses = new(StringComparer.Ordinal)
    {
        "ServerApp", "NotebookApp", "LabApp", "LabServerApp", "Application", "JupyterApp", "IdentityProvider",
        "PasswordIdentityProvider", "ContentsManager", "FileContentsManager", "AsyncFileContentsManager",
        "LargeFileManager", "AsyncLargeFileManager", "FileManagerMixin", "FileCheckpoints", "Checkpoints",
        "MappingKernelManager", "AsyncMappingKernelManager", "MultiKernelManager", "KernelManager", "KernelRestarter",
        "KernelSpecManager", "SessionManager", "ZMQChannelsWebsocketConnection", "GatewayClient", "TerminalManager",
        "YDocExtension", "JupyterRtc",
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["ip"] = "ServerApp:ip",
        ["port"] = "ServerApp:port",
        ["port-retries"] = "ServerApp:port_retries",
        ["notebook-dir"] = "ServerApp:root_dir",
        ["preferred-dir"] = "ServerApp:preferred_dir",
        ["sock"] = "ServerApp:sock",
        ["sock-mode"] = "ServerApp:sock_mode",
        ["keyfile"] = "ServerApp:keyfile",
        ["certfile"] = "ServerApp:certfile",
        ["client-ca"] = "ServerApp:client_ca",
        ["browser"] = "ServerApp:browser",
        ["config"] = "ServerApp:config_file",
        ["log-level"] = "Application:log_level",
        ["transport"] = "KernelManager:transport",
        ["gateway-url"] = "GatewayClient:url",
        ["app-dir"] = "LabApp:app_dir",
    };

    private static readonly Dictionary<string, (string Key, string Value)[]> Flags = new(StringComparer.Ordinal)
    {
        ["no-browser"] = [("ServerApp:open_browser", "False")],
        ["allow-root"] = [("ServerApp:allow_root", "True")],
        ["debug"] = [("Application:log_level", "DEBUG")],
        ["autoreload"] = [("ServerApp:autoreload", "True")],
        ["no-mathjax"] = [("ServerApp:enable_mathjax", "False")],
        ["script"] = [("FileContentsManager:save_script", "True")],
        ["no-script"] = [("FileContentsManager:save_script", "False")],
        ["y"] = [("JupyterApp:answer_yes", "True")],
        ["collaborative"] = [("LabApp:collaborative", "True")],
        ["expose-app-in-browser"] = [("LabApp:expose_app_in_browser", "True")],
        ["dev-mode"] = [("LabApp:dev_mode", "True")],
        ["core-mode"] = [("LabApp:core_mode", "True")],
        ["watch"] = [("LabApp:watch", "True")],
    };

    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> Positional { get; } = [];
    public bool Help { get; private set; }
    public bool Version { get; private set; }

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the first unknown option.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var cl = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "--help-all") { cl.Help = true; continue; }
            if (arg is "--version" or "-V") { cl.Version = true; continue; }
            if (arg == "--") { cl.Positional.AddRange(args.Skip(i + 1)); break; }
            if (!arg.StartsWith('-')) { cl.Positional.Add(arg); continue; }
            var body = arg.TrimStart('-');
            string name;
            string? value = null;
            var eq = body.IndexOf('=');
            if (eq >= 0) { name = body[..eq]; value = body[(eq + 1)..]; }
            else name = body;

            if (Flags.TryGetValue(name, out var flag) && value == null)
            {
                foreach (var (k, v) in flag) cl.Settings[k] = v;
                continue;
            }
            string key;
            if (Aliases.TryGetValue(name, out var aliasKey)) key = aliasKey;
            else if (name.Contains('.'))
            {
                var dot = name.IndexOf('.');
                var cls = name[..dot];
                var trait = name[(dot + 1)..];
                if (!KnownClasses.Contains(cls) || trait.Length == 0 || trait.Contains('.'))
                    throw new ArgumentException($"Unrecognized option: '{arg}' (unknown configurable class '{cls}')");
                key = cls == "NotebookApp" ? "ServerApp:" + trait : cls + ":" + trait;
            }
            else throw new ArgumentException($"Unrecognized option: '{arg}'");
            if (value == null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                    throw new ArgumentException($"Option '{arg}' needs a value");
                value = args[++i];
            }
            SetValue(cl.Settings, key, Unquote(value));
        }
        return cl;
    }

    /// <summary>Stores a value; Python-style lists (<c>['a','b']</c>) become indexed keys as JSON arrays do.</summary>
    internal static void SetValue(Dictionary<string, string?> settings, string key, string value)
    {
        var trimmed = value.Trim();
        if (trimmed.Length >= 2 && trimmed[0] == '[' && trimmed[^1] == ']')
        {
            var items = trimmed[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = 0; i < items.Length; i++) settings[$"{key}:{i}"] = Unquote(items[i]);
            return;
        }
        settings[key] = value;
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '\'' && v[^1] == '\'')) ? v[1..^1] : v;

    public const string Usage = """
        JupyterRtc: a Jupyter server with real-time collaboration.

        Usage: jupyter-rtc [options]

        Options (Jupyter Server's spellings; --Class.trait=value works for every setting):
          --ip=<addr>                 address to listen on (ServerApp.ip, default localhost)
          --port=<n>                  port (ServerApp.port, default 8888)
          --port-retries=<n>          further ports to try when the port is taken (default 50)
          --notebook-dir=<dir>        directory to serve (ServerApp.root_dir, default: current directory)
          --ServerApp.base_url=<url>  URL prefix (default /)
          --IdentityProvider.token=<t>  token (also ServerApp.token, $JUPYTER_TOKEN); generated when not given
          --ServerApp.allow_origin=<origin>  --ServerApp.disable_check_xsrf=True
          --ContentsManager.allow_hidden=True  --FileContentsManager.delete_to_trash=False
          --no-browser  --allow-root  --debug  --log-level=<level>  --config=<file.json>
          -h, --help                  this text
          --version                   the version

        Settings are also read from jupyter_server_config.json in the Jupyter config path. See docs/configuration.md.
        """;
}
