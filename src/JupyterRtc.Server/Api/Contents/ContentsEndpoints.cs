using System.Globalization;
using System.Text.RegularExpressions;
using JupyterRtc.Contents;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;
using Newtonsoft.Json.Linq;

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
            var list = new JArray(contents.ListCheckpoints(file).Select(c => c.ToJson()));
            await JsonResponse.WriteAsync(context, 200, list);
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
        var model = contents.Get(p, type, format, content == "1", hash == "1");
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
                await JsonResponse.WriteAsync(context, 201, cp.ToJson());
            }
            else
            {
                contents.RestoreCheckpoint(file, id);
                context.Response.StatusCode = 204;
            }
            return;
        }
        var body = await JsonResponse.ReadBodyAsync(context.Request);
        if (body != null && body is not JObject) throw new BadRequestException("The body must be a JSON object");
        var model = (JObject?)body ?? new JObject();
        var result = model["copy_from"] is { Type: JTokenType.String } copyFrom
            ? contents.Copy((string)copyFrom!, p)
            : contents.NewUntitled(p, (string?)model["type"], (string?)model["ext"]);
        await WriteModel(context, 201, result, location: true);
    }

    private static async Task Put(HttpContext context, string? path, ContentsManager contents)
    {
        var p = ApiPath(path);
        var body = await JsonResponse.ReadBodyAsync(context.Request);
        if (body == null)
        {
            // Jupyter Server: a PUT without a body creates an untitled file in the directory named by the path.
            await WriteModel(context, 201, contents.NewUntitled(p), location: true);
            return;
        }
        if (body is not JObject model) throw new BadRequestException("The body must be a JSON object");
        var (result, created) = contents.Save(p, model);
        await WriteModel(context, created ? 201 : 200, result, location: true);
    }

    private static async Task Patch(HttpContext context, string? path, ContentsManager contents)
    {
        var p = ApiPath(path);
        var body = await JsonResponse.ReadBodyAsync(context.Request);
        if (body == null) throw new BadRequestException("JSON body missing");
        if (body is not JObject model) throw new BadRequestException("The body must be a JSON object");
        var result = model["path"] is { Type: JTokenType.String } newPath
            ? contents.Rename(p, (string)newPath!)
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
        return JsonResponse.WriteAsync(context, status, model.WriteTo);
    }

    /// <summary>Each segment percent-encoded, slashes kept (Jupyter's <c>url_escape</c>).</summary>
    internal static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
