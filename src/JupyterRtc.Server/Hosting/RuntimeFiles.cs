using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Hosting;

/// <summary>
/// <c>jpserver-&lt;pid&gt;.json</c> and <c>jpserver-&lt;pid&gt;-open.html</c> in the Jupyter runtime directory, as Jupyter
/// Server writes them, so <c>jupyter server list</c> and tools that look for running servers find this one. Removed on
/// graceful shutdown.
/// </summary>
public sealed class RuntimeFiles(string runtimeDir)
{
    private readonly int _pid = Environment.ProcessId;

    public string InfoFile => Path.Combine(runtimeDir, $"jpserver-{_pid}.json");
    public string OpenFile => Path.Combine(runtimeDir, $"jpserver-{_pid}-open.html");

    public void Write(ServerAppOptions o, string hostname, int port, string version)
    {
        Directory.CreateDirectory(runtimeDir);
        var url = $"http://{hostname}:{port}{o.BaseUrl}";
        var info = new JObject
        {
            ["base_url"] = o.BaseUrl,
            ["hostname"] = hostname,
            ["password"] = o.HashedPassword != null,
            ["pid"] = _pid,
            ["port"] = port,
            ["root_dir"] = Path.GetFullPath(o.RootDir),
            ["secure"] = false,
            ["sock"] = "",
            ["token"] = o.Token,
            ["url"] = url,
            ["version"] = version,
        };
        WritePrivate(InfoFile, info.ToString(Newtonsoft.Json.Formatting.Indented));
        var target = url + o.DefaultUrl.TrimStart('/') + (o.Token.Length > 0 ? "?token=" + Uri.EscapeDataString(o.Token) : "");
        var html = $"""
            <!DOCTYPE html>
            <html>
            <head>
                <meta charset="utf-8">
                <meta http-equiv="refresh" content="1;url={target}" />
                <title>Opening Jupyter Application</title>
            </head>
            <body>
            <p>This page should redirect you to a Jupyter application. If it doesn't, <a href="{target}">click here to go to Jupyter</a>.</p>
            </body>
            </html>
            """;
        WritePrivate(OpenFile, html);
    }

    public void Remove()
    {
        foreach (var f in new[] { InfoFile, OpenFile })
            try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The files hold the token: owner-only, like Jupyter's <c>secure_write</c>.</summary>
    internal static void WritePrivate(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
