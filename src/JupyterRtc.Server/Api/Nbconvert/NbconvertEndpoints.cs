using System.Diagnostics;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Api.Nbconvert;

/// <summary>
/// <c>GET /api/nbconvert</c> (reference section 6.10): the export formats, which exist only when <c>jupyter-nbconvert</c>
/// is on the PATH; otherwise <c>{}</c>, and JupyterLab hides "Save and Export Notebook As". With nbconvert present,
/// <c>GET /nbconvert/&lt;format&gt;/&lt;path&gt;</c> runs it and returns the converted file.
/// </summary>
public static class NbconvertEndpoints
{
    private static readonly (string Format, string Mime)[] Exporters =
    [
        ("asciidoc", "text/asciidoc"), ("html", "text/html"), ("latex", "text/latex"), ("markdown", "text/markdown"),
        ("notebook", "application/json"), ("pdf", "application/pdf"), ("python", "text/x-python"), ("rst", "text/restructuredtext"),
        ("script", "text/plain"), ("slides", "text/html"),
    ];

    private static readonly Lazy<string?> Executable = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "jupyter-nbconvert")).FirstOrDefault(File.Exists));

    public static RouteGroupBuilder MapNbconvertApi(this RouteGroupBuilder api)
    {
        api.MapGet("/nbconvert", (HttpContext c) =>
        {
            var result = new JObject();
            if (Executable.Value != null)
                foreach (var (f, m) in Exporters) result[f] = new JObject { ["output_mimetype"] = m };
            return JsonResponse.WriteAsync(c, 200, result);
        });
        return api;
    }

    public static IEndpointRouteBuilder MapNbconvert(this IEndpointRouteBuilder app)
    {
        app.MapGet("/nbconvert/{format}/{**path}", async (HttpContext c, ServerAppOptions o, string format, string? path) =>
        {
            var exporter = Exporters.FirstOrDefault(e => e.Format == format);
            if (Executable.Value is not { } exe || exporter.Format == null)
            {
                await JupyterError.WriteAsync(c, 404, $"No exporter for format '{format}'");
                return;
            }
            var root = o.RootDir.TrimEnd('/') + "/";
            var full = Path.GetFullPath(Path.Combine(o.RootDir, path ?? ""));
            if (!full.StartsWith(root, StringComparison.Ordinal) || !File.Exists(full))
            {
                await JupyterError.WriteAsync(c, 404, $"File not found: {path}");
                return;
            }
            var outDir = Directory.CreateTempSubdirectory("jrtc-nbconvert-").FullName;
            try
            {
                var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Path.GetDirectoryName(full)! };
                foreach (var a in new[] { "--to", format, "--output-dir", outDir, full }) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                var stderr = p.StandardError.ReadToEndAsync();
                await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync(c.RequestAborted);
                var produced = Directory.EnumerateFiles(outDir).FirstOrDefault();
                if (p.ExitCode != 0 || produced == null)
                {
                    await JupyterError.WriteAsync(c, 500, $"nbconvert failed: {(await stderr).Trim()}");
                    return;
                }
                var name = Path.GetFileName(produced);
                c.Response.Headers.CacheControl = "no-store, no-cache, must-revalidate, max-age=0";
                if (c.Request.Query["download"].FirstOrDefault() is "true" or "1")
                    c.Response.Headers.ContentDisposition = $"attachment; filename*=utf-8''{Uri.EscapeDataString(name)}";
                c.Response.ContentType = exporter.Mime;
                await c.Response.SendFileAsync(produced, c.RequestAborted);
            }
            finally { try { Directory.Delete(outDir, true); } catch (IOException) { } }
        });
        return app;
    }
}
