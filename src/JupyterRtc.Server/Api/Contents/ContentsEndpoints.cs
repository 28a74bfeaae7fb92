using System.Globalization;
using System.Text.RegularExpressions;
using JupyterRtc.Contents;
using JupyterRtc.Contents.Notebooks;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;
using System.Text.Json;

namespace JupyterRtc.Server.Api.Contents;

/// <summary>
/// <c>/api/contents/&lt;path&gt;</c> and its checkpoints (section 3 of the reference): thin handlers over
/// <see cref="ContentsManager"/>, which holds the logic. Query and body checks follow Jupyter Server 2.x.
/// </summary>
public static partial class ContentsEndpoints
{
    public static IServiceCollection AddContents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp =>
        {
            var server = sp.GetRequiredService<ServerAppOptions>();
            return new ContentsManager(ContentsSettings.Bind(configuration, server.RootDir), new NotebookNotary(server.DataDir));
        });
        return services;
    }

    // Checkpoint URLs end the catch-all path: <path>/checkpoints and <path>/checkpoints/<id>.
    [GeneratedRegex(@"^(?<path>.*?)/?checkpoints(?:/(?<id>[\w-]+))?$")]
    private static partial Regex CheckpointRoute();

    public static RouteGroupBuilder MapContentsApi(this RouteGroupBuilder api)
    {
        api.MapMethods("/contents/{**path}", ["GET", "HEAD"], Get);
        api.MapPost("/contents/{**path}", Post);
        api.MapPut("/contents/{**path}", Put);
        api.MapPatch("/contents/{**path}", Patch);
        api.MapDelete("/contents/{**path}", Delete);
        return api;
    }

    /// <summary>The API path of a request: the route value, with <c>%2F</c> and friends decoded as Tornado does.</summary>
    private static string ApiPath(string? raw) => Uri.UnescapeDataString(raw ?? "");

    private static bool IsCheckpointRoute(string path, out string filePath, out string? id)
    {
        var m = CheckpointRoute().Match(path);
        if (m.Success && (path == "checkpoints" || path.EndsWith("/checkpoints", StringComparison.Ordinal) || m.Groups["id"].Success)
            && (m.Groups["path"].Value.Length > 0))
        {
            filePath = m.Groups["path"].Value;
            id = m.Groups["id"].Success ? m.Groups["id"].Value : null;
            return true;
        }
        filePath = path;
        id = null;
        return false;
    }

    private static async Task Get(HttpContext context, string? path, ContentsManager contents)
    {
        var p = ApiPath(path);
        if (IsCheckpointRoute(p, out var file, out var id) && id == null)
        {
            var list = contents.ListCheckpoints(file);
            await JsonResponse.WriteUtf8Async(context, 200, w =>
            {
                w.WriteStartArray();
                foreach (var c in list) c.WriteTo(w);
                w.WriteEndArray();
            });
            return;
        }
        var q = context.Request.Query;
        var type = q["type"].FirstOrDefault();
        if (type != null && type is not ("directory" or "file" or "notebook")) type = "file";
        var format = q["format"].FirstOrDefault();
        if (format != null && format is not ("text" or "base64")) throw new BadRequestException($"Format '{format}' is invalid");
        var content = q["content"].FirstOrDefault() ?? "1";
        if (content is not ("0" or "1")) throw new BadRequestException($"Content '{content}' is invalid");
        var hash = q["hash"].FirstOrDefault() ?? "0";
        if (hash is not ("0" or "1")) throw new BadRequestException($"Hash argument '{hash}' is invalid. It must be '0' or '1'.");
        using var model = contents.Get(p, type, format, content == "1", hash == "1");
        await WriteModel(context, 200, model, location: false);
    }

    private static async Task Post(HttpContext context, string? path, ContentsManager contents, ServerAppOptions options)
    {
        var p = ApiPath(path);
        if (IsCheckpointRoute(p, out var file, out var id))
        {
            if (id == null)
            {
                var cp = contents.CreateCheckpoint(file);
                context.Response.Headers.Location = $"{options.BaseUrl}api/contents/{Escape(file)}/checkpoints/{cp.Id}";
                await JsonResponse.WriteUtf8Async(context, 201, cp.WriteTo);
            }
            else
            {
                contents.RestoreCheckpoint(file, id);
                context.Response.StatusCode = 204;
            }
            return;
        }
        using var body = await JsonResponse.ReadDocumentAsync(context.Request);
        var model = body?.RootElement ?? default;
        if (body != null && model.ValueKind != JsonValueKind.Object) throw new BadRequestException("The body must be a JSON object");
        string? Str(string name) => body != null && model.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var result = Str("copy_from") is { } copyFrom ? contents.Copy(copyFrom, p) : contents.NewUntitled(p, Str("type"), Str("ext"));
        await WriteModel(context, 201, result, location: true);
    }

    private static async Task Put(HttpContext context, string? path, ContentsManager contents)
    {
        var p = ApiPath(path);
        using var body = await JsonResponse.ReadTapeAsync(context.Request);
        if (body == null)
        {
            // Jupyter Server: a PUT without a body creates an untitled file in the directory named by the path.
            await WriteModel(context, 201, contents.NewUntitled(p), location: true);
            return;
        }
        var (result, created) = contents.Save(p, body.Root);
        await WriteModel(context, created ? 201 : 200, result, location: true);
    }

    private static async Task Patch(HttpContext context, string? path, ContentsManager contents)
    {
        var p = ApiPath(path);
        using var body = await JsonResponse.ReadDocumentAsync(context.Request);
        if (body == null) throw new BadRequestException("JSON body missing");
        if (body.RootElement.ValueKind != JsonValueKind.Object) throw new BadRequestException("The body must be a JSON object");
        var result = body.RootElement.TryGetProperty("path", out var newPath) && newPath.ValueKind == JsonValueKind.String
            ? contents.Rename(p, newPath.GetString()!)
            : contents.Get(p, content: false);
        await WriteModel(context, 200, result, location: true);
    }

    private static Task Delete(HttpContext context, string? path, ContentsManager contents)
    {
        var p = ApiPath(path);
        if (IsCheckpointRoute(p, out var file, out var id) && id != null) contents.DeleteCheckpoint(file, id);
        else contents.Delete(p);
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private static Task WriteModel(HttpContext context, int status, ContentsModel model, bool location)
    {
        var headers = context.Response.Headers;
        headers.LastModified = model.LastModified.ToString("R", CultureInfo.InvariantCulture);
        if (location)
        {
            var baseUrl = context.RequestServices.GetRequiredService<ServerAppOptions>().BaseUrl;
            headers.Location = $"{baseUrl}api/contents/{Escape(model.Path)}";
        }
        if (model.Content is NotebookContent && model.Size >= ContentsManager.LargeNotebookBytes) return StreamModel(context, status, model);
        // A model with content is about the size of the file (base64 adds a third): one buffer, no regrowth.
        var sizeHint = model.Content != null && model.Size is { } size ? (int)Math.Min(size + size / 3 + 4096, int.MaxValue / 2) : 4096;
        return JsonResponse.WriteUtf8Async(context, status, model.WriteTo, sizeHint);
    }

    private const int StreamChunkBytes = 256 * 1024;

    /// <summary>
    /// Writes a large notebook's model straight into the response, sending every ~256 KB at a cell's end, so the client
    /// receives and parses the first cells while the server writes the rest (and its validation, which runs beside,
    /// finishes). Measured on a 20 MB notebook: see docs/benchmarks.md, contents.
    /// </summary>
    private static async Task StreamModel(HttpContext context, int status, ContentsModel model)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (HttpMethods.IsHead(context.Request.Method)) return;
        var body = context.Response.BodyWriter;
        await using var w = new Utf8JsonWriter(body, NotebookFormat.ClientWriterOptions);
        long sent = 0;
        await model.WriteToAsync(w, async () =>
        {
            if (w.BytesCommitted + w.BytesPending - sent < StreamChunkBytes) return;
            w.Flush();
            sent = w.BytesCommitted;
            await body.FlushAsync(context.RequestAborted);
        });
        w.Flush();
    }

    /// <summary>Each segment percent-encoded, slashes kept (Jupyter's <c>url_escape</c>).</summary>
    internal static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
