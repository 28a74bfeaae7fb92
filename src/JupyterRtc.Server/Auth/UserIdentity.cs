using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Auth;

/// <summary>
/// Who is making a request: Jupyter Server's identity model (<c>/api/me</c>). Collaborators are told apart by it, so
/// each browser login gets its own username, name, initials and colour.
/// </summary>
public sealed record UserIdentity(string Username, string Name, string DisplayName, string? Initials, string? AvatarUrl, string? Color)
{
    public JObject ToJson() => new()
    {
        ["username"] = Username, ["name"] = Name, ["display_name"] = DisplayName,
        ["initials"] = Initials, ["avatar_url"] = AvatarUrl, ["color"] = Color,
    };

    public static UserIdentity? FromJson(JObject o)
    {
        var username = (string?)o["username"];
        if (string.IsNullOrEmpty(username)) return null;
        var name = (string?)o["name"] ?? username;
        return new UserIdentity(username, name, (string?)o["display_name"] ?? name, (string?)o["initials"],
            (string?)o["avatar_url"], (string?)o["color"]);
    }
}

/// <summary>How a request proved who it is; XSRF and origin rules depend on it.</summary>
public enum AuthMethod { None, Token, Cookie, Disabled }

public static class HttpContextUserExtensions
{
    private const string UserKey = "jupyter.user";
    private const string MethodKey = "jupyter.auth";

    /// <summary>The identity the authentication middleware established (null only on public routes).</summary>
    public static UserIdentity? GetUser(this HttpContext context) => context.Items[UserKey] as UserIdentity;

    public static AuthMethod GetAuthMethod(this HttpContext context) =>
        context.Items[MethodKey] is AuthMethod m ? m : AuthMethod.None;

    internal static void SetUser(this HttpContext context, UserIdentity user, AuthMethod method)
    {
        context.Items[UserKey] = user;
        context.Items[MethodKey] = method;
    }
}
