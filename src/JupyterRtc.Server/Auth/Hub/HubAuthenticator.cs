using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Auth.Hub;

/// <summary>A user as the hub describes the owner of a token (<c>GET /hub/api/user</c>).</summary>
public sealed record HubUser(string Name, IReadOnlyList<string> Scopes, bool Admin, string? Kind);

/// <summary>The Hub API failed (not a refusal): 502 when the hub is down or broken, 500 when it rejects our request.</summary>
public sealed class HubApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Who is calling, according to JupyterHub (section 7.3): a token (header, or <c>?token=</c> where allowed) or the
/// OAuth cookie's token is sent to <c>GET {JUPYTERHUB_API_URL}/user</c>; the answer is cached for 300 s under the
/// token's hash, and the user's scopes must grant access to this server. Browsers without a login are sent through
/// the hub's OAuth authorize endpoint (state cookie, PKCE); <see cref="HubOAuthEndpoints"/> finishes the flow.
/// </summary>
public sealed class HubAuthenticator
{
    public const string HttpClientName = "jupyterhub";
    public const string SessionCookie = "jupyterhub-session-id";
    private const int MaxCacheEntries = 4096;
    private const int MaxPendingLogins = 4096;
    private static readonly TimeSpan StateLifetime = TimeSpan.FromSeconds(600);
    private const string TokenItem = "jupyterhub.token";

    private readonly HubOptions _hub;
    private readonly ServerAppOptions _server;
    private readonly IdentityProvider _identity;
    private readonly IHttpClientFactory _http;
    private readonly ILogger<HubAuthenticator> _log;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (HubUser? User, DateTimeOffset Expires)> _cache = new();
    private readonly ConcurrentDictionary<string, PendingLogin> _logins = new();

    /// <summary>A login that went to the hub: where to return, the PKCE verifier and the state cookie that holds it.</summary>
    internal sealed record PendingLogin(string NextUrl, string CodeVerifier, string CookieName, DateTimeOffset Expires);

    public HubAuthenticator(HubOptions hub, ServerAppOptions server, IdentityProvider identity, IHttpClientFactory http,
        ILogger<HubAuthenticator> log, TimeProvider? time = null)
    {
        _hub = hub;
        _server = server;
        _identity = identity;
        _http = http;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    public HubOptions Options => _hub;

    /// <summary>Routes of the login flow itself, reachable without credentials.</summary>
    public static bool IsPublic(string path) => path is "/oauth_callback" or "/login" or "/logout";

    /// <summary>
    /// Authenticates a request for <see cref="AuthMiddleware"/>. On success the user is set on the context and the
    /// method returned; otherwise the response is written (redirect to the hub, 403, 500 or 502) and null returned.
    /// </summary>
    public async Task<AuthMethod?> AuthenticateAsync(HttpContext context, bool mayRedirect)
    {
        var request = context.Request;
        var (token, fromUrl) = RequestToken(request);
        var method = AuthMethod.Token;
        if (token != null && _identity.IsToken(token))
        {
            // This server's own API token (the runtime file's token): the owner, without asking the hub.
            context.SetUser(Identity(_hub.User), AuthMethod.Token);
            return AuthMethod.Token;
        }
        if (token == null)
        {
            token = TokenFromCookie(request);
            method = AuthMethod.Cookie;
        }

        HubUser? user = null;
        if (token != null)
        {
            try
            {
                user = await UserForTokenAsync(token, request.Cookies[SessionCookie], context.RequestAborted);
            }
            catch (HubApiException e)
            {
                await JupyterError.WriteAsync(context, e.Status, e.Message);
                return null;
            }
            if (user == null && method == AuthMethod.Cookie) ClearCookie(context);
        }
        if (user == null)
        {
            if (mayRedirect) RedirectToLogin(context, request.PathBase + request.Path + request.QueryString);
            else await JupyterError.WriteAsync(context, 403, "Forbidden");
            return null;
        }
        if (!IsAllowed(user))
        {
            _log.LogWarning("User {User} is not allowed to access this server (scopes do not grant {Scopes})", user.Name,
                string.Join(", ", _hub.AccessScopes));
            await JupyterError.WriteAsync(context, 403, $"user {user.Name} is not allowed.");
            return null;
        }
        // A token in a page's URL becomes the browser's login, as the hub's own services do.
        if (fromUrl && mayRedirect && !context.WebSockets.IsWebSocketRequest) SetCookie(context, token!);
        context.SetUser(Identity(user.Name), method);
        context.Items[TokenItem] = token;
        return method;
    }

    /// <summary>
    /// The <c>page_config</c> entries JupyterLab's hub extension reads (section 7.4), for the lab page of an
    /// authenticated request: <c>token</c> is the user's own hub token from the request, never this server's API token.
    /// </summary>
    public IReadOnlyDictionary<string, string> PageConfig(HttpContext context) => new Dictionary<string, string>
    {
        ["token"] = context.Items[TokenItem] as string ?? "",
        ["hubUser"] = context.GetUser()?.Username ?? "",
        ["hubServerUser"] = _hub.User,
        ["hubPrefix"] = _hub.HubPrefix,
        ["hubHost"] = _hub.HubHost,
        ["hubServerName"] = _hub.ServerName,
        ["shareUrl"] = _hub.HubPrefix + "user-redirect",
    };

    /// <summary>
    /// The token of <c>Authorization: token|bearer</c>, or of <c>?token=</c> on websocket requests (or any request
    /// when <c>JUPYTERHUB_ALLOW_TOKEN_IN_URL</c> is true).
    /// </summary>
    private (string? Token, bool FromUrl) RequestToken(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.Length > 0)
        {
            var space = auth.IndexOf(' ');
            if (space > 0)
            {
                var scheme = auth[..space];
                if (scheme.Equals("token", StringComparison.OrdinalIgnoreCase) || scheme.Equals("bearer", StringComparison.OrdinalIgnoreCase))
                    return (auth[(space + 1)..].Trim(), false);
            }
        }
        var isWebSocket = request.HttpContext.WebSockets.IsWebSocketRequest ||
                          string.Equals(request.Headers["Sec-Fetch-Mode"], "websocket", StringComparison.OrdinalIgnoreCase);
        if ((isWebSocket || _hub.AllowTokenInUrl) && request.Query["token"] is { Count: > 0 } q && !string.IsNullOrEmpty(q[0]))
            return (q[0], true);
        return (null, false);
    }

