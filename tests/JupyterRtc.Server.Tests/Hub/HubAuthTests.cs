using System.Net;
using System.Text.Json.Nodes;
using JupyterRtc.Server.Auth.Hub;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace JupyterRtc.Server.Tests.Hub;

/// <summary>Section 7 of the reference against a fake hub: token checks, scopes, hub failures, the OAuth flow, activity.</summary>
public sealed class HubAuthTests : IAsyncLifetime
{
    private const string AliceToken = "alice-oauth-token";
    private HubModeServer _s = null!;

    public async Task InitializeAsync()
    {
        _s = await HubModeServer.StartAsync();
        _s.Hub.AddToken(AliceToken, "alice", "access:servers!server=alice/", "read:users:name!user=alice");
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private static async Task<JsonObject> Json(HttpResponseMessage r) => FakeHub.Parse(await r.Content.ReadAsStringAsync());

    [Fact]
    public async Task Serves_under_the_prefix_with_the_hub_version_header_and_a_public_api_probe()
    {
        var r = await _s.NewClient().GetAsync("api");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("http://127.0.0.1:" + _s.Host.Port + HubModeServer.Prefix, _s.BaseAddress.ToString());
        Assert.Equal(FakeHub.Version, r.Headers.GetValues("X-JupyterHub-Version").Single());
        Assert.Contains("frame-ancestors 'none'", r.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Empty(_s.Hub.UserLookups);   // the probe needs no hub call
    }

    [Fact]
    public async Task A_hub_token_with_access_scopes_authenticates_as_its_user()
    {
        var client = _s.NewClient(AliceToken);
        var me = await client.GetAsync("api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var identity = (await Json(me))["identity"]!;
        Assert.Equal("alice", (string?)identity["username"]);
        Assert.Equal("alice", (string?)identity["name"]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/contents")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("api/contents/t.txt",
            TestHttp.Json(new { type = "file", format = "text", content = "hi" }))).StatusCode);   // token requests need no XSRF
    }

    [Fact]
    public async Task Answers_are_cached_per_token()
    {
        var client = _s.NewClient(AliceToken);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/status")).StatusCode);
        Assert.Single(_s.Hub.UserLookups, t => t == AliceToken);
        _s.Hub.AddToken("alice-second", "alice", "access:servers!user=alice");
        Assert.Equal(HttpStatusCode.OK, (await _s.NewClient("alice-second").GetAsync("api/status")).StatusCode);
        Assert.Equal(2, _s.Hub.UserLookups.Count);
    }

    [Fact]
    public async Task The_servers_own_api_token_is_the_owner_without_asking_the_hub()
    {
        var me = await _s.NewClient(FakeHub.ServerToken).GetAsync("api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("alice", (string?)(await Json(me))["identity"]!["username"]);
        Assert.Empty(_s.Hub.UserLookups);
        var info = Directory.GetFiles(Path.Combine(_s.Scratch, "runtime"), "jpserver-*.json").Single();
        Assert.Equal(FakeHub.ServerToken, (string?)FakeHub.Parse(File.ReadAllText(info))["token"]);
    }

    [Fact]
    public async Task Wrong_scopes_are_403_user_is_not_allowed()
    {
        _s.Hub.AddToken("alice-readonly", "alice", "read:users:name!user=alice");
        _s.Hub.AddToken("bob-token", "bob", "access:servers!user=bob", "access:servers!server=bob/");
        var r = await _s.NewClient("alice-readonly").GetAsync("api/contents");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("user alice is not allowed.", (string?)(await Json(r))["message"]);
        var bob = await _s.NewClient("bob-token").GetAsync("lab");   // a page too: no redirect loop
        Assert.Equal(HttpStatusCode.Forbidden, bob.StatusCode);
        Assert.Equal("user bob is not allowed.", (string?)(await Json(bob))["message"]);
    }

    [Theory]
    [InlineData("access:servers")]
    [InlineData("access:servers!user=alice")]
    public async Task Broader_access_scopes_are_allowed(string scope)
    {
        _s.Hub.AddToken("admin-token", "admin", scope);
        Assert.Equal(HttpStatusCode.OK, (await _s.NewClient("admin-token").GetAsync("api/status")).StatusCode);
    }

    [Fact]
    public async Task A_token_the_hub_refuses_is_unauthenticated()
    {
        var r = await _s.NewClient("unknown-token").GetAsync("api/contents");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("Forbidden", (string?)(await Json(r))["message"]);
        var page = await _s.NewClient("unknown-token").GetAsync("lab");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/hub/api/oauth2/authorize?", page.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData(500, HttpStatusCode.BadGateway)]
    [InlineData(503, HttpStatusCode.BadGateway)]
    [InlineData(404, HttpStatusCode.InternalServerError)]
    public async Task Hub_failures_are_502_for_5xx_and_500_for_other_errors(int hubStatus, HttpStatusCode expected)
    {
        _s.Hub.UserStatus = hubStatus;
        var r = await _s.NewClient(AliceToken).GetAsync("api/contents");
        Assert.Equal(expected, r.StatusCode);
        Assert.Equal("Failed to check authorization", (string?)(await Json(r))["message"]);
        Assert.DoesNotContain(AliceToken, _s.Console.ToString());
    }

    [Fact]
    public async Task Query_token_counts_only_on_websocket_requests()
    {
        var plain = _s.NewClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.GetAsync($"api/status?token={AliceToken}")).StatusCode);
        var req = new HttpRequestMessage(HttpMethod.Get, $"api/status?token={AliceToken}");
        req.Headers.Add("Sec-Fetch-Mode", "websocket");
        Assert.Equal(HttpStatusCode.OK, (await plain.SendAsync(req)).StatusCode);
    }

    [Fact]
    public async Task Oauth_login_sets_the_cookie_named_after_the_client_id_and_returns_to_the_page()
    {
        _s.Hub.LoggedInToken = AliceToken;
        var jar = new CookieContainer();
        var browser = _s.NewClient(cookies: jar);
        var hubBrowser = _s.NewClient();

        var first = await browser.GetAsync("tree/sub?x=1");
        var state = jar.GetCookies(_s.BaseAddress)[FakeHub.ClientId + "-oauth-state"]!;
        Assert.True(state.HttpOnly);
        Assert.Equal(HubModeServer.Prefix, state.Path);
        var location = first.Headers.Location!.OriginalString;
        Assert.StartsWith("/hub/api/oauth2/authorize?", location);
        var q = QueryHelpers.ParseQuery(location[location.IndexOf('?')..]);
        Assert.Equal(FakeHub.ClientId, q["client_id"]);
        Assert.Equal(HubModeServer.Prefix + "oauth_callback", q["redirect_uri"]);
        Assert.Equal("code", q["response_type"]);
        Assert.Equal(state.Value, q["state"]);
        Assert.Equal("S256", q["code_challenge_method"]);
        Assert.Equal(43, q["code_challenge"].ToString().Length);

        var hubAnswer = await hubBrowser.GetAsync(new Uri(_s.Hub.Url, location));
        var callback = await browser.GetAsync(new Uri(_s.BaseAddress, hubAnswer.Headers.Location!.OriginalString));
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal(HubModeServer.Prefix + "tree/sub?x=1", callback.Headers.Location!.OriginalString);
        var exchange = Assert.Single(_s.Hub.TokenRequests);
        Assert.Equal(FakeHub.ServerToken, exchange["client_secret"]);
        Assert.True(exchange.ContainsKey("code_verifier"));

        var cookies = jar.GetCookies(_s.BaseAddress);
        var login = cookies[FakeHub.ClientId]!;
        Assert.True(login.HttpOnly);
        Assert.Equal(HubModeServer.Prefix, login.Path);
        Assert.DoesNotContain(AliceToken, login.Value);   // signed and encoded, not the bare token
        Assert.Null(cookies[FakeHub.ClientId + "-oauth-state"]);
        var xsrf = cookies["_xsrf"]!;
        Assert.False(xsrf.HttpOnly);

        // The cookie now authenticates API calls; writes need the XSRF header.
        var me = await browser.GetAsync("api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("alice", (string?)(await Json(me))["identity"]!["username"]);
        var body = new { type = "file", format = "text", content = "from the browser" };
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PutAsync("api/contents/b.txt", TestHttp.Json(body))).StatusCode);
        var put = new HttpRequestMessage(HttpMethod.Put, "api/contents/b.txt") { Content = TestHttp.Json(body) };
        put.Headers.Add("X-XSRFToken", xsrf.Value);
        Assert.Equal(HttpStatusCode.Created, (await browser.SendAsync(put)).StatusCode);
        Assert.Equal("from the browser", File.ReadAllText(Path.Combine(_s.Root, "b.txt")));

        // Logout clears the cookie and continues at the hub.
        var logout = await browser.GetAsync("logout");
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/hub/logout", logout.Headers.Location!.OriginalString);
        Assert.Null(jar.GetCookies(_s.BaseAddress)[FakeHub.ClientId]);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("api/me")).StatusCode);
    }

    [Fact]
    public async Task Api_requests_without_login_are_403_never_a_redirect()
    {
        var r = await _s.NewClient(cookies: new CookieContainer()).GetAsync("api/contents");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Null(r.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, (await _s.NewClient().PostAsync("lab", null)).StatusCode);
    }

    [Fact]
    public async Task Callback_state_mismatch_is_403_and_missing_code_or_state_is_400()
    {
        _s.Hub.LoggedInToken = AliceToken;
        var jar = new CookieContainer();
        var browser = _s.NewClient(cookies: jar);
        await browser.GetAsync("lab");   // a state cookie exists
        var r = await browser.GetAsync("oauth_callback?code=abc&state=not-the-state");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("oauth state does not match", (string?)(await Json(r))["message"]);
        // No state cookie at all (another browser replays a callback URL).
        var stranger = await _s.NewClient(cookies: new CookieContainer()).GetAsync("oauth_callback?code=abc&state=xyz");
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);

        var noCode = await browser.GetAsync("oauth_callback?state=xyz");
        Assert.Equal(HttpStatusCode.BadRequest, noCode.StatusCode);
        Assert.Equal("OAuth callback made without a token", (string?)(await Json(noCode))["message"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync("oauth_callback?code=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync("oauth_callback?error=access_denied&error_description=no")).StatusCode);
        Assert.DoesNotContain(_s.Hub.TokenRequests, t => t["code"] == "abc");
    }

    [Fact]
    public async Task A_state_is_used_once()
    {
        _s.Hub.LoggedInToken = AliceToken;
        var jar = new CookieContainer();
        var browser = _s.NewClient(cookies: jar);
        var first = await browser.GetAsync("lab");
        var state = jar.GetCookies(_s.BaseAddress)[FakeHub.ClientId + "-oauth-state"]!.Value;
        var hubAnswer = await _s.NewClient().GetAsync(new Uri(_s.Hub.Url, first.Headers.Location!.OriginalString));
        var callbackUrl = new Uri(_s.BaseAddress, hubAnswer.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(callbackUrl)).StatusCode);
        // Replaying with the old state cookie put back.
        jar.Add(_s.BaseAddress, new Cookie(FakeHub.ClientId + "-oauth-state", state, HubModeServer.Prefix));
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(callbackUrl)).StatusCode);
    }

    [Fact]
    public async Task A_tampered_cookie_is_ignored()
    {
        var jar = new CookieContainer();
        jar.Add(_s.BaseAddress, new Cookie(FakeHub.ClientId, "YWxpY2Utb2F1dGgtdG9rZW4.AAAA", HubModeServer.Prefix));
        var r = await _s.NewClient(cookies: jar).GetAsync("api/me");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Empty(_s.Hub.UserLookups);
    }

    [Fact]
    public async Task Forwarded_https_makes_the_cookies_secure()
    {
        var req = new HttpRequestMessage(HttpMethod.Get, "lab");
        req.Headers.Add("X-Forwarded-Proto", "https");
        req.Headers.Add("X-Forwarded-For", "10.1.2.3");
        var r = await _s.NewClient().SendAsync(req);
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        var setCookie = r.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Activity_is_posted_with_the_server_token_and_the_hub_body_shape()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_s.Hub.ActivityPosts.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(_s.Hub.ActivityPosts.TryPeek(out var post), "no activity POST reached the hub");
        Assert.Equal("token " + FakeHub.ServerToken, post.Authorization);
        Assert.StartsWith("application/json", post.ContentType);
        var body = FakeHub.Parse(post.Body);
        var top = (string)body["last_activity"]!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", top);
        Assert.Equal(top, (string?)body["servers"]![""]!["last_activity"]);
        Assert.Equal(2, body.Count);
        var status = await (await _s.NewClient(FakeHub.ServerToken).GetAsync("api/status?no_track_activity=1")).ReadObject();
        Assert.Equal(DateTime.Parse(top).ToUniversalTime(), DateTime.Parse((string)status["last_activity"]!).ToUniversalTime());
    }

    /// <summary>Opens a websocket; the status of the refused upgrade tells whether authentication passed.</summary>
    private async Task<HttpStatusCode?> WebSocketStatus(string path, CookieContainer? cookies)
    {
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        if (cookies != null) ws.Options.Cookies = cookies;
        var url = new UriBuilder(new Uri(_s.BaseAddress, path)) { Scheme = "ws" }.Uri;
        try
        {
            await ws.ConnectAsync(url, CancellationToken.None);
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (System.Net.WebSockets.WebSocketException)
        {
            return ws.HttpStatusCode;
        }
    }

    [Fact]
    public async Task Websockets_authenticate_with_the_oauth_cookie_or_a_query_token()
    {
        _s.Hub.LoggedInToken = AliceToken;
        var jar = new CookieContainer();
        var browser = _s.NewClient(cookies: jar);
        var first = await browser.GetAsync("lab");
        var hubAnswer = await _s.NewClient().GetAsync(new Uri(_s.Hub.Url, first.Headers.Location!.OriginalString));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(new Uri(_s.BaseAddress, hubAnswer.Headers.Location!.OriginalString))).StatusCode);

        // No websocket endpoint at this path: 404 once authenticated, 403 before.
        Assert.Equal(HttpStatusCode.Forbidden, await WebSocketStatus("api/kernels/k1/channels", new CookieContainer()));
        Assert.Equal(HttpStatusCode.NotFound, await WebSocketStatus("api/kernels/k1/channels", jar));
        Assert.Equal(HttpStatusCode.NotFound, await WebSocketStatus($"api/kernels/k1/channels?token={AliceToken}", null));
    }

    [Fact]
    public async Task Page_config_carries_the_users_token_and_the_hub_links()
    {
        var hub = _s.Host.App.Services.GetRequiredService<HubAuthenticator>();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers.Authorization = "token " + AliceToken;
        Assert.Equal(JupyterRtc.Server.Auth.AuthMethod.Token, await hub.AuthenticateAsync(context, mayRedirect: false));
        var config = hub.PageConfig(context);
        Assert.Equal(AliceToken, config["token"]);
        Assert.Equal("alice", config["hubUser"]);
        Assert.Equal("alice", config["hubServerUser"]);
        Assert.Equal("/hub/", config["hubPrefix"]);
        Assert.Equal("", config["hubServerName"]);
        Assert.Equal("/hub/user-redirect", config["shareUrl"]);

        var own = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        own.Request.Headers.Authorization = "token " + FakeHub.ServerToken;
        await hub.AuthenticateAsync(own, mayRedirect: false);
        Assert.Equal("", hub.PageConfig(own)["token"]);   // never the server's API token
    }

    [Fact]
    public void Activity_body_uses_the_server_name()
    {
        var body = FakeHub.Parse(System.Text.Encoding.UTF8.GetString(HubActivityReporter.Body("gpu", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc))));
        Assert.Equal("2026-01-02T03:04:05.000000Z", (string?)body["servers"]!["gpu"]!["last_activity"]);
        Assert.Equal("2026-01-02T03:04:05.000000Z", (string?)body["last_activity"]);
    }
}

