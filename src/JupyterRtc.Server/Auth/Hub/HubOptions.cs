using System.Text.Json;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Auth.Hub;

/// <summary>
/// What JupyterHub tells a single-user server through the environment (section 7.1 of the reference). Present only when
/// <c>JUPYTERHUB_SERVICE_URL</c> is set; everything else has the hub's defaults.
/// </summary>
public sealed class HubOptions
{
    /// <summary><c>JUPYTERHUB_API_URL</c> without a trailing slash, e.g. <c>http://127.0.0.1:8081/hub/api</c>.</summary>
    public required string ApiUrl { get; init; }
    /// <summary>This server's own Hub API token; also the OAuth client secret. Never logged.</summary>
    public required string ApiToken { get; init; }
    public required string ClientId { get; init; }
    /// <summary><c>JUPYTERHUB_OAUTH_CALLBACK_URL</c>, the <c>redirect_uri</c> of the OAuth flow.</summary>
    public required string CallbackUrl { get; init; }
    public required IReadOnlyList<string> AccessScopes { get; init; }
    /// <summary>The owner of this server (<c>JUPYTERHUB_USER</c>).</summary>
    public required string User { get; init; }
    public string ServerName { get; init; } = "";
    /// <summary>The server's base URL (<c>JUPYTERHUB_SERVICE_PREFIX</c>), with both slashes.</summary>
    public required string ServicePrefix { get; init; }
    /// <summary>The hub's own prefix, <c>{JUPYTERHUB_BASE_URL}hub/</c>.</summary>
    public required string HubPrefix { get; init; }
    /// <summary><c>JUPYTERHUB_HOST</c>: scheme and host of the hub when it is on another host, usually empty.</summary>
    public string HubHost { get; init; } = "";
    public string? ActivityUrl { get; init; }
    public TimeSpan ActivityInterval { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>How long an answer of <c>GET /hub/api/user</c> is reused for the same token.</summary>
    public TimeSpan CacheMaxAge { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>Whether <c>?token=</c> authenticates requests other than websockets (<c>JUPYTERHUB_ALLOW_TOKEN_IN_URL</c>).</summary>
    public bool AllowTokenInUrl { get; init; }
    public bool CookieHostPrefix { get; init; }
    /// <summary>The hub is public over https: cookies are <c>Secure</c> whatever the proxy-to-server scheme.</summary>
    public bool PublicHttps { get; init; }
    /// <summary>How many times, and how long at most between tries, the hub is asked at startup.</summary>
    public int StartupTries { get; init; } = 5;
    public TimeSpan StartupMaxDelay { get; init; } = TimeSpan.FromSeconds(16);

    /// <summary>The OAuth cookie's name: the client id, as JupyterHub's <c>HubOAuth</c> names it.</summary>
    public string CookieName => CookieHostPrefix ? "__Host-" + ClientId : ClientId;
    public string CookiePath => CookieHostPrefix ? "/" : ServicePrefix;
    public string StateCookieName => CookieName + "-oauth-state";

    /// <summary>The hub's authorize endpoint (absolute when the hub is on another host).</summary>
    public string AuthorizeUrl => HubHost + HubPrefix + "api/oauth2/authorize";
    public string LogoutUrl => HubHost + HubPrefix + "logout";

    /// <summary>Null unless the server runs under JupyterHub (<see cref="ServerAppOptions.UnderJupyterHub"/>).</summary>
    public static HubOptions? From(ServerAppOptions server)
    {
        if (!server.UnderJupyterHub) return null;
        var env = server.Env;
        var user = env("JUPYTERHUB_USER") ?? "";
        var serverName = env("JUPYTERHUB_SERVER_NAME") ?? "";
        var apiUrl = (env("JUPYTERHUB_API_URL") ?? "http://127.0.0.1:8081/hub/api").TrimEnd('/');
        var baseUrl = ServerAppOptions.NormalizeBaseUrl(env("JUPYTERHUB_BASE_URL") ?? "/");
        var scopesJson = env("JUPYTERHUB_OAUTH_ACCESS_SCOPES") ?? env("JUPYTERHUB_OAUTH_SCOPES");
        IReadOnlyList<string> scopes = scopesJson != null
            ? ParseScopes(scopesJson)
            : [$"access:servers!server={user}/{serverName}", $"access:servers!user={user}"];
        var interval = env("JUPYTERHUB_ACTIVITY_INTERVAL") is { } s && double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var secs) && secs > 0
            ? TimeSpan.FromSeconds(secs) : TimeSpan.FromSeconds(300);
        var clientId = env("JUPYTERHUB_CLIENT_ID") ?? (serverName.Length > 0 ? $"jupyterhub-user-{user}-{serverName}" : $"jupyterhub-user-{user}");
        return new HubOptions
        {
            ApiUrl = apiUrl,
            ApiToken = env("JUPYTERHUB_API_TOKEN") ?? env("JPY_API_TOKEN") ?? "",
            ClientId = clientId,
            CallbackUrl = env("JUPYTERHUB_OAUTH_CALLBACK_URL") ?? server.BaseUrl + "oauth_callback",
            AccessScopes = scopes,
            User = user,
            ServerName = serverName,
            ServicePrefix = server.BaseUrl,
            HubPrefix = baseUrl + "hub/",
            HubHost = (env("JUPYTERHUB_HOST") ?? "").TrimEnd('/'),
            ActivityUrl = env("JUPYTERHUB_ACTIVITY_URL"),
            ActivityInterval = interval,
            AllowTokenInUrl = ServerAppOptions.Bool(env("JUPYTERHUB_ALLOW_TOKEN_IN_URL"), false),
            CookieHostPrefix = ServerAppOptions.Bool(env("JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED"), false),
            PublicHttps = (env("JUPYTERHUB_PUBLIC_URL") ?? env("JUPYTERHUB_PUBLIC_HUB_URL") ?? "").StartsWith("https:", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static List<string> ParseScopes(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<List<string>>(json) ?? [];
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"JUPYTERHUB_OAUTH_ACCESS_SCOPES is not a JSON list of strings: {e.Message}");
        }
    }
}
