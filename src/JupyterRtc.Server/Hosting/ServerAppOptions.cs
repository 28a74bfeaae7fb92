using System.Net;
using System.Security.Cryptography;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// The resolved <c>ServerApp</c> settings (options pattern: one instance in DI), from the command line, the config
/// files, Jupyter's environment variables and, under JupyterHub, the <c>JUPYTERHUB_*</c> variables.
/// </summary>
public sealed class ServerAppOptions
{
    public string Ip { get; set; } = "localhost";
    public int Port { get; set; } = 8888;
    public int PortRetries { get; set; } = 50;
    public string RootDir { get; set; } = Directory.GetCurrentDirectory();
    /// <summary>Always with a leading and a trailing slash.</summary>
    public string BaseUrl { get; set; } = "/";
    public string DefaultUrl { get; set; } = "/lab";
    /// <summary>Empty: authentication disabled (Jupyter's <c>token=''</c> without a password).</summary>
    public string Token { get; set; } = "";
    public bool TokenGenerated { get; set; }
    public string? HashedPassword { get; set; }
    public string AllowOrigin { get; set; } = "";
    public string AllowOriginPat { get; set; } = "";
    public bool AllowCredentials { get; set; }
    public bool DisableCheckXsrf { get; set; }
    public bool AllowRemoteAccess { get; set; }
    public List<string> LocalHostnames { get; set; } = ["localhost"];
    public bool OpenBrowser { get; set; } = true;
    public bool AllowRoot { get; set; }
    public string? CookieName { get; set; }
    public long MaxBodySize { get; set; } = 512L * 1024 * 1024;
    public string RuntimeDir { get; set; } = JupyterPaths.RuntimeDir;
    public string ConfigDir { get; set; } = JupyterPaths.ConfigDir;
    public string DataDir { get; set; } = JupyterPaths.DataDir;
    public Dictionary<string, string> ExtraHeaders { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public bool UnderJupyterHub { get; set; }
    /// <summary>Variables that take precedence over the process environment (tests start hub-mode servers in-process).</summary>
    public IReadOnlyDictionary<string, string> EnvironmentOverrides { get; set; } = new Dictionary<string, string>();
    /// <summary>An environment variable (overrides first), null when unset or empty.</summary>
    public string? Env(string name) =>
        (EnvironmentOverrides.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name)) is { Length: > 0 } s ? s : null;
    public bool AuthEnabled => Token.Length > 0 || HashedPassword != null;

