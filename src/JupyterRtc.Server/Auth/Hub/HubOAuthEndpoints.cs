using System.Security.Cryptography;
using System.Text;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Auth.Hub;

/// <summary>
/// The browser side of the hub login (section 7.4): <c>/oauth_callback</c> checks the state against the state cookie,
/// trades the code for the user's token and stores it in the OAuth cookie; <c>/login</c> starts the flow; <c>/logout</c>
/// clears the cookie and continues at the hub's logout page. These replace the token login page under JupyterHub.
/// </summary>
public static class HubOAuthEndpoints
{
    public static IEndpointRouteBuilder MapHubOAuth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/oauth_callback", Callback);
        app.MapGet("/login", (HttpContext context, HubAuthenticator hub, ServerAppOptions options) =>
        {
            hub.RedirectToLogin(context, LoginEndpoints.SafeNext(context.Request.Query["next"], options));
            return Task.CompletedTask;
        });
        app.MapGet("/logout", (HttpContext context, HubAuthenticator hub) =>
        {
            if (hub.TokenFromCookie(context.Request) is { } token) hub.Forget(token);
            hub.ClearCookie(context);
            context.Response.Redirect(hub.Options.LogoutUrl);
            return Task.CompletedTask;
        });
        return app;
    }

    private static async Task Callback(HttpContext context, HubAuthenticator hub, ILoggerFactory logs)
    {
        var query = context.Request.Query;
        if (query["error"].FirstOrDefault() is { } error)
        {
            await JupyterError.WriteAsync(context, 400, $"Error in oauth: {error}: {query["error_description"].FirstOrDefault()}");
            return;
        }
        var code = query["code"].FirstOrDefault();
        if (string.IsNullOrEmpty(code))
        {
            await JupyterError.WriteAsync(context, 400, "OAuth callback made without a token");
            return;
        }
        var state = query["state"].FirstOrDefault();
        if (string.IsNullOrEmpty(state))
        {
            await JupyterError.WriteAsync(context, 400, "OAuth state missing from callback");
            return;
        }

        var stateCookies = context.Request.Cookies
            .Where(c => c.Key.StartsWith(hub.Options.StateCookieName, StringComparison.Ordinal)).ToList();
        var matching = stateCookies.FirstOrDefault(c => FixedEquals(c.Value, state));
        var login = matching.Key != null ? hub.TakeLogin(state) : null;
        if (login == null || login.CookieName != matching.Key)
        {
            // No login of ours with this state in this browser. Already logged in (a second tab, the back button):
            // carry on; anything else is refused.
            if (stateCookies.Count == 0 && await AlreadyLoggedIn(context, hub))
            {
                context.Response.Redirect(hub.Options.ServicePrefix);
                return;
            }
            logs.CreateLogger("HubAuth").LogWarning("OAuth state does not match: the callback's state is not one this browser started");
            await JupyterError.WriteAsync(context, 403, "oauth state does not match. Try logging in again.");
            return;
        }

        string token;
        HubUser? user;
        try
        {
            token = await hub.ExchangeCodeAsync(code, login.CodeVerifier, context.RequestAborted);
            user = await hub.UserForTokenAsync(token, context.Request.Cookies[HubAuthenticator.SessionCookie], context.RequestAborted);
        }
        catch (HubApiException e)
        {
            await JupyterError.WriteAsync(context, e.Status, e.Message);
            return;
        }
        if (user == null)
        {
            await JupyterError.WriteAsync(context, 403, "The hub did not accept the token it issued");
            return;
        }
        logs.CreateLogger("HubAuth").LogInformation("Logged-in user {User}", user.Name);
        hub.SetCookie(context, token);
        // A fresh _xsrf for the new login; the frontend echoes it in X-XSRFToken.
        context.Response.Cookies.Append(AuthMiddleware.XsrfCookie, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            new CookieOptions { HttpOnly = false, Path = hub.Options.CookiePath, Secure = hub.IsSecure(context.Request), SameSite = SameSiteMode.Lax });
        foreach (var c in stateCookies)
            context.Response.Cookies.Delete(c.Key, new CookieOptions { Path = hub.Options.CookiePath, Secure = hub.IsSecure(context.Request) });
        context.Response.Redirect(login.NextUrl);
    }

    private static async Task<bool> AlreadyLoggedIn(HttpContext context, HubAuthenticator hub)
    {
        if (hub.TokenFromCookie(context.Request) is not { } token) return false;
        try
        {
            var user = await hub.UserForTokenAsync(token, context.Request.Cookies[HubAuthenticator.SessionCookie], context.RequestAborted);
            return user != null && hub.IsAllowed(user);
        }
        catch (HubApiException)
        {
            return false;
        }
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
