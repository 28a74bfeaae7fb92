using JupyterRtc.Contents;

namespace JupyterRtc.Server.Api.Files;

/// <summary>
/// <c>GET|HEAD /files/&lt;path&gt;</c> (section 3.10): the raw bytes of a file under the root, with byte ranges,
/// download disposition and a sandboxing CSP (the file may be HTML written by anyone).
/// </summary>
public static class FilesEndpoints
{
    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/files/{**path}", ["GET", "HEAD"], (HttpContext context, string? path, ContentsManager contents) =>
        {
            var apiPath = Uri.UnescapeDataString(path ?? "");
            // A path that climbs out of the root is forbidden (403), as Tornado's static file handler answers.
            if (apiPath.Split('/').Contains("..")) return Results.Content("403: Forbidden", "text/plain", null, 403);
            var os = contents.GetFileForDownload(apiPath);
            var name = Path.GetFileName(os);
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = headers.ContentSecurityPolicy + "; sandbox allow-scripts";
            headers.CacheControl = context.Request.Query.ContainsKey("v") ? "max-age=31536000" : "no-cache";
            if (context.Request.Query.ContainsKey("download") || name.EndsWith(".ipynb", StringComparison.Ordinal))
                headers.ContentDisposition = $"attachment; filename*=utf-8''{Uri.EscapeDataString(name)}";
            var type = name.EndsWith(".ipynb", StringComparison.Ordinal) ? "application/x-ipynb+json"
                : MimeTypes.Guess(name) is { } t ? (t == "text/plain" ? "text/plain; charset=UTF-8" : t)
                : "application/octet-stream";
            var info = new FileInfo(os);
            return Results.File(os, type, fileDownloadName: null,
                lastModified: new DateTimeOffset(info.LastWriteTimeUtc), entityTag: null, enableRangeProcessing: true);
        });
        return app;
    }
}
