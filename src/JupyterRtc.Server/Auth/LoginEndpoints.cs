using System.Net;
using JupyterRtc.Server.Hosting;

namespace JupyterRtc.Server.Auth;

/// <summary>
/// <c>/login</c> and <c>/logout</c> (section 2.3): a form that accepts the token (or the configured password) and sets
/// the login cookie, then follows <c>next</c> only to a path under this server.
/// </summary>
public static class LoginEndpoints
{
    public static IEndpointRouteBuilder MapLogin(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login", (HttpContext context, IdentityProvider identity, ServerAppOptions options) =>
        {
            var next = SafeNext(context.Request.Query["next"], options);
            if (identity.UserFromCookie(context.Request) != null) return Results.Redirect(next);
            return Page(context, options, next, null, 200);
        });
        app.MapPost("/login", async (HttpContext context, IdentityProvider identity, ServerAppOptions options) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
            var next = SafeNext(context.Request.Query["next"], options);
            var cookie = context.Request.Cookies[AuthMiddleware.XsrfCookie];
            var sent = form?[AuthMiddleware.XsrfCookie].FirstOrDefault() ?? context.Request.Headers["X-XSRFToken"].FirstOrDefault();
            if (!options.DisableCheckXsrf && (string.IsNullOrEmpty(cookie) || sent != cookie))
                return Results.Content("'_xsrf' argument missing from POST", "text/plain", null, 403);
            if (!identity.CheckPassword(form?["password"].FirstOrDefault()))
                return Page(context, options, next, "Invalid credentials", 401);
            identity.SetLoginCookie(context, identity.UserFromCookie(context.Request) ?? identity.NewUser());
            return Results.Redirect(next);
        });
        app.MapGet("/logout", (HttpContext context, IdentityProvider identity, ServerAppOptions options) =>
        {
            identity.ClearLoginCookie(context);
            var html = $"""
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>Logged out</title></head>
                <body><p>Successfully logged out.</p><p><a href="{options.BaseUrl}login">Log in again</a></p></body></html>
                """;
            return Results.Content(html, "text/html; charset=utf-8");
        });
        return app;
    }

    private static IResult Page(HttpContext context, ServerAppOptions options, string next, string? error, int status)
    {
        var xsrf = AuthMiddleware.EnsureXsrfCookie(context);
        var message = error == null ? "" : $"<p class=\"error\">{WebUtility.HtmlEncode(error)}</p>";
        var html = $"""
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>JupyterRtc: log in</title></head>
            <body>
            <h1>JupyterRtc</h1>{message}
            <form action="{options.BaseUrl}login?next={Uri.EscapeDataString(next)}" method="post">
              <input type="hidden" name="_xsrf" value="{xsrf}"/>
              <label for="password">Password or token:</label>
              <input type="password" name="password" id="password" autofocus/>
              <button type="submit">Log in</button>
            </form>
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", null, status);
    }

    /// <summary>Only paths under base_url are followed (no <c>//host</c>, no backslash tricks).</summary>
    internal static string SafeNext(string? next, ServerAppOptions options)
    {
        if (string.IsNullOrEmpty(next)) return options.BaseUrl;
        next = next.Replace('\\', '/');
        if (!next.StartsWith(options.BaseUrl, StringComparison.Ordinal) || next.StartsWith("//", StringComparison.Ordinal))
            return options.BaseUrl;
        return next;
    }
}
