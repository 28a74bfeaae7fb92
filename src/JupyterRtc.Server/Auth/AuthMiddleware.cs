using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using JupyterRtc.Server.Auth.Hub;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Auth;

/// <summary>
/// Runs before every endpoint (section 2 of the reference): the Host check against DNS rebinding, authentication by
/// token or login cookie, XSRF for cookie-authenticated writes, origin checks for the API and websockets, CORS headers
/// and activity tracking. Unauthenticated API and websocket requests get 403 with a JSON body, never a redirect;
/// pages redirect to the login page.
/// </summary>
public sealed class AuthMiddleware(RequestDelegate next, ServerAppOptions options, IdentityProvider identity,
    ServerActivity activity, ILogger<AuthMiddleware> logger, HubAuthenticator? hub = null)
{
    public const string XsrfCookie = "_xsrf";
    private readonly Regex? _originPattern = options.AllowOriginPat.Length > 0 ? new Regex(options.AllowOriginPat) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";   // relative to base_url (UsePathBase ran before)
        var isApi = path == "/api" || path.StartsWith("/api/", StringComparison.Ordinal)
            || path.StartsWith("/lab/api/", StringComparison.Ordinal);   // JupyterLab's own REST services answer 403, not a redirect
        var isWebSocket = context.WebSockets.IsWebSocketRequest;

        if (!options.AllowRemoteAccess && !HostAllowed(request))
        {
            logger.LogWarning("Blocking request with non-local 'Host' {Host}. Use --ServerApp.allow_remote_access=True to allow it.", request.Host.Value);
            await Deny(context, 403, "Forbidden", isApi);
            return;
        }
        SetCorsHeaders(context);

        if (HttpMethods.IsOptions(request.Method) && isApi)
        {
            // CORS preflight: public, empty.
            context.Response.Headers.AccessControlAllowHeaders = "accept, content-type, authorization, x-xsrftoken";
            context.Response.Headers.AccessControlAllowMethods = "GET, PUT, POST, PATCH, DELETE, OPTIONS";
            context.Response.StatusCode = 200;
            return;
        }
        if (IsPublic(path, request.Method) || (hub != null && HubAuthenticator.IsPublic(path)))
        {
            await next(context);
            return;
        }

        AuthMethod method;
        if (hub != null)
        {
            // Under JupyterHub the hub says who the caller is (Auth/Hub); a refusal is already answered.
            var mayRedirect = !isApi && !isWebSocket && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));
            if (await hub.AuthenticateAsync(context, mayRedirect) is not { } hubMethod) return;
            method = hubMethod;
        }
        else method = Authenticate(context);
        if (method == AuthMethod.None)
        {
            if (isApi || isWebSocket || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
            {
                await Deny(context, 403, "Forbidden", isApi || isWebSocket);
                return;
            }
            var nextUrl = options.BaseUrl.TrimEnd('/') + path + request.QueryString.Value;
            context.Response.Redirect($"{options.BaseUrl}login?next={Uri.EscapeDataString(nextUrl)}");
            return;
        }

        var cookieAuthenticated = method == AuthMethod.Cookie;
        if (isWebSocket)
        {
            if (cookieAuthenticated && !OriginAllowed(request))
            {
                logger.LogWarning("Blocking cross-origin websocket connection from {Origin}", request.Headers.Origin.ToString());
                await Deny(context, 403, "Forbidden", true);
                return;
            }
        }
        else if (cookieAuthenticated && !IsReadOnly(request.Method))
        {
            if (!OriginAllowed(request))
            {
                await Deny(context, 404, "Not Found", isApi);
                return;
            }
            if (!options.DisableCheckXsrf && !await XsrfValid(request))
            {
                await Deny(context, 403, $"'_xsrf' argument missing from {request.Method}", isApi);
                return;
            }
        }
        else if (isApi && cookieAuthenticated && !OriginAllowed(request))
        {
            await Deny(context, 404, "Not Found", true);
            return;
        }

        if (isApi && path != "/api/status" && request.Query["no_track_activity"] != "1") activity.TouchApi();
        await next(context);
    }

    /// <summary>Routes anyone may call (section 2.2): <c>GET /api</c>, login and logout, static files.</summary>
    private static bool IsPublic(string path, string method) =>
        (path is "/api" or "/api/" && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))) ||
        path is "/login" or "/logout" or "/favicon.ico" or "/robots.txt" ||
        path.StartsWith("/static/", StringComparison.Ordinal);

    private AuthMethod Authenticate(HttpContext context)
    {
        var request = context.Request;
        if (!identity.AuthEnabled)
        {
            var anon = identity.UserFromCookie(request);
            if (anon == null)
            {
                anon = identity.NewUser();
                identity.SetLoginCookie(context, anon);
                EnsureXsrfCookie(context);
            }
            context.SetUser(anon, AuthMethod.Disabled);
            return AuthMethod.Disabled;
        }
        var cookieUser = identity.UserFromCookie(request);
        if (identity.IsToken(IdentityProvider.TokenFrom(request)))
        {
            // A token proves access but not identity: the browser's identity lives in its login cookie, which a
            // token-authenticated request creates so that later websocket and /files requests authenticate too.
            var user = cookieUser;
            if (user == null)
            {
                user = identity.NewUser();
                identity.SetLoginCookie(context, user);
                EnsureXsrfCookie(context);
            }
            context.SetUser(user, AuthMethod.Token);
            return AuthMethod.Token;
        }
        if (cookieUser != null)
        {
            context.SetUser(cookieUser, AuthMethod.Cookie);
            return AuthMethod.Cookie;
        }
        if (request.Cookies.ContainsKey(identity.CookieName(request))) identity.ClearLoginCookie(context);
        return AuthMethod.None;
    }

    /// <summary>Sets the <c>_xsrf</c> cookie the frontend echoes in <c>X-XSRFToken</c>, if the browser has none.</summary>
    public static string EnsureXsrfCookie(HttpContext context)
    {
        var existing = context.Request.Cookies[XsrfCookie];
        if (!string.IsNullOrEmpty(existing)) return existing;
        if (context.Items[XsrfCookie] is string pending) return pending;
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var options = context.RequestServices.GetRequiredService<ServerAppOptions>();
        context.Response.Cookies.Append(XsrfCookie, value, new CookieOptions
        {
            HttpOnly = false, Path = options.BaseUrl, Expires = DateTimeOffset.UtcNow.AddDays(30), SameSite = SameSiteMode.Lax,
        });
        context.Items[XsrfCookie] = value;
        return value;
    }

    private static async Task<bool> XsrfValid(HttpRequest request)
    {
        var cookie = request.Cookies[XsrfCookie];
        if (string.IsNullOrEmpty(cookie)) return false;
        string? sent = request.Headers["X-XSRFToken"].FirstOrDefault() ?? request.Headers["X-CSRFToken"].FirstOrDefault();
        if (sent == null && request.Query.TryGetValue(XsrfCookie, out var q)) sent = q.FirstOrDefault();
        if (sent == null && request.HasFormContentType && (await request.ReadFormAsync()).TryGetValue(XsrfCookie, out var f)) sent = f.FirstOrDefault();
        return sent != null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(cookie));
    }

    private static bool IsReadOnly(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    private bool HostAllowed(HttpRequest request)
    {
        var host = request.Host.Host;
        if (string.IsNullOrEmpty(host)) return true;
        host = host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var addr)) return IPAddress.IsLoopback(addr);
        return options.LocalHostnames.Contains(host, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Jupyter's <c>check_origin</c>: same host, or allowed by <c>allow_origin</c> / <c>allow_origin_pat</c>.</summary>
    private bool OriginAllowed(HttpRequest request)
    {
        if (options.AllowOrigin == "*") return true;
        var origin = request.Headers.Origin.ToString();
        var host = request.Host.Value;
        if (string.IsNullOrEmpty(origin) || string.IsNullOrEmpty(host)) return true;
        if (Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, host, StringComparison.OrdinalIgnoreCase))
            return true;
        if (options.AllowOrigin.Length > 0) return origin == options.AllowOrigin;
        return _originPattern != null && _originPattern.IsMatch(origin);
    }

    private void SetCorsHeaders(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        var headers = context.Response.Headers;
        if (options.AllowOrigin.Length > 0) headers.AccessControlAllowOrigin = options.AllowOrigin;
        else if (_originPattern != null && origin.Length > 0 && _originPattern.IsMatch(origin)) headers.AccessControlAllowOrigin = origin;
        if (options.AllowCredentials) headers.AccessControlAllowCredentials = "true";
    }

    private static Task Deny(HttpContext context, int status, string message, bool json) =>
        json ? JupyterError.WriteAsync(context, status, message) : WriteText(context, status, message);

    private static async Task WriteText(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync($"{status}: {message}");
    }
}
