using System.Net;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests;

/// <summary>Section 2 of the reference against a real Kestrel: tokens, cookies, XSRF, host and origin checks.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Api_without_credentials_is_403_json_never_a_redirect()
    {
        var anon = _server.NewClient(token: false);
        var r = await anon.GetAsync("api/contents");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Forbidden", (string?)(await r.ReadObject())["message"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.GetAsync("api/status")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.GetAsync("api/nonexistent")).StatusCode);
    }

    [Fact]
    public async Task Get_api_is_public_and_reports_a_2x_version()
    {
        var r = await _server.NewClient(token: false).GetAsync("api");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.StartsWith("2.", (string?)(await r.ReadObject())["version"]);
    }

    [Theory]
    [InlineData("token")]
    [InlineData("Bearer")]
    public async Task Token_in_authorization_header_authenticates(string scheme)
    {
        var client = _server.NewClient(token: false);
        var req = new HttpRequestMessage(HttpMethod.Get, "api/status");
        req.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {TestServer.Token}");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(req)).StatusCode);
    }

    [Fact]
    public async Task Wrong_token_is_refused_and_query_token_works()
    {
        var client = _server.NewClient(token: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("api/status?token=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"api/status?token={TestServer.Token}")).StatusCode);
    }

    [Fact]
    public async Task Token_request_sets_a_login_cookie_that_authenticates_later_requests()
    {
        var jar = new CookieContainer();
        var client = _server.NewClient(token: false, cookies: jar);
        var first = await client.GetAsync($"api/me?token={TestServer.Token}");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var cookies = jar.GetCookies(_server.BaseAddress);
        Assert.Contains(cookies, c => c.Name.StartsWith("username-127-0-0-1-", StringComparison.Ordinal) && c.HttpOnly);
        Assert.Contains(cookies, c => c.Name == "_xsrf" && !c.HttpOnly);
        var me1 = await first.ReadObject();
        var second = await client.GetAsync("api/me");   // cookie only
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((string?)me1["identity"]!["username"], (string?)(await second.ReadObject())["identity"]!["username"]);
    }

    [Fact]
    public async Task Cookie_authenticated_writes_need_the_xsrf_header()
    {
        var jar = new CookieContainer();
        var client = _server.NewClient(token: false, cookies: jar);
        await client.GetAsync($"api/status?token={TestServer.Token}");
        var body = new { type = "file", format = "text", content = "x" };
        var refused = await client.PutAsync("api/contents/a.txt", TestHttp.Json(body));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(File.Exists(_server.PathInRoot("a.txt")));
        var xsrf = jar.GetCookies(_server.BaseAddress)["_xsrf"]!.Value;
        var req = new HttpRequestMessage(HttpMethod.Put, "api/contents/a.txt") { Content = TestHttp.Json(body) };
        req.Headers.Add("X-XSRFToken", xsrf);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(req)).StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Put, "api/contents/b.txt") { Content = TestHttp.Json(body) };
        wrong.Headers.Add("X-XSRFToken", "not-the-cookie");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task Cookie_authenticated_write_from_a_foreign_origin_is_404()
    {
        var jar = new CookieContainer();
        var client = _server.NewClient(token: false, cookies: jar);
        await client.GetAsync($"api/status?token={TestServer.Token}");
        var req = new HttpRequestMessage(HttpMethod.Put, "api/contents/evil.txt") { Content = TestHttp.Json(new { type = "file", format = "text", content = "x" }) };
        req.Headers.Add("X-XSRFToken", jar.GetCookies(_server.BaseAddress)["_xsrf"]!.Value);
        req.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(req)).StatusCode);
        Assert.False(File.Exists(_server.PathInRoot("evil.txt")));
    }

    [Fact]
    public async Task Non_local_host_header_is_refused()
    {
        var req = new HttpRequestMessage(HttpMethod.Get, "api/status");
        req.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.Client.SendAsync(req)).StatusCode);
        var ok = new HttpRequestMessage(HttpMethod.Get, "api/status");
        ok.Headers.Host = $"localhost:{_server.Host.Port}";
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.SendAsync(ok)).StatusCode);
    }

    [Fact]
    public async Task Websocket_upgrade_without_credentials_or_from_a_foreign_origin_is_403_before_upgrade()
    {
        using var anon = new System.Net.WebSockets.ClientWebSocket();
        var wsBase = new Uri(_server.BaseAddress.ToString().Replace("http://", "ws://"));
        var e = await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() =>
            anon.ConnectAsync(new Uri(wsBase, "api/events/subscribe"), CancellationToken.None));
        Assert.Contains("403", e.Message);

        // Cookie-authenticated from another origin: refused too.
        var jar = new CookieContainer();
        await _server.NewClient(token: false, cookies: jar).GetAsync($"api/status?token={TestServer.Token}");
        using var foreign = new System.Net.WebSockets.ClientWebSocket();
        foreign.Options.Cookies = jar;
        foreign.Options.SetRequestHeader("Origin", "http://evil.example");
        var e2 = await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() =>
            foreign.ConnectAsync(new Uri(wsBase, "api/events/subscribe"), CancellationToken.None));
        Assert.Contains("403", e2.Message);
    }

    [Fact]
    public async Task Pages_redirect_to_login_and_login_accepts_the_token()
    {
        var jar = new CookieContainer();
        var client = _server.NewClient(token: false, cookies: jar);
        var page = await client.GetAsync("lab/tree/x.ipynb");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/login?next=%2Flab%2Ftree%2Fx.ipynb", page.Headers.Location!.OriginalString);

        var form = await client.GetAsync("login");
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var xsrf = jar.GetCookies(_server.BaseAddress)["_xsrf"]!.Value;
        Assert.Contains(xsrf, await form.Content.ReadAsStringAsync());

        var missingXsrf = await client.PostAsync("login?next=%2Flab", new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = TestServer.Token }));
        // The cookie jar sends _xsrf but the form lacks it: refused.
        Assert.Equal(HttpStatusCode.Forbidden, missingXsrf.StatusCode);
        var bad = await client.PostAsync("login?next=%2Flab", new FormUrlEncodedContent(new Dictionary<string, string> { ["_xsrf"] = xsrf, ["password"] = "wrong" }));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        var good = await client.PostAsync("login?next=%2Flab", new FormUrlEncodedContent(new Dictionary<string, string> { ["_xsrf"] = xsrf, ["password"] = TestServer.Token }));
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Equal("/lab", good.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/me")).StatusCode);

        var evilNext = await client.GetAsync("login?next=%2F%2Fevil.example%2F");
        Assert.Equal("/", evilNext.Headers.Location!.OriginalString);

        var logout = await client.GetAsync("logout");
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("api/me")).StatusCode);
    }

    [Fact]
    public async Task Each_browser_login_gets_its_own_identity()
    {
        var a = _server.NewClient(token: false, cookies: new CookieContainer());
        var b = _server.NewClient(token: false, cookies: new CookieContainer());
        var idA = (await (await a.GetAsync($"api/me?token={TestServer.Token}")).ReadObject())["identity"]!;
        var idB = (await (await b.GetAsync($"api/me?token={TestServer.Token}")).ReadObject())["identity"]!;
        Assert.NotEqual((string?)idA["username"], (string?)idB["username"]);
        foreach (var id in new[] { idA, idB })
        {
            Assert.StartsWith("Anonymous ", (string?)id["name"]);
            Assert.Equal((string?)id["name"], (string?)id["display_name"]);
            Assert.Equal(2, ((string?)id["initials"])!.Length);
            Assert.StartsWith("var(--jp-collaborator-color", (string?)id["color"]);
        }
    }
}

