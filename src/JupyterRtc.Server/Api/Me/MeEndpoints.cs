using JupyterRtc.Server.Auth;
using JupyterRtc.Server.Http;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Me;

/// <summary>
/// <c>GET /api/me</c>: the caller's identity and, for the <c>permissions</c> query, which of the asked actions are
/// allowed (every one: this server authorises all authenticated users, as Jupyter's default AllowAllAuthorizer).
/// </summary>
public static class MeEndpoints
{
    private static readonly string[] Updatable = ["color"];

    public static RouteGroupBuilder MapMeApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", (HttpContext context) =>
        {
            var user = context.GetUser() ?? throw new InvalidOperationException("no user on an authenticated route");
            var permissions = new JObject();
            var asked = context.Request.Query["permissions"].FirstOrDefault();
            if (!string.IsNullOrEmpty(asked))
            {
                JToken parsed;
                try { parsed = JToken.Parse(asked); }
                catch (Newtonsoft.Json.JsonException) { parsed = JValue.CreateNull(); }
                if (parsed is not JObject obj || obj.Properties().Any(p => p.Value is not JArray a || a.Any(x => x.Type != JTokenType.String)))
                    throw new BadRequestException($"permissions should be a JSON dict of {{\"resource\": [\"action\",]}}, got '{asked}'");
                foreach (var p in obj.Properties()) permissions[p.Name] = p.Value.DeepClone();
            }
            permissions["updatable_fields"] = new JArray(Updatable);
            return JsonResponse.WriteAsync(context, 200, new JObject { ["identity"] = user.ToJson(), ["permissions"] = permissions });
        });
        return api;
    }
}