    public static ServerAppOptions From(IConfiguration config, IReadOnlyDictionary<string, string>? environment = null)
    {
        var app = config.GetSection("ServerApp");
        var overrides = environment ?? new Dictionary<string, string>();
        var env = (string name) => (overrides.TryGetValue(name, out var ov) ? ov : Environment.GetEnvironmentVariable(name)) is { Length: > 0 } v ? v : null;
        var o = new ServerAppOptions
        {
            EnvironmentOverrides = overrides,
            Ip = app["ip"] ?? "localhost",
            Port = Int(app["port"] ?? env("JUPYTER_PORT"), 8888, "ServerApp.port"),
            PortRetries = Int(app["port_retries"] ?? env("JUPYTER_PORT_RETRIES"), 50, "ServerApp.port_retries"),
            RootDir = ExpandHome(app["root_dir"] ?? app["notebook_dir"] ?? Directory.GetCurrentDirectory()),
            BaseUrl = NormalizeBaseUrl(app["base_url"] ?? "/"),
            DefaultUrl = app["default_url"] ?? "/lab",
            AllowOrigin = app["allow_origin"] ?? "",
            AllowOriginPat = app["allow_origin_pat"] ?? "",
            AllowCredentials = Bool(app["allow_credentials"], false),
            DisableCheckXsrf = Bool(app["disable_check_xsrf"], false),
            OpenBrowser = Bool(app["open_browser"], true),
            AllowRoot = Bool(app["allow_root"], false),
            CookieName = config["IdentityProvider:cookie_name"] ?? app["cookie_name"],
            MaxBodySize = Int64(app["max_body_size"], 512L * 1024 * 1024, "ServerApp.max_body_size"),
            HashedPassword = config["PasswordIdentityProvider:hashed_password"] ?? NullIfEmpty(app["password"]),
            // Jupyter takes these from the environment only; settings let one process (or a test) choose its own.
            RuntimeDir = config["JupyterRtc:runtime_dir"] ?? JupyterPaths.RuntimeDir,
            ConfigDir = config["JupyterRtc:config_dir"] ?? JupyterPaths.ConfigDir,
            DataDir = config["JupyterRtc:data_dir"] ?? JupyterPaths.DataDir,
        };
        var hostnames = app.GetSection("local_hostnames").GetChildren().Select(c => c.Value!).Where(v => v != null).ToList();
        if (hostnames.Count > 0) o.LocalHostnames = hostnames;
        foreach (var h in app.GetSection("tornado_settings:headers").GetChildren())
            if (h.Value != null) o.ExtraHeaders[h.Key] = h.Value;

        // JupyterHub passes everything in the environment (section 7 of the reference): bind where it says, serve
        // under its prefix, never pick another port, accept remote hosts (the proxy forwards them).
        if (env("JUPYTERHUB_SERVICE_URL") is { } serviceUrl)
        {
            var uri = new Uri(serviceUrl);
            o.UnderJupyterHub = true;
            o.Ip = uri.Host.Length == 0 ? "" : uri.Host;
            o.Port = uri.Port;
            o.PortRetries = 0;
            o.OpenBrowser = false;
            o.BaseUrl = NormalizeBaseUrl(env("JUPYTERHUB_SERVICE_PREFIX") ?? uri.AbsolutePath);
            o.ExtraHeaders["Content-Security-Policy"] = "frame-ancestors 'none'";
            if (env("JUPYTERHUB_ROOT_DIR") is { } hubRoot && app["root_dir"] == null) o.RootDir = ExpandHome(hubRoot);
            if (env("JUPYTERHUB_DEFAULT_URL") is { } hubDefault && app["default_url"] == null) o.DefaultUrl = hubDefault;
        }
        o.AllowRemoteAccess = Bool(app["allow_remote_access"], o.UnderJupyterHub || !IsLoopback(o.Ip));

        // Token precedence, as Jupyter Server: option, JUPYTER_TOKEN, JUPYTER_TOKEN_FILE, none with a password, generated.
        var token = config["IdentityProvider:token"] ?? app["token"];
        if (token == null && o.UnderJupyterHub) token = env("JUPYTERHUB_API_TOKEN") ?? env("JPY_API_TOKEN");
        token ??= Environment.GetEnvironmentVariable("JUPYTER_TOKEN");
        if (token == null && env("JUPYTER_TOKEN_FILE") is { } tokenFile) token = File.ReadAllText(tokenFile).Trim();
        if (token == null && o.HashedPassword == null)
        {
            token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            o.TokenGenerated = true;
        }
        o.Token = token ?? "";
        return o;
    }

    public static string NormalizeBaseUrl(string url)
    {
        url = url.Trim();
        if (!url.StartsWith('/')) url = "/" + url;
        if (!url.EndsWith('/')) url += "/";
        return url;
    }

    public static bool IsLoopback(string ip) =>
        ip == "localhost" || (IPAddress.TryParse(ip.Trim('[', ']'), out var a) && IPAddress.IsLoopback(a));

    private static string ExpandHome(string path) =>
        path.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..] : path;

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public static bool Bool(string? value, bool dflt) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => dflt,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ArgumentException($"'{value}' is not a boolean (use True or False)"),
    };

    public static int Int(string? value, int dflt, string name) =>
        value == null ? dflt : int.TryParse(value, out var n) ? n : throw new ArgumentException($"{name}: '{value}' is not an integer");

    public static long Int64(string? value, long dflt, string name) =>
        value == null ? dflt : long.TryParse(value, out var n) ? n : throw new ArgumentException($"{name}: '{value}' is not an integer");

    /// <summary>A duration given in seconds, as Jupyter's traits take them; at least <paramref name="min"/>.</summary>
    public static TimeSpan Seconds(string? value, TimeSpan dflt, string name, double min = 0) =>
        value == null ? dflt
        : double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= min
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"{name}: '{value}' is not a number of seconds{(min > 0 ? " above 0" : "")}");

    /// <summary>
    /// A duration that may be switched off: Python's <c>None</c> (or <c>null</c>, or empty) gives null, as traits such as
    /// jupyter-collaboration's <c>document_save_delay</c> take it; anything else is <see cref="Seconds"/>.
    /// </summary>
    public static TimeSpan? OptionalSeconds(string? value, TimeSpan? dflt, string name) =>
        value == null ? dflt
        : value is "None" or "null" or "" ? null
        : Seconds(value, TimeSpan.Zero, name);
}
