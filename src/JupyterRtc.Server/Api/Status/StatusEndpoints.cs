using JupyterRtc.Contents;
using JupyterRtc.Server.Http;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Status;

/// <summary><c>GET /api</c> (public version probe), <c>GET /api/status</c>, <c>GET /api/spec.yaml</c>.</summary>
public static class StatusEndpoints
{
    /// <summary>
    /// The Jupyter Server version we implement the API of. JupyterLab reads it (for example to decide whether it may
    /// upload in chunks), so it must be a 2.x version string.
    /// </summary>
    public const string CompatibleVersion = "2.14.2";

    public static RouteGroupBuilder MapStatusApi(this RouteGroupBuilder api)
    {
        api.MapGet("", (HttpContext context) => JsonResponse.WriteAsync(context, 200, new JObject { ["version"] = CompatibleVersion }));
        api.MapGet("/status", (HttpContext context, ServerActivity activity) => JsonResponse.WriteAsync(context, 200, new JObject
        {
            ["connections"] = activity.ConnectionCount(),
            ["kernels"] = activity.KernelCount(),
            ["last_activity"] = Timestamps.Format(activity.LastActivity),
            ["started"] = Timestamps.Format(activity.Started),
        }));
        api.MapGet("/spec.yaml", async (HttpContext context) =>
        {
            await using var stream = typeof(StatusEndpoints).Assembly.GetManifestResourceStream("openapi.yaml");
            if (stream == null) { await JupyterError.WriteAsync(context, 404, "No API specification"); return; }
            context.Response.ContentType = "text/x-yaml";
            await stream.CopyToAsync(context.Response.Body);
        });
        return api;
    }
}
