using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using JupyterRtc.Server.Hosting;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Auth;

/// <summary>
/// Tokens, login cookies and identities, as Jupyter Server's <c>IdentityProvider</c>: a request authenticates with the
/// token (header or query) or with the signed login cookie that any token-authenticated request receives. The
/// cookie's signing key is kept in the runtime directory so logins survive a restart.
/// </summary>
public sealed partial class IdentityProvider
{
    // The moons of Jupiter, as Jupyter names anonymous users ("Anonymous Io").
    private static readonly string[] Moons =
    [
        "Adrastea", "Aitne", "Amalthea", "Ananke", "Aoede", "Arche", "Autonoe", "Callirrhoe", "Callisto", "Carme",
        "Carpo", "Chaldene", "Cyllene", "Dia", "Elara", "Erinome", "Euanthe", "Eukelade", "Euporie", "Europa",
        "Eurydome", "Ganymede", "Harpalyke", "Hegemone", "Helike", "Hermippe", "Herse", "Himalia", "Io", "Iocaste",
        "Isonoe", "Kale", "Kallichore", "Kalyke", "Kore", "Leda", "Lysithea", "Megaclite", "Metis", "Mneme", "Orthosie",
        "Pasiphae", "Pasithee", "Praxidike", "Sinope", "Sponde", "Taygete", "Thebe", "Thelxinoe", "Themisto", "Thyone",
    ];

    private readonly ServerAppOptions _options;
    private readonly byte[] _tokenBytes;
    private readonly byte[] _secret;
    private readonly string? _configuredName;
    private readonly string? _configuredDisplayName;
    private readonly string? _configuredColor;

    public IdentityProvider(ServerAppOptions options, IConfiguration config)
    {
        _options = options;
        _tokenBytes = Encoding.UTF8.GetBytes(options.Token);
        _secret = LoadSecret(options.RuntimeDir);
        var ip = config.GetSection("IdentityProvider");
        _configuredName = ip["name"] ?? Environment.GetEnvironmentVariable("JUPYTERHUB_USER");
        _configuredDisplayName = ip["display_name"];
        _configuredColor = ip["color"];
    }

    public bool AuthEnabled => _options.AuthEnabled;

    /// <summary>The key that signs login cookies (the JupyterHub OAuth cookie is signed with it too).</summary>
    internal byte[] CookieSecret => _secret;

    /// <summary>Constant-time comparison with the configured token.</summary>
    public bool IsToken(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || _tokenBytes.Length == 0) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _tokenBytes);
    }

    /// <summary>The token a request carries in <c>Authorization: token|bearer</c> or <c>?token=</c>, if any.</summary>
    public static string? TokenFrom(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.Length > 0)
        {
            var m = AuthHeader().Match(auth);
            if (m.Success) return m.Groups[2].Value.Trim();
        }
        var q = request.Query["token"];
        return q.Count > 0 ? q[0] : null;
    }

    [GeneratedRegex(@"^(token|bearer)\s+(.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex AuthHeader();

    /// <summary>Jupyter's cookie name: <c>username-&lt;host with non-alphanumerics as dashes&gt;</c>, or the configured one.</summary>
    public string CookieName(HttpRequest request) =>
        _options.CookieName ?? "username-" + NonAlnum().Replace(request.Host.Value ?? "", "-");

    [GeneratedRegex("[^A-Za-z0-9]")]
    private static partial Regex NonAlnum();

    public UserIdentity? UserFromCookie(HttpRequest request)
    {
        var value = request.Cookies[CookieName(request)];
        return value == null ? null : Verify(value);
    }

    public void SetLoginCookie(HttpContext context, UserIdentity user)
    {
        context.Response.Cookies.Append(CookieName(context.Request), Sign(user), new CookieOptions
        {
            HttpOnly = true, Path = _options.BaseUrl, Expires = DateTimeOffset.UtcNow.AddDays(30),
            Secure = context.Request.IsHttps, SameSite = SameSiteMode.Lax,
        });
    }

    public void ClearLoginCookie(HttpContext context)
    {
        context.Response.Cookies.Delete(CookieName(context.Request), new CookieOptions { Path = _options.BaseUrl });
        if (_options.BaseUrl != "/") context.Response.Cookies.Delete(CookieName(context.Request), new CookieOptions { Path = "/" });
    }

    /// <summary>A new identity for a browser that logs in: distinct name and colour, or the configured name.</summary>
    public UserIdentity NewUser()
    {
        var username = Guid.NewGuid().ToString("N");
        var index = RandomNumberGenerator.GetInt32(Moons.Length);
        var color = _configuredColor ?? $"var(--jp-collaborator-color{1 + RandomNumberGenerator.GetInt32(7)})";
        if (_configuredName != null)
        {
            var display = _configuredDisplayName ?? _configuredName;
            return new UserIdentity(username, _configuredName, display, Initials(display), null, color);
        }
        var name = "Anonymous " + Moons[index];
        return new UserIdentity(username, name, name, "A" + Moons[index][0], null, color);
    }

    private static string Initials(string name)
    {
        var parts = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(parts.Take(2).Select(p => char.ToUpperInvariant(p[0])));
    }

    private string Sign(UserIdentity user)
    {
        var payload = Encoding.UTF8.GetBytes(user.ToJson().ToString(Newtonsoft.Json.Formatting.None));
        var mac = HMACSHA256.HashData(_secret, payload);
        return Base64Url(payload) + "." + Base64Url(mac);
    }

    private UserIdentity? Verify(string value)
    {
        var dot = value.IndexOf('.');
        if (dot <= 0) return null;
        try
        {
            var payload = FromBase64Url(value[..dot]);
            var mac = FromBase64Url(value[(dot + 1)..]);
            if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(_secret, payload))) return null;
            return UserIdentity.FromJson(JObject.Parse(Encoding.UTF8.GetString(payload)));
        }
        catch (Exception e) when (e is FormatException or Newtonsoft.Json.JsonException or InvalidCastException)
        {
            return null;
        }
    }

    /// <summary>Checks a login form password: the token, or the configured password hash (<c>sha1:salt:hex</c>).</summary>
    public bool CheckPassword(string? password)
    {
        if (string.IsNullOrEmpty(password)) return false;
        if (IsToken(password)) return true;
        var hashed = _options.HashedPassword;
        if (hashed == null) return false;
        var parts = hashed.Split(':');
        if (parts.Length == 3 && parts[0] is "sha1" or "sha256" or "sha512")
        {
            var data = Encoding.UTF8.GetBytes(password + parts[1]);
            var digest = parts[0] switch
            {
                "sha1" => SHA1.HashData(data), "sha256" => SHA256.HashData(data), _ => SHA512.HashData(data),
            };
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest)),
                Encoding.ASCII.GetBytes(parts[2].ToLowerInvariant()));
        }
        return false; // argon2 hashes need a library the platform does not have; documented in docs/configuration.md
    }

    private static byte[] LoadSecret(string runtimeDir)
    {
        var path = Path.Combine(runtimeDir, "jupyter_cookie_secret");
        try
        {
            if (File.Exists(path))
            {
                var existing = Convert.FromBase64String(File.ReadAllText(path).Trim());
                if (existing.Length >= 32) return existing;
            }
            Directory.CreateDirectory(runtimeDir);
            var secret = RandomNumberGenerator.GetBytes(64);
            RuntimeFiles.WritePrivate(path, Convert.ToBase64String(secret));
            return secret;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return RandomNumberGenerator.GetBytes(64); // logins then last as long as the process
        }
    }

    private static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