/// <summary>The startup check of section 7.2 without a running server.</summary>
public sealed class HubStartupTests
{
    [Fact]
    public async Task An_unreachable_hub_is_an_io_error_after_the_tries()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();   // nothing listens there now
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new ServerAppOptions());
        services.AddJupyterHub(new HubOptions
        {
            ApiUrl = $"http://127.0.0.1:{port}/hub/api", ApiToken = "t", ClientId = "c", CallbackUrl = "/user/a/oauth_callback",
            AccessScopes = [], User = "a", ServicePrefix = "/user/a/", HubPrefix = "/hub/", StartupTries = 2,
            StartupMaxDelay = TimeSpan.FromMilliseconds(10),
        });
        await using var provider = services.BuildServiceProvider();
        var e = await Assert.ThrowsAsync<IOException>(() => HubStartup.CheckHubAsync(provider));
        Assert.Contains("JUPYTERHUB_API_URL", e.Message);
    }

    [Fact]
    public void Options_come_from_the_environment_with_the_hubs_defaults()
    {
        var env = new Dictionary<string, string>
        {
            ["JUPYTERHUB_SERVICE_URL"] = "http://127.0.0.1:0/user/bob/gpu/",
            ["JUPYTERHUB_USER"] = "bob",
            ["JUPYTERHUB_SERVER_NAME"] = "gpu",
            ["JUPYTERHUB_BASE_URL"] = "/jh/",
            ["JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED"] = "1",
            ["JUPYTERHUB_ACTIVITY_INTERVAL"] = "60",
            ["JUPYTERHUB_DEFAULT_URL"] = "/tree",
        };
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        var server = ServerAppOptions.From(config, env);
        Assert.Equal("/tree", server.DefaultUrl);
        Assert.Equal(0, server.PortRetries);
        var hub = HubOptions.From(server)!;
        Assert.Equal("/user/bob/gpu/", hub.ServicePrefix);
        Assert.Equal("/jh/hub/", hub.HubPrefix);
        Assert.Equal(["access:servers!server=bob/gpu", "access:servers!user=bob"], hub.AccessScopes);
        Assert.Equal("__Host-jupyterhub-user-bob-gpu", hub.CookieName);
        Assert.Equal("/", hub.CookiePath);
        Assert.Equal(TimeSpan.FromSeconds(60), hub.ActivityInterval);
        Assert.Null(HubOptions.From(ServerAppOptions.From(config, new Dictionary<string, string> { ["JUPYTERHUB_SERVICE_URL"] = "" })));
    }
}

