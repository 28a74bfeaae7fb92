using JupyterRtc.Server.Http;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Terminals;

/// <summary>
/// <c>/api/terminals</c> while this server has no terminals: an empty list, and 404 for any terminal. The lab page
/// says <c>terminalsAvailable: false</c>, so JupyterLab shows no terminal UI and never asks to create one.
/// </summary>
public static class TerminalsEndpoints
{
    public static RouteGroupBuilder MapTerminalsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/terminals", (HttpContext c) => JsonResponse.WriteAsync(c, 200, new JArray()));
        api.MapPost("/terminals", (HttpContext c) => JupyterError.WriteAsync(c, 404, "Terminals are not available on this server"));
        api.MapGet("/terminals/{name}", (HttpContext c, string name) => JupyterError.WriteAsync(c, 404, $"Terminal not found: {name}"));
        api.MapDelete("/terminals/{name}", (HttpContext c, string name) => JupyterError.WriteAsync(c, 404, $"Terminal not found: {name}"));
        return api;
    }
}
