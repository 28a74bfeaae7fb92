using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using JupyterRtc.Server.Auth;
using JupyterRtc.Server.Auth.Hub;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Lab;

/// <summary>
/// The JupyterLab application (reference section 6): the lab page with its page config, the installed JupyterLab's
/// static assets, prebuilt extensions, and the <c>/lab/api/*</c> services (settings, workspaces, themes,
/// translations, listings, licenses).
/// </summary>
public static partial class LabEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static IServiceCollection AddLab(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton(sp => LabOptions.From(config, sp.GetRequiredService<ServerAppOptions>()));
        services.AddSingleton<LabExtensions>();
        services.AddSingleton<LabSettings>();
        services.AddSingleton<LabWorkspaces>();
        return services;
    }

    public static IEndpointRouteBuilder MapLab(this IEndpointRouteBuilder app)
    {
        // Pages.
        app.MapGet("/lab", (HttpContext c) => Page(c, "multiple-document", null, "", null));
        app.MapGet("/lab/tree/{**path}", (HttpContext c, string? path) => Page(c, "multiple-document", null, path ?? "", null));
        app.MapGet("/lab/workspaces/{name}", (HttpContext c, string name) => Page(c, "multiple-document", name, "", null));
        app.MapGet("/lab/workspaces/{name}/tree/{**path}", (HttpContext c, string name, string? path) => Page(c, "multiple-document", name, path ?? "", null));
        app.MapGet("/doc/tree/{**path}", (HttpContext c, string? path) => Page(c, "single-document", null, path ?? "", null));
        app.MapGet("/doc/workspaces/{name}/tree/{**path}", (HttpContext c, string name, string? path) => Page(c, "single-document", name, path ?? "", null));
        app.MapGet("/lab/{**rest}", (HttpContext c, string? rest) =>
            rest != null && (rest.StartsWith("api/") || rest == "api" || rest.StartsWith("extensions"))
                ? JupyterError.WriteAsync(c, 404, "Not Found")
                : Page(c, "multiple-document", null, "", c.Request.PathBase + c.Request.Path));

        // The installed JupyterLab's files and prebuilt extensions.
        app.MapGet("/static/lab/{**path}", (HttpContext c, LabOptions o, string? path) =>
            o.StaticDir is { } dir && LabFiles.Inside(dir, path ?? "") is { } file ? ServeFile(c, file, Immutable(path!)) : NotFound(c));
        app.MapGet("/lab/extensions/{**path}", (HttpContext c, LabOptions o, string? path) =>
        {
            foreach (var root in o.LabextensionsPath)
                if (Directory.Exists(root) && LabFiles.Inside(root, path ?? "") is { } file) return ServeFile(c, file, Immutable(path!));
            return NotFound(c);
        });

        var api = app.MapGroup("/lab/api");
        api.MapGet("/settings", (HttpContext c, LabSettings s) =>
            JsonResponse.WriteAsync(c, 200, s.List(c.Request.Query["ids_only"].FirstOrDefault() is "true" or "1")));
        api.MapGet("/settings/{**id}", (HttpContext c, LabSettings s, string id) =>
            !ValidId(id) ? JupyterError.WriteAsync(c, 404, $"Schema not found: {id}")
            : s.Get(id, false) is { } plugin ? JsonResponse.WriteAsync(c, 200, plugin)
            : JupyterError.WriteAsync(c, 404, $"Schema not found: {s.UserFile(id)}"));
        api.MapPut("/settings/{**id}", async (HttpContext c, LabSettings s, string id) =>
        {
            if (!ValidId(id)) { await JupyterError.WriteAsync(c, 404, $"Schema not found: {id}"); return; }
            var body = await JsonResponse.ReadBodyAsync(c.Request);
            if (body is not JObject o || o["raw"] is not JValue { Type: JTokenType.String } raw)
                throw new BadRequestException("Invalid format for JSON payload. Must be in the form {'raw': ...}");
            try { s.Save(id, raw.Value<string>()!); }
            catch (KeyNotFoundException) { await JupyterError.WriteAsync(c, 404, $"Schema not found: {id}"); return; }
            catch (FormatException e) { throw new BadRequestException(e.Message); }
            c.Response.StatusCode = 204;
        });

        api.MapGet("/workspaces", (HttpContext c, LabWorkspaces w) => JsonResponse.WriteAsync(c, 200, w.List()));
        api.MapGet("/workspaces/{name}", (HttpContext c, LabWorkspaces w, string name) =>
            JsonResponse.WriteAsync(c, 200, w.Load(name) ?? new JObject { ["data"] = new JObject(), ["metadata"] = new JObject { ["id"] = "/" + name } }));
        api.MapPut("/workspaces/{name}", async (HttpContext c, LabWorkspaces w, string name) =>
        {
            if (await JsonResponse.ReadBodyAsync(c.Request) is not JObject body) throw new BadRequestException("Invalid workspace: the body must be a JSON object");
            try { w.Save(name, body); }
            catch (FormatException e) { throw new BadRequestException(e.Message); }
            c.Response.StatusCode = 204;
        });
        api.MapDelete("/workspaces/{name}", (HttpContext c, LabWorkspaces w, string name) =>
        {
            if (!w.Delete(name)) return JupyterError.WriteAsync(c, 404, $"Workspace '{name}' not found");
            c.Response.StatusCode = 204;
            return Task.CompletedTask;
        });

        api.MapGet("/translations", Languages);
        api.MapGet("/translations/{locale}", (HttpContext c, string locale) => JsonResponse.WriteAsync(c, 200, new JObject
        {
            ["data"] = new JObject(),
            ["message"] = locale is "default" or "en" or "en_US" or "en-US" ? "" : $"Language pack '{locale}' not installed!",
        }));

        api.MapGet("/themes/{**path}", ServeTheme);
        api.MapGet("/listings/{**path}", (HttpContext c, string? path) =>
            path == "@jupyterlab/extensionmanager-extension/listings.json"
                ? JsonResponse.WriteAsync(c, 200, new JObject
                {
                    ["blocked_extensions_uris"] = new JArray(), ["allowed_extensions_uris"] = new JArray(),
                    ["blocked_extensions"] = new JArray(), ["allowed_extensions"] = new JArray(),
                })
                : JupyterError.WriteAsync(c, 400, $"Unknown listing: {path}"));
        api.MapGet("/licenses", Licenses);
        // The build status a Python server reports: nothing to build here.
        api.MapGet("/build", (HttpContext c) => JsonResponse.WriteAsync(c, 200, new JObject { ["status"] = "stable", ["message"] = "" }));
        return app;
    }

    [GeneratedRegex(@"^[^:/\\]+(/[^:/\\]+)?:[^:/\\]+$")]
    private static partial Regex PluginId();

    private static bool ValidId(string id) => PluginId().IsMatch(id) && !id.Contains("..");

    /// <summary>Hashed file names (chunks, remote entries) never change; everything else is revalidated.</summary>
    private static bool Immutable(string path) => HashedName().IsMatch(Path.GetFileName(path));

    [GeneratedRegex(@"[.\-_][0-9a-f]{16,}\.|^[0-9a-f]{16,}\.")]
    private static partial Regex HashedName();

    private static Task NotFound(HttpContext c) => JupyterError.WriteAsync(c, 404, "Not Found");

    /// <summary>A file with its content type, ETag and Last-Modified (conditional GETs answer 304).</summary>
    private static async Task ServeFile(HttpContext c, string file, bool immutable, string? text = null)
    {
        var info = new FileInfo(file);
        var etag = new EntityTagHeaderValue("\"" + info.LastWriteTimeUtc.Ticks.ToString("x") + "-" + info.Length.ToString("x") + "\"");
        if (!ContentTypes.TryGetContentType(file, out var type)) type = "application/octet-stream";
        if (type.StartsWith("text/") || type is "application/javascript" or "application/json") type += "; charset=utf-8";
        var h = c.Response.GetTypedHeaders();
        c.Response.Headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        h.ETag = etag;
        h.LastModified = info.LastWriteTimeUtc;
        var inm = c.Request.Headers.IfNoneMatch.ToString();
        if (inm.Length > 0 && inm.Split(',').Any(t => t.Trim() == etag.Tag.Value || t.Trim() == "*"))
        {
            c.Response.StatusCode = 304;
            return;
        }
        c.Response.ContentType = type;
        if (text != null)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            c.Response.ContentLength = bytes.Length;
            if (!HttpMethods.IsHead(c.Request.Method)) await c.Response.Body.WriteAsync(bytes, c.RequestAborted);
            return;
        }
        c.Response.ContentLength = info.Length;
        if (!HttpMethods.IsHead(c.Request.Method)) await c.Response.SendFileAsync(file, c.RequestAborted);
    }

    [GeneratedRegex(@"url\(\s*(['""]?)(?!data:|https?:|//|/|#)([^'"")]+)\1\s*\)")]
    private static partial Regex CssUrl();

    // English only: no language packs are installed (they are Python packages).
    private static Task Languages(HttpContext c) => JsonResponse.WriteAsync(c, 200, new JObject
    {
        ["data"] = new JObject { ["en"] = new JObject { ["displayName"] = "English", ["nativeName"] = "English" } },
        ["message"] = "",
    });

    /// <summary>
    /// Theme files from <c>{app_dir}/themes</c> and the extensions' <c>themes</c> folders; relative <c>url()</c>s in CSS
    /// become absolute under the themes URL, as jupyterlab_server's themes handler does.
    /// </summary>
    private static Task ServeTheme(HttpContext c, LabOptions o, LabExtensions extensions, ServerAppOptions server, string? path)
    {
        path ??= "";
        var roots = new List<string>();
        if (o.ThemesDir != null) roots.Add(o.ThemesDir);
        roots.AddRange(extensions.Find().Select(e => Path.Combine(e.Dir, "themes")));
        foreach (var root in roots)
        {
            if (!Directory.Exists(root) || LabFiles.Inside(root, path) is not { } file) continue;
            if (!file.EndsWith(".css", StringComparison.OrdinalIgnoreCase)) return ServeFile(c, file, false);
            var dir = path.Contains('/') ? path[..path.LastIndexOf('/')] : "";
            var baseUrl = server.BaseUrl + "lab/api/themes/" + (dir.Length > 0 ? dir + "/" : "");
            var css = CssUrl().Replace(File.ReadAllText(file), m => $"url({m.Groups[1].Value}{baseUrl}{m.Groups[2].Value}{m.Groups[1].Value})");
            return ServeFile(c, file, false, css);
        }
        return NotFound(c);
    }

    /// <summary>
    /// <c>/lab/api/licenses</c>: the third-party licenses of the app and its extensions, from their
    /// <c>third-party-licenses.json</c>, as JSON, Markdown or CSV.
    /// </summary>
    private static Task Licenses(HttpContext c, LabOptions o, LabExtensions extensions)
    {
        var q = c.Request.Query;
        var fullText = !(q["full_text"].FirstOrDefault()?.ToLowerInvariant() is "false" or "0");
        var format = q["format"].FirstOrDefault() ?? "json";
        Regex bundlesFilter;
        try { bundlesFilter = new Regex(q["bundles"].FirstOrDefault() ?? ".*", RegexOptions.None, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException) { throw new BadRequestException("Invalid 'bundles' regular expression"); }
        var sources = new List<(string Bundle, string File)>();
        if (o.StaticDir != null) sources.Add((o.AppName, Path.Combine(o.StaticDir, "third-party-licenses.json")));
        sources.AddRange(extensions.Find().Select(e => (e.Name, Path.Combine(e.Dir, "static", "third-party-licenses.json"))));
        var bundles = new JObject();
        foreach (var (bundle, file) in sources)
        {
            if (!bundlesFilter.IsMatch(bundle) || !File.Exists(file)) continue;
            try
            {
                var packages = JObject.Parse(File.ReadAllText(file))["packages"] as JArray ?? new JArray();
                if (!fullText) foreach (var p in packages.OfType<JObject>()) p.Remove("extractedText");
                bundles[bundle] = new JObject { ["packages"] = packages };
            }
            catch (JsonException) { }
        }
        var report = new JObject { ["bundles"] = bundles };
        if (q["download"].FirstOrDefault() is "1" or "true")
            c.Response.Headers.ContentDisposition = $"attachment; filename=\"{o.AppName.ToLowerInvariant()}-licenses.{(format == "markdown" ? "md" : format)}\"";
        switch (format)
        {
            case "json": return JsonResponse.WriteAsync(c, 200, report);
            case "markdown":
            {
                var sb = new StringBuilder();
                foreach (var b in bundles.Properties())
                {
                    sb.Append("# ").Append(b.Name).Append("\n\n");
                    foreach (var p in b.Value["packages"]!.OfType<JObject>())
                    {
                        sb.Append("## ").Append(p.Value<string>("name")).Append(' ').Append(p.Value<string>("versionInfo")).Append("\n\n");
                        sb.Append("License: ").Append(p.Value<string>("licenseId")).Append("\n\n");
                        if (p.Value<string>("extractedText") is { } t) sb.Append(t).Append("\n\n");
                    }
                }
                return Text(c, "text/markdown; charset=utf-8", sb.ToString());
            }
            case "csv":
            {
                var sb = new StringBuilder("bundle,name,versionInfo,licenseId\r\n");
                static string Cell(string? s) => "\"" + (s ?? "").Replace("\"", "\"\"") + "\"";
                foreach (var b in bundles.Properties())
                    foreach (var p in b.Value["packages"]!.OfType<JObject>())
                        sb.Append(Cell(b.Name)).Append(',').Append(Cell(p.Value<string>("name"))).Append(',')
                          .Append(Cell(p.Value<string>("versionInfo"))).Append(',').Append(Cell(p.Value<string>("licenseId"))).Append("\r\n");
                return Text(c, "text/csv; charset=utf-8", sb.ToString());
            }
            default: throw new BadRequestException($"Unsupported license report format: {format}");
        }
    }

    private static Task Text(HttpContext c, string type, string text)
    {
        c.Response.ContentType = type;
        return c.Response.WriteAsync(text);
    }

    /// <summary>The lab page: page config, then the JupyterLab bundle's scripts.</summary>
    private static async Task Page(HttpContext c, string mode, string? workspace, string treePath, string? notFoundUrl)
    {
        var o = c.RequestServices.GetRequiredService<LabOptions>();
        var server = c.RequestServices.GetRequiredService<ServerAppOptions>();
        c.Response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
        if (o.StaticDir is not { } staticDir || !Directory.Exists(staticDir))
        {
            // As Jupyter Server without the jupyterlab extension: 404, with a page that says what to install.
            c.Response.StatusCode = 404;
            c.Response.ContentType = "text/html; charset=utf-8";
            await c.Response.WriteAsync("<!DOCTYPE html><html><head><title>JupyterLab not found</title></head><body>" +
                "<h1>JupyterLab is not installed</h1><p>JupyterRtc serves the JupyterLab you install with pip " +
                "(<code>pip install jupyterlab</code>, found in <code>share/jupyter/lab</code> of the Jupyter data path) " +
                "or the one given with <code>--app-dir</code>.</p></body></html>");
            return;
        }
        AuthMiddleware.EnsureXsrfCookie(c);
        var config = PageConfig(c, o, server, mode, workspace ?? "default", treePath, notFoundUrl);
        var json = JsonConvert.SerializeObject(config, new JsonSerializerSettings { StringEscapeHandling = StringEscapeHandling.EscapeHtml });
        var scripts = Scripts(staticDir, config.Value<string>("fullStaticUrl")!);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(WebUtility.HtmlEncode(o.AppName)).Append("</title>\n");
        html.Append("<script id=\"jupyter-config-data\" type=\"application/json\">").Append(json).Append("</script>\n");
        foreach (var s in scripts) html.Append(s).Append('\n');
        html.Append("</head>\n<body>\n</body>\n</html>\n");
        c.Response.StatusCode = notFoundUrl != null ? 404 : 200;
        c.Response.ContentType = "text/html; charset=utf-8";
        await c.Response.WriteAsync(html.ToString());
    }

    [GeneratedRegex(@"<script\b[^>]*\bsrc=""[^""]*""[^>]*>\s*</script>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"\{\{\s*page_config\.fullStaticUrl\s*\}\}")]
    private static partial Regex StaticUrlPlaceholder();

    /// <summary>
    /// The script tags: those of the installed app's <c>static/index.html</c> (a Jinja template in a pip install, of which
    /// only <c>{{page_config.fullStaticUrl}}</c> appears in script sources), else the single <c>bundle.js</c> of an rspack
    /// or webpack build without an index.html.
    /// </summary>
    private static List<string> Scripts(string staticDir, string fullStaticUrl)
    {
        var index = Path.Combine(staticDir, "index.html");
        if (File.Exists(index))
        {
            var tags = ScriptTag().Matches(File.ReadAllText(index))
                .Select(m => StaticUrlPlaceholder().Replace(m.Value, fullStaticUrl))
                .Where(t => !t.Contains("{{") && !t.Contains("{%")).ToList();
            if (tags.Count > 0) return tags;
        }
        var entry = File.Exists(Path.Combine(staticDir, "bundle.js")) ? "bundle.js" : "main.js";
        return [$"<script src=\"{WebUtility.HtmlEncode(fullStaticUrl)}/{entry}\" main=\"index\"></script>"];
    }

    internal static JObject PageConfig(HttpContext c, LabOptions o, ServerAppOptions server, string mode, string workspace, string treePath, string? notFoundUrl)
    {
        var b = server.BaseUrl;
        var identity = c.RequestServices.GetRequiredService<IdentityProvider>();
        var extensions = c.RequestServices.GetRequiredService<LabExtensions>();
        var found = extensions.Find();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = server.RootDir;
        if (home.Length > 1 && (root == home || root.StartsWith(home + "/"))) root = "~" + root[home.Length..];
        var disabled = new JArray();
        foreach (var id in DisabledExtensions(o, found)) disabled.Add(id);
        var token = IdentityProvider.TokenFrom(c.Request);
        var config = new JObject
        {
            ["appName"] = o.AppName,
            ["appNamespace"] = o.AppNamespace,
            ["appSettingsDir"] = o.SettingsDir,
            ["appUrl"] = "/lab",
            ["appVersion"] = AppVersion(o),
            ["baseUrl"] = b,
            ["buildAvailable"] = false,
            ["buildCheck"] = false,
            ["cacheFiles"] = true,
            ["copyAbsolutePath"] = false,
            ["deferredExtensions"] = new JArray(),
            ["devMode"] = false,
            ["disabledExtensions"] = disabled,
            ["exposeAppInBrowser"] = false,
            ["extensionManager"] = new JObject { ["name"] = "readonly", ["can_install"] = false, ["install_path"] = null },
            ["extraLabextensionsPath"] = new JArray(),
            ["federated_extensions"] = extensions.PageConfigEntries(found),
            ["fullAppUrl"] = b + "lab",
            ["fullLabextensionsUrl"] = b + "lab/extensions",
            ["fullLicensesUrl"] = b + "lab/api/licenses",
            ["fullListingsUrl"] = b + "lab/api/listings",
            ["fullMathjaxUrl"] = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js",
            ["fullSettingsUrl"] = b + "lab/api/settings",
            ["fullStaticUrl"] = b + "static/lab",
            ["fullThemesUrl"] = b + "lab/api/themes",
            ["fullTranslationsApiUrl"] = b + "lab/api/translations",
            ["fullTreeUrl"] = b + "lab/tree",
            ["fullWorkspacesApiUrl"] = b + "lab/api/workspaces",
            ["ignorePlugins"] = new JArray(),
            ["labextensionsPath"] = new JArray(o.LabextensionsPath),
            ["labextensionsUrl"] = "/lab/extensions",
            ["licensesUrl"] = "/lab/api/licenses",
            ["listingsUrl"] = "/lab/api/listings",
            ["lockedExtensions"] = new JArray(),
            ["mathjaxConfig"] = "TeX-AMS_HTML-full,Safe",
            ["mode"] = mode,
            ["news"] = new JObject { ["disabled"] = true },
            ["notebookStartsKernel"] = true,
            ["notebookVersion"] = "[2, 14, 2]",
            ["preferredPath"] = "/",
            ["quitButton"] = false,
            ["schemasDir"] = o.SchemasDir,
            ["serverRoot"] = root,
            ["settingsUrl"] = "/lab/api/settings",
            ["staticDir"] = o.StaticDir,
            ["store_id"] = 0,
            ["templatesDir"] = o.StaticDir,
            ["terminalsAvailable"] = false,
            ["themesDir"] = o.ThemesDir,
            ["themesUrl"] = "/lab/api/themes",
            ["token"] = identity.IsToken(token) ? token : "",
            ["translationsApiUrl"] = "/lab/api/translations",
            ["treePath"] = treePath,
            ["treeUrl"] = "/lab/tree",
            ["userSettingsDir"] = o.UserSettingsDir,
            ["workspace"] = workspace,
            ["workspacesApiUrl"] = "/lab/api/workspaces",
            ["workspacesDir"] = o.WorkspacesDir,
            ["wsUrl"] = "",
            // The collaboration extension's cell executor: cells run on the server, outputs go into the shared document.
            ["serverSideExecution"] = Api.Execution.ExecutionSettings.ServerSideExecution(c.RequestServices.GetRequiredService<IConfiguration>()) ? "true" : "false",
        };
        if (notFoundUrl != null) config["notFoundUrl"] = notFoundUrl;
        // Under JupyterHub: the user's own hub token and the hub fields the hub extension reads.
        if (c.RequestServices.GetService<HubAuthenticator>() is { } hub)
            foreach (var (k, v) in hub.PageConfig(c)) config[k] = v;
        return config;
    }

    /// <summary>
    /// Disabled plugins: <c>disabledExtensions</c> of <c>page_config.json</c> in <c>{app_dir}/settings</c> and in each
    /// config dir's <c>labconfig</c> (a list or a <c>{id: true}</c> map), and the extensions' own
    /// <c>jupyterlab.disabledExtensions</c>.
    /// </summary>
    private static IEnumerable<string> DisabledExtensions(LabOptions o, IReadOnlyList<LabExtensions.Extension> found)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        if (o.SettingsDir != null) files.Add(Path.Combine(o.SettingsDir, "page_config.json"));
        files.AddRange(o.ConfigPath.AsEnumerable().Reverse().Select(d => Path.Combine(d, "labconfig", "page_config.json")));
        foreach (var f in files)
        {
            if (!File.Exists(f)) continue;
            try
            {
                switch (JObject.Parse(File.ReadAllText(f))["disabledExtensions"])
                {
                    case JArray a: foreach (var s in a.Values<string>()) if (s != null) result.Add(s); break;
                    case JObject m:
                        foreach (var p in m.Properties())
                            if (p.Value.Type == JTokenType.Boolean && p.Value.Value<bool>()) result.Add(p.Name); else result.Remove(p.Name);
                        break;
                }
            }
            catch (Exception e) when (e is JsonException or IOException) { }
        }
        foreach (var e in found)
            if (e.PackageJson["jupyterlab"]?["disabledExtensions"] is JArray a)
                foreach (var s in a.Values<string>()) if (s != null) result.Add(s);
        return result;
    }

    /// <summary>The JupyterLab version: <c>static/package.json</c>, else the application extension's schema package.</summary>
    private static string AppVersion(LabOptions o)
    {
        if (o.AppVersion != null) return o.AppVersion;
        var candidates = new List<string>();
        if (o.StaticDir != null) candidates.Add(Path.Combine(o.StaticDir, "package.json"));
        if (o.SchemasDir != null) candidates.Add(Path.Combine(o.SchemasDir, "@jupyterlab", "application-extension", "package.json.orig"));
        foreach (var f in candidates)
        {
            if (!File.Exists(f)) continue;
            try
            {
                if (JObject.Parse(File.ReadAllText(f)).Value<string>("version") is { } v) return o.AppVersion = v;
            }
            catch (JsonException) { }
        }
        return o.AppVersion = "";
    }
}