/// <summary>Hub-mode behaviour that needs its own server settings.</summary>
public sealed class HubModeSettingsTests
{
    [Fact]
    public async Task Activity_is_retried_after_hub_failures_and_not_repeated_when_unchanged()
    {
        await using var s = await HubModeServer.StartAsync(new() { ["JUPYTERHUB_ACTIVITY_INTERVAL"] = "0.1" }, hub => hub.ActivityFailures = 2);
        s.Hub.AddToken("t", "alice", "access:servers!user=alice");
        await Eventually.True(() => !s.Hub.ActivityPosts.IsEmpty, "no activity accepted after the hub recovered");
        Assert.True(s.Hub.ActivityAttempts >= 3);
        var first = (string)FakeHub.Parse(s.Hub.ActivityPosts.Single().Body)["last_activity"]!;

        // Several rounds without activity: nothing new to say. Then one API call, and one new post.
        await Task.Delay(500);
        Assert.Single(s.Hub.ActivityPosts);
        using var client = s.NewClient("t");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/contents")).StatusCode);
        await Eventually.True(() => s.Hub.ActivityPosts.Count >= 2, "the API use was not reported");
        var second = (string)FakeHub.Parse(s.Hub.ActivityPosts.ElementAt(1).Body)["last_activity"]!;
        Assert.True(string.CompareOrdinal(second, first) > 0, $"{second} is not after {first}");
    }

    [Fact]
    public async Task With_tokens_allowed_in_urls_a_page_token_becomes_the_login_cookie()
    {
        await using var s = await HubModeServer.StartAsync(new() { ["JUPYTERHUB_ALLOW_TOKEN_IN_URL"] = "1" });
        s.Hub.AddToken("alice-url-token", "alice", "access:servers!user=alice");
        var jar = new CookieContainer();
        var browser = s.NewClient(cookies: jar);
        var page = await browser.GetAsync("tree?token=alice-url-token");
        Assert.True(page.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Forbidden), $"page answered {page.StatusCode}");
        Assert.NotNull(jar.GetCookies(s.BaseAddress)[FakeHub.ClientId]);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.NewClient().GetAsync("api/status?token=alice-url-token")).StatusCode);
    }
}
