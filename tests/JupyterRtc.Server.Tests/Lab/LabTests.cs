using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Lab;

/// <summary>
/// The JupyterLab application against a small installed-JupyterLab layout made by the test
/// (<c>{prefix}/share/jupyter/lab/{static,schemas,themes,settings}</c> and <c>share/jupyter/labextensions</c>).
/// </summary>
public sealed class LabTests : IAsyncLifetime
{
    private string _prefix = null!;
    private string AppDir => Path.Combine(_prefix, "share", "jupyter", "lab");
    private string Labextensions => Path.Combine(_prefix, "share", "jupyter", "labextensions");
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _prefix = Directory.CreateTempSubdirectory("jrtc-lab-").FullName;
        Write("static/bundle.js", "console.log('lab')");
        Write("static/1a2b3c4d5e6f7a8b9c0d.chunk.js", "chunk");
        Write("static/package.json", """{"name": "@jupyterlab/application-top", "version": "4.6.3"}""");
        Write("static/third-party-licenses.json", """{"packages": [{"name": "react", "versionInfo": "18.2.0", "licenseId": "MIT", "extractedText": "MIT License ..."}]}""");
        Write("schemas/@jupyterlab/translation-extension/plugin.json", """
            {"title": "Language", "type": "object",
             "properties": {"locale": {"type": "string", "default": "default"}, "pseudo": {"type": "boolean", "default": false}}}
            """);
        Write("schemas/@jupyterlab/translation-extension/package.json.orig", """{"name": "@jupyterlab/translation-extension", "version": "4.6.3"}""");
        Write("schemas/@jupyterlab/apputils-extension/themes.json", """
            {"type": "object", "properties": {"theme": {"type": "string", "default": "JupyterLab Light"}, "overrides": {"type": "object", "default": {"a": 1}}}}
            """);
        Write("themes/@jupyterlab/theme-light-extension/index.css", "body { background: url('./images/bg.png'); } .x { background: url(data:image/png;base64,AA) }");
        Write("themes/@jupyterlab/theme-light-extension/images/bg.png", "png");
        Write("settings/overrides.json", """{"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark", "overrides": {"b": 2}}}""");
        Directory.CreateDirectory(Labextensions);
        WriteAt(Path.Combine(Labextensions, "@jupyter", "collaboration-extension", "package.json"), """
            {"name": "@jupyter/collaboration-extension", "version": "5.0.2",
             "jupyterlab": {"_build": {"load": "static/remoteEntry.0123456789abcdef0123.js", "extension": "./extension", "style": "./style"}}}
            """);
        WriteAt(Path.Combine(Labextensions, "@jupyter", "collaboration-extension", "static", "remoteEntry.0123456789abcdef0123.js"), "remote");
        WriteAt(Path.Combine(Labextensions, "@jupyter", "collaboration-extension", "schemas", "@jupyter", "collaboration-extension", "user-menu-bar.json"),
            """{"type": "object", "properties": {}}""");
        WriteAt(Path.Combine(Labextensions, "no-build", "package.json"), """{"name": "no-build", "version": "1.0.0"}""");
        _server = await TestServer.StartAsync($"--app-dir={AppDir}", $"--ServerApp.ip=127.0.0.1");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_prefix, true);
    }

    private void Write(string relative, string text) => WriteAt(Path.Combine(AppDir, relative), text);

    private static void WriteAt(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static JObject PageConfigOf(string html)
    {
        var m = Regex.Match(html, "<script id=\"jupyter-config-data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(m.Success, html);
        return JObject.Parse(m.Groups[1].Value);
    }

    private static readonly string[] RequiredKeys =
    [
        "appName", "appNamespace", "appSettingsDir", "appUrl", "appVersion", "baseUrl", "buildAvailable", "buildCheck", "cacheFiles",
        "disabledExtensions", "deferredExtensions", "extraLabextensionsPath", "federated_extensions", "fullAppUrl",
        "fullLabextensionsUrl", "fullLicensesUrl", "fullListingsUrl", "fullMathjaxUrl", "fullSettingsUrl", "fullStaticUrl",
        "fullThemesUrl", "fullTranslationsApiUrl", "fullTreeUrl", "fullWorkspacesApiUrl", "ignorePlugins", "labextensionsPath",
        "labextensionsUrl", "licensesUrl", "listingsUrl", "mathjaxConfig", "mode", "notebookStartsKernel", "notebookVersion",
        "preferredPath", "schemasDir", "serverRoot", "settingsUrl", "staticDir", "store_id", "templatesDir", "terminalsAvailable",
        "themesDir", "themesUrl", "token", "translationsApiUrl", "treePath", "treeUrl", "userSettingsDir", "workspace",
        "workspacesApiUrl", "workspacesDir", "wsUrl",
    ];

    [Fact]
    public async Task Lab_page_has_every_page_config_key_then_the_bundle()
    {
        var r = await _server.Client.GetAsync("lab");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/html", r.Content.Headers.ContentType!.MediaType);
        var html = await r.Content.ReadAsStringAsync();
        var config = PageConfigOf(html);
        foreach (var key in RequiredKeys) Assert.True(config.ContainsKey(key), $"page_config lacks {key}");
        Assert.Equal("/", (string?)config["baseUrl"]);
        Assert.Equal("/lab", (string?)config["appUrl"]);
        Assert.Equal("/static/lab", (string?)config["fullStaticUrl"]);
        Assert.Equal("4.6.3", (string?)config["appVersion"]);
        Assert.Equal("multiple-document", (string?)config["mode"]);
        Assert.Equal("default", (string?)config["workspace"]);
        Assert.Equal(TestServer.Token, (string?)config["token"]);
        Assert.False((bool)config["terminalsAvailable"]!);
        var fed = Assert.IsType<JArray>(config["federated_extensions"]);
        var ext = Assert.Single(fed);   // the one without jupyterlab._build is skipped
        Assert.Equal("@jupyter/collaboration-extension", (string?)ext["name"]);
        Assert.Equal("static/remoteEntry.0123456789abcdef0123.js", (string?)ext["load"]);
        Assert.Equal("./extension", (string?)ext["extension"]);
        Assert.True(html.IndexOf("jupyter-config-data", StringComparison.Ordinal) < html.IndexOf("/static/lab/bundle.js", StringComparison.Ordinal));
        Assert.Contains(r.Headers.GetValues("Set-Cookie"), c => c.StartsWith("_xsrf="));
    }

    [Fact]
    public async Task Tree_workspace_doc_and_unknown_lab_paths()
    {
        var tree = PageConfigOf(await _server.Client.GetStringAsync("lab/tree/dir/a%20b.ipynb"));
        Assert.Equal("dir/a b.ipynb", (string?)tree["treePath"]);
        var ws = PageConfigOf(await _server.Client.GetStringAsync("lab/workspaces/mine"));
        Assert.Equal("mine", (string?)ws["workspace"]);
        var doc = PageConfigOf(await _server.Client.GetStringAsync("doc/tree/x.ipynb"));
        Assert.Equal("single-document", (string?)doc["mode"]);
        var missing = await _server.Client.GetAsync("lab/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("/lab/nothing-here", (string?)PageConfigOf(await missing.Content.ReadAsStringAsync())["notFoundUrl"]);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("lab/api/nothing")).StatusCode);
    }

    [Fact]
    public async Task Root_redirects_to_lab_keeping_the_query_and_pages_need_login()
    {
        var anonymous = _server.NewClient(token: false);
        var root = await anonymous.GetAsync("?token=" + TestServer.Token);
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/lab?token=" + TestServer.Token, root.Headers.Location!.OriginalString);
        var page = await anonymous.GetAsync("lab");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/login?next=", page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("lab/api/settings")).StatusCode);
        // A browser that came with the token in the address: the page carries that token, and the cookie serves the reload.
        var jar = new CookieContainer();
        var browser = _server.NewClient(token: false, cookies: jar);
        var first = PageConfigOf(await browser.GetStringAsync("lab?token=" + TestServer.Token));
        Assert.Equal(TestServer.Token, (string?)first["token"]);
        var reload = await browser.GetAsync("lab");
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal("", (string?)PageConfigOf(await reload.Content.ReadAsStringAsync())["token"]);
    }

    [Fact]
    public async Task Static_assets_with_cache_headers_and_extensions()
    {
        var anonymous = _server.NewClient(token: false);
        var bundle = await anonymous.GetAsync("static/lab/bundle.js");
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        Assert.Equal("console.log('lab')", await bundle.Content.ReadAsStringAsync());
        Assert.Equal("no-cache", bundle.Headers.CacheControl!.ToString());
        Assert.NotNull(bundle.Headers.ETag);
        var again = new HttpRequestMessage(HttpMethod.Get, "static/lab/bundle.js");
        again.Headers.IfNoneMatch.Add(bundle.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await anonymous.SendAsync(again)).StatusCode);
        var chunk = await anonymous.GetAsync("static/lab/1a2b3c4d5e6f7a8b9c0d.chunk.js");
        Assert.Contains("immutable", chunk.Headers.CacheControl!.ToString());
        Assert.Contains("max-age=31536000", chunk.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("static/lab/missing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("static/lab/..%2F..%2Fsettings%2Foverrides.json")).StatusCode);
        var remote = await _server.Client.GetAsync("lab/extensions/@jupyter/collaboration-extension/static/remoteEntry.0123456789abcdef0123.js");
        Assert.Equal(HttpStatusCode.OK, remote.StatusCode);
        Assert.Equal("remote", await remote.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("lab/extensions/@jupyter/collaboration-extension/nope.js")).StatusCode);
    }

    [Fact]
    public async Task Settings_list_get_put_and_overrides()
    {
        var list = JObject.Parse(await _server.Client.GetStringAsync("lab/api/settings"));
        var ids = list["settings"]!.Select(p => (string)p["id"]!).ToList();
        Assert.Equal(ids.OrderByDescending(i => i, StringComparer.Ordinal), ids);
        Assert.Contains("@jupyterlab/translation-extension:plugin", ids);
        Assert.Contains("@jupyter/collaboration-extension:user-menu-bar", ids);
        Assert.All(list["settings"]!, p => Assert.True(((JObject)p).ContainsKey("warning")));
        var idsOnly = JObject.Parse(await _server.Client.GetStringAsync("lab/api/settings?ids_only=true"));
        Assert.All(idsOnly["settings"]!, p => Assert.Equal(["id"], ((JObject)p).Properties().Select(x => x.Name)));

        var one = JObject.Parse(await _server.Client.GetStringAsync("lab/api/settings/@jupyterlab/translation-extension:plugin"));
        Assert.Equal("4.6.3", (string?)one["version"]);
        Assert.Equal("{}", (string?)one["raw"]);
        Assert.Equal("default", (string?)one["schema"]!["properties"]!["locale"]!["default"]);
        Assert.Equal(JTokenType.Null, one["last_modified"]!.Type);

        var themes = JObject.Parse(await _server.Client.GetStringAsync("lab/api/settings/@jupyterlab/apputils-extension:themes"));
        Assert.Equal("JupyterLab Dark", (string?)themes["schema"]!["properties"]!["theme"]!["default"]);
        Assert.Equal(new JObject { ["a"] = 1, ["b"] = 2 }, themes["schema"]!["properties"]!["overrides"]!["default"]);
        Assert.Equal("N/A", (string?)themes["version"]);

        const string raw = "{\n  // the language\n  \"locale\": \"en\",\n}";
        var put = await _server.Client.PutAsync("lab/api/settings/@jupyterlab/translation-extension:plugin", TestHttp.Json(new { raw }));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var stored = Path.Combine(_server.ConfigDir, "lab", "user-settings", "@jupyterlab", "translation-extension", "plugin.jupyterlab-settings");
        Assert.Equal(raw, File.ReadAllText(stored));
        one = JObject.Parse(await _server.Client.GetStringAsync("lab/api/settings/@jupyterlab/translation-extension:plugin"));
        Assert.Equal(raw, (string?)one["raw"]);
        Assert.Equal("en", (string?)one["settings"]!["locale"]);
        Assert.NotEqual(JTokenType.Null, one["last_modified"]!.Type);

        var wrongType = await _server.Client.PutAsync("lab/api/settings/@jupyterlab/translation-extension:plugin", TestHttp.Json(new { raw = "{\"locale\": 3}" }));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Contains("Failed validating input", await wrongType.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.PutAsync("lab/api/settings/@jupyterlab/translation-extension:plugin", TestHttp.Json(new { x = 1 }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.PutAsync("lab/api/settings/@jupyterlab/translation-extension:plugin", TestHttp.Json(new { raw = "{nope" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("lab/api/settings/@jupyterlab/nothing:plugin")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.PutAsync("lab/api/settings/@jupyterlab/nothing:plugin", TestHttp.Json(new { raw = "{}" }))).StatusCode);
    }

    [Fact]
    public async Task Workspaces_are_saved_and_listed()
    {
        var missing = JObject.Parse(await _server.Client.GetStringAsync("lab/api/workspaces/default"));
        Assert.Equal(new JObject { ["data"] = new JObject(), ["metadata"] = new JObject { ["id"] = "/default" } }, missing);
        var ws = new JObject { ["data"] = new JObject { ["layout-restorer:data"] = new JObject { ["main"] = new JObject() } }, ["metadata"] = new JObject { ["id"] = "default" } };
        var put = await _server.Client.PutAsync("lab/api/workspaces/default", new StringContent(ws.ToString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var got = JObject.Parse(await _server.Client.GetStringAsync("lab/api/workspaces/default"));
        Assert.Equal(ws["data"], got["data"]);
        Assert.Equal("/default", (string?)got["metadata"]!["id"]);
        Assert.NotNull(got["metadata"]!["last_modified"]);
        Assert.Single(Directory.GetFiles(Path.Combine(_server.ConfigDir, "lab", "workspaces"), "*.jupyterlab-workspace"));
        var list = JObject.Parse(await _server.Client.GetStringAsync("lab/api/workspaces"));
        Assert.Equal(new JArray("default"), list["workspaces"]!["ids"]);
        var mismatch = await _server.Client.PutAsync("lab/api/workspaces/other", new StringContent(ws.ToString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.DeleteAsync("lab/api/workspaces/default")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.DeleteAsync("lab/api/workspaces/default")).StatusCode);
    }

    [Fact]
    public async Task Translations_themes_listings_licenses()
    {
        var langs = JObject.Parse(await _server.Client.GetStringAsync("lab/api/translations"));
        Assert.Equal("English", (string?)langs["data"]!["en"]!["displayName"]);
        var dflt = JObject.Parse(await _server.Client.GetStringAsync("lab/api/translations/default"));
        Assert.Equal(new JObject { ["data"] = new JObject(), ["message"] = "" }, dflt);

        var css = await _server.Client.GetAsync("lab/api/themes/@jupyterlab/theme-light-extension/index.css");
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        var text = await css.Content.ReadAsStringAsync();
        Assert.Contains("url('/lab/api/themes/@jupyterlab/theme-light-extension/./images/bg.png')", text);
        Assert.Contains("url(data:image/png;base64,AA)", text);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("lab/api/themes/@jupyterlab/theme-light-extension/images/bg.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("lab/api/themes/@jupyterlab/none/index.css")).StatusCode);

        var listing = JObject.Parse(await _server.Client.GetStringAsync("lab/api/listings/@jupyterlab/extensionmanager-extension/listings.json"));
        Assert.Equal(new JArray(), listing["blocked_extensions"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.GetAsync("lab/api/listings/other.json")).StatusCode);

        var licenses = JObject.Parse(await _server.Client.GetStringAsync("lab/api/licenses/"));
        Assert.Equal("MIT", (string?)licenses["bundles"]!["JupyterLab"]!["packages"]![0]!["licenseId"]);
        Assert.NotNull(licenses["bundles"]!["JupyterLab"]!["packages"]![0]!["extractedText"]);
        var brief = JObject.Parse(await _server.Client.GetStringAsync("lab/api/licenses/?full_text=false"));
        Assert.Null(brief["bundles"]!["JupyterLab"]!["packages"]![0]!["extractedText"]);
        var none = JObject.Parse(await _server.Client.GetStringAsync("lab/api/licenses/?bundles=nothing"));
        Assert.Equal(new JObject(), none["bundles"]);
        Assert.Contains("\"react\"", await _server.Client.GetStringAsync("lab/api/licenses/?format=csv"));
    }

    [Fact]
    public async Task Nbconvert_and_terminals_answer_honestly()
    {
        var nbconvert = JObject.Parse(await _server.Client.GetStringAsync("api/nbconvert"));
        var hasNbconvert = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "jupyter-nbconvert")));
        Assert.Equal(hasNbconvert, nbconvert.Count > 0);
        Assert.Equal("[]", await _server.Client.GetStringAsync("api/terminals"));
        var one = await _server.Client.GetAsync("api/terminals/1");
        Assert.Equal(HttpStatusCode.NotFound, one.StatusCode);
        Assert.Contains("Terminal not found: 1", await one.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Base_url_prefixes_every_url()
    {
        await using var server = await TestServer.StartAsync($"--app-dir={AppDir}", "--ServerApp.base_url=/user/ada/");
        var root = await server.Client.GetAsync("");
        Assert.Equal("/user/ada/lab", root.Headers.Location!.OriginalString);
        var config = PageConfigOf(await server.Client.GetStringAsync("lab"));
        Assert.Equal("/user/ada/", (string?)config["baseUrl"]);
        Assert.Equal("/user/ada/static/lab", (string?)config["fullStaticUrl"]);
        Assert.Equal("/user/ada/lab/api/settings", (string?)config["fullSettingsUrl"]);
        Assert.Equal("/lab/api/settings", (string?)config["settingsUrl"]);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("static/lab/bundle.js")).StatusCode);
    }

    [Fact]
    public async Task A_pip_installed_index_html_gives_its_script_tags()
    {
        Write("static/index.html", """
            <!doctype html><html><head><title>{{page_config['appName'] | e}}</title>
            {% block meta %}{% endblock %}</head><body>
            <script id="jupyter-config-data" type="application/json">{{ page_config_full | tojson }}</script>
            <script defer src="{{page_config.fullStaticUrl}}/main.0123456789abcdef0123.js?v=0123456789abcdef0123"></script>
            {% if custom_css %}<link rel="stylesheet" href="{{ base_url | escape }}custom/custom.css">{% endif %}
            </body></html>
            """);
        var html = await _server.Client.GetStringAsync("lab");
        Assert.Contains("<script defer src=\"/static/lab/main.0123456789abcdef0123.js?v=0123456789abcdef0123\"></script>", html);
        Assert.DoesNotContain("{{", html);
        Assert.DoesNotContain("bundle.js", html);
        PageConfigOf(html);
    }

    [Fact]
    public async Task Without_a_jupyterlab_the_page_says_how_to_get_one()
    {
        var empty = Directory.CreateTempSubdirectory("jrtc-nolab-").FullName;
        try
        {
            await using var server = await TestServer.StartAsync($"--app-dir={empty}");
            var r = await server.Client.GetAsync("lab");
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Contains("pip install jupyterlab", await r.Content.ReadAsStringAsync());
        }
        finally { Directory.Delete(empty, true); }
    }
}
