using System.Text.Json;
using JupyterRtc.Kernels;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;
using Microsoft.AspNetCore.StaticFiles;

namespace JupyterRtc.Server.Api.Kernelspecs;

/// <summary><c>/api/kernelspecs</c>, <c>/api/kernelspecs/&lt;name&gt;</c> and <c>/kernelspecs/&lt;name&gt;/&lt;resource&gt;</c> (section 4.1).</summary>
public static class KernelspecsEndpoints
{
    public static RouteGroupBuilder MapKernelspecsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/kernelspecs", (HttpContext context, IKernelSpecManager specs, ServerAppOptions options) =>
        {
            var all = specs.FindAll();
            return JsonResponse.WriteUtf8Async(context, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("default", specs.DefaultKernelName);
                w.WriteStartObject("kernelspecs");
                foreach (var spec in all.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(spec.Name);
                    WriteModel(w, spec, options.BaseUrl);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            });
        });
        api.MapGet("/kernelspecs/{name}", (HttpContext context, string name, IKernelSpecManager specs, ServerAppOptions options) =>
        {
            name = Uri.UnescapeDataString(name);
            return specs.Get(name) is { } spec
                ? JsonResponse.WriteUtf8Async(context, 200, w => WriteModel(w, spec, options.BaseUrl))
                : JupyterError.WriteAsync(context, 404, $"Kernel spec {name} not found");
        });
        return api;
    }

    public static void WriteModel(Utf8JsonWriter w, KernelSpec spec, string baseUrl)
    {
        w.WriteStartObject();
        w.WriteString("name", spec.Name);
        w.WritePropertyName("spec");
        spec.Json.WriteTo(w);
        w.WriteStartObject("resources");
        foreach (var (key, file) in spec.Resources())
            w.WriteString(key, $"{baseUrl}kernelspecs/{Uri.EscapeDataString(spec.Name)}/{Uri.EscapeDataString(file)}");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static IEndpointRouteBuilder MapKernelspecResources(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/kernelspecs/{name}/{**file}", ["GET", "HEAD"], async (HttpContext context, string name, string? file, IKernelSpecManager specs) =>
        {
            file = Uri.UnescapeDataString(file ?? "");
            if (specs.Get(Uri.UnescapeDataString(name)) is not { } spec || file.Length == 0 || file.Split('/').Any(p => p is "" or "." or ".."))
            {
                await JupyterError.WriteAsync(context, 404, "Not Found");
                return;
            }
            var full = Path.GetFullPath(Path.Combine(spec.ResourceDir, file));
            if (!full.StartsWith(Path.GetFullPath(spec.ResourceDir) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(full))
            {
                await JupyterError.WriteAsync(context, 404, "Not Found");
                return;
            }
            context.Response.ContentType = ContentTypes.TryGetContentType(full, out var ct) ? ct : "application/octet-stream";
            if (full.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) context.Response.Headers.CacheControl = "max-age=2592000";
            var bytes = await File.ReadAllBytesAsync(full, context.RequestAborted);
            context.Response.ContentLength = bytes.Length;
            if (!HttpMethods.IsHead(context.Request.Method)) await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        });
        return app;
    }
}