public sealed class AuthSettingsTests
{
    [Fact]
    public async Task Configured_name_is_used_for_every_login()
    {
        await using var server = await TestServer.StartAsync("--IdentityProvider.name=Ada Lovelace");
        var me = await (await server.Client.GetAsync("api/me")).ReadObject();
        Assert.Equal("Ada Lovelace", (string?)me["identity"]!["name"]);
        Assert.Equal("AL", (string?)me["identity"]!["initials"]);
    }

    [Fact]
    public async Task Disable_check_xsrf_lets_cookie_writes_through()
    {
        await using var server = await TestServer.StartAsync("--ServerApp.disable_check_xsrf=True");
        var jar = new CookieContainer();
        var client = server.NewClient(token: false, cookies: jar);
        await client.GetAsync($"api/status?token={TestServer.Token}");
        var r = await client.PutAsync("api/contents/a.txt", TestHttp.Json(new { type = "file", format = "text", content = "x" }));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    [Fact]
    public async Task Empty_token_disables_authentication()
    {
        await using var server = await TestServer.StartAsync("--IdentityProvider.token=");
        Assert.Equal(HttpStatusCode.OK, (await server.NewClient(token: false).GetAsync("api/contents")).StatusCode);
    }

    [Fact]
    public async Task Base_url_prefixes_every_route()
    {
        await using var server = await TestServer.StartAsync("--ServerApp.base_url=/user/ada");
        Assert.EndsWith("/user/ada/", server.BaseAddress.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("api/status")).StatusCode);
        var outside = await server.Client.GetAsync(new Uri(server.BaseAddress, "/api/status"));
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        var created = await server.Client.PostAsync("api/contents", TestHttp.Json(new { type = "notebook" }));
        Assert.Equal("/user/ada/api/contents/Untitled.ipynb", created.Headers.Location!.OriginalString);
    }
}