    /// <summary>
    /// The hub's answer for a token: the user, or null when the hub refuses it (403). Cached for
    /// <see cref="HubOptions.CacheMaxAge"/>, keyed by the token's SHA-256 and the hub session cookie.
    /// </summary>
    public async Task<HubUser?> UserForTokenAsync(string token, string? sessionId, CancellationToken cancel = default)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))) + ":" + sessionId;
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var hit) && hit.Expires > now) return hit.User;

        using var request = new HttpRequestMessage(HttpMethod.Get, _hub.ApiUrl + "/user");
        request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        using var doc = await SendAsync(request, cancel);
        var user = doc == null ? null : ParseUser(doc.RootElement);
        if (_cache.Count >= MaxCacheEntries) Purge(_cache, e => e.Expires <= now);
        if (_cache.Count >= MaxCacheEntries) _cache.Clear();
        _cache[key] = (user, now + _hub.CacheMaxAge);
        return user;
    }

    /// <summary>Forgets every cached answer for a token (logout).</summary>
    public void Forget(string token)
    {
        var prefix = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))) + ":";
        foreach (var k in _cache.Keys)
            if (k.StartsWith(prefix, StringComparison.Ordinal)) _cache.TryRemove(k, out _);
    }

    private static HubUser? ParseUser(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String) return null;
        var scopes = new List<string>();
        if (e.TryGetProperty("scopes", out var s) && s.ValueKind == JsonValueKind.Array)
            foreach (var x in s.EnumerateArray())
                if (x.ValueKind == JsonValueKind.String) scopes.Add(x.GetString()!);
        var admin = e.TryGetProperty("admin", out var a) && a.ValueKind == JsonValueKind.True;
        var kind = e.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        return new HubUser(n.GetString()!, scopes, admin, kind);
    }

    /// <summary>
    /// Whether the user's scopes grant access to this server: one of <c>JUPYTERHUB_OAUTH_ACCESS_SCOPES</c> itself, or an
    /// unfiltered <c>access:servers</c>, or <c>access:servers</c> filtered to this server or its owner. Group filters
    /// are not resolved here (the hub does not tell a server its owner's groups).
    /// </summary>
    public bool IsAllowed(HubUser user)
    {
        foreach (var scope in user.Scopes)
        {
            if (_hub.AccessScopes.Contains(scope, StringComparer.Ordinal)) return true;
            if (scope == "access:servers" || scope == $"access:servers!user={_hub.User}" ||
                scope == $"access:servers!server={_hub.User}/{_hub.ServerName}")
                return true;
        }
        return false;
    }

    private static UserIdentity Identity(string name)
    {
        var initials = string.Concat(name.Split([' ', '-', '_', '.'], StringSplitOptions.RemoveEmptyEntries).Take(2).Select(p => char.ToUpperInvariant(p[0])));
        return new UserIdentity(name, name, name, initials.Length > 0 ? initials : null, null, null);
    }

    // ---- the OAuth cookie ----

    /// <summary>The OAuth access token the login cookie carries, if its signature is ours.</summary>
    public string? TokenFromCookie(HttpRequest request)
    {
        var value = request.Cookies[_hub.CookieName];
        if (string.IsNullOrEmpty(value)) return null;
        var dot = value.IndexOf('.');
        if (dot <= 0) return null;
        try
        {
            var token = Encoding.UTF8.GetString(FromBase64Url(value[..dot]));
            var mac = FromBase64Url(value[(dot + 1)..]);
            return CryptographicOperations.FixedTimeEquals(mac, CookieMac(token)) ? token : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public void SetCookie(HttpContext context, string token)
    {
        var value = Base64Url(Encoding.UTF8.GetBytes(token)) + "." + Base64Url(CookieMac(token));
        context.Response.Cookies.Append(_hub.CookieName, value, new CookieOptions
        {
            HttpOnly = true, Path = _hub.CookiePath, Secure = IsSecure(context.Request), Expires = _time.GetUtcNow().AddDays(30),
        });
    }

    public void ClearCookie(HttpContext context) =>
        context.Response.Cookies.Delete(_hub.CookieName, new CookieOptions { Path = _hub.CookiePath, Secure = IsSecure(context.Request) });

    private byte[] CookieMac(string token) =>
        HMACSHA256.HashData(_identity.CookieSecret, Encoding.UTF8.GetBytes("jupyterhub-oauth\n" + _hub.CookieName + "\n" + token));

    internal bool IsSecure(HttpRequest request) => request.IsHttps || _hub.PublicHttps || _hub.CookieHostPrefix;

    // ---- the OAuth flow ----

    /// <summary>
    /// Sends a browser to the hub's authorize endpoint: a random state, remembered with the page to return to and a
    /// PKCE verifier, and echoed in a state cookie the callback compares.
    /// </summary>
    public void RedirectToLogin(HttpContext context, string nextUrl)
    {
        var now = _time.GetUtcNow();
        if (_logins.Count >= MaxPendingLogins) Purge(_logins, l => l.Expires <= now);
        if (_logins.Count >= MaxPendingLogins) _logins.Clear();   // a flood of anonymous page loads: start over

        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        // Another login in progress in the same browser keeps its own cookie.
        var cookieName = context.Request.Cookies.ContainsKey(_hub.StateCookieName)
            ? _hub.StateCookieName + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))
            : _hub.StateCookieName;
        _logins[state] = new PendingLogin(nextUrl, verifier, cookieName, now + StateLifetime);
        context.Response.Cookies.Append(cookieName, state, new CookieOptions
        {
            HttpOnly = true, Path = _hub.CookiePath, MaxAge = StateLifetime, Secure = IsSecure(context.Request),
        });
        var query = QueryString.Create(new Dictionary<string, string?>
        {
            ["client_id"] = _hub.ClientId,
            ["redirect_uri"] = _hub.CallbackUrl,
            ["response_type"] = "code",
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        });
        context.Response.Redirect(_hub.AuthorizeUrl + query);
    }

    /// <summary>The pending login of a state value, removed (each state is used once); null if unknown or expired.</summary>
    internal PendingLogin? TakeLogin(string state) =>
        _logins.TryRemove(state, out var login) && login.Expires > _time.GetUtcNow() ? login : null;

    /// <summary>Trades an authorization code for the user's access token (<c>POST {api}/oauth2/token</c>).</summary>
    public async Task<string> ExchangeCodeAsync(string code, string? codeVerifier, CancellationToken cancel = default)
    {
        var form = new Dictionary<string, string>
        {
            ["client_id"] = _hub.ClientId,
            ["client_secret"] = _hub.ApiToken,
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = _hub.CallbackUrl,
        };
        if (codeVerifier != null) form["code_verifier"] = codeVerifier;
        using var request = new HttpRequestMessage(HttpMethod.Post, _hub.ApiUrl + "/oauth2/token") { Content = new FormUrlEncodedContent(form) };
        using var doc = await SendAsync(request, cancel);
        if (doc != null && doc.RootElement.ValueKind == JsonValueKind.Object &&
            doc.RootElement.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } token)
            return token;
        _log.LogWarning("The hub did not issue an access token for an OAuth code");
        throw new HubApiException(500, "Failed to check authorization");
    }

    /// <summary>
    /// One Hub API call: the JSON answer, null on 403; 5xx and connection failures are 502, other errors 500 (as
    /// JupyterHub's <c>HubAuth</c>). Tokens are in headers or bodies only, never in the logged URL.
    /// </summary>
    private async Task<JsonDocument?> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.CreateClient(HttpClientName).SendAsync(request, cancel);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancel.IsCancellationRequested))
        {
            _log.LogError("Failed to connect to the Hub API at {Url}: {Error}", request.RequestUri, e.Message);
            throw new HubApiException(502, "Failed to connect to Hub API");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.Forbidden) return null;
            if (status >= 500)
            {
                _log.LogError("Upstream failure verifying auth token: {Method} {Url} answered {Status}", request.Method, request.RequestUri, status);
                throw new HubApiException(502, "Failed to check authorization");
            }
            if (status >= 400)
            {
                _log.LogWarning("Failed to check authorization: {Method} {Url} answered {Status}", request.Method, request.RequestUri, status);
                throw new HubApiException(500, "Failed to check authorization");
            }
            try
            {
                return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancel), default, cancel);
            }
            catch (JsonException)
            {
                _log.LogError("The Hub API answered {Url} with something that is not JSON", request.RequestUri);
                throw new HubApiException(502, "Failed to check authorization");
            }
        }
    }

    private static void Purge<T>(ConcurrentDictionary<string, T> map, Func<T, bool> expired)
    {
        foreach (var (k, v) in map)
            if (expired(v)) map.TryRemove(k, out _);
    }

    internal static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
