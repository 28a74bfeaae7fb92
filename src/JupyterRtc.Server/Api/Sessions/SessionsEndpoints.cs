using System.Text.Json;
using JupyterRtc.Kernels;
using JupyterRtc.Server.Api.Kernels;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Sessions;

/// <summary><c>/api/sessions</c> (section 4.3): status codes and messages as Jupyter Server's.</summary>
public static class SessionsEndpoints
{
    public static RouteGroupBuilder MapSessionsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/sessions", List);
        api.MapPost("/sessions", Create);
        api.MapGet("/sessions/{id}", Get);
        api.MapPatch("/sessions/{id}", Patch);
        api.MapDelete("/sessions/{id}", Delete);
        return api;
    }

    private static void WriteModel(Utf8JsonWriter w, KernelSession s, IKernelManager kernels)
    {
        w.WriteStartObject();
        w.WriteString("id", s.Id);
        w.WriteString("path", s.Path);
        w.WriteString("name", s.Name);
        w.WriteString("type", s.Type);
        w.WritePropertyName("kernel");
        if (kernels.Get(s.KernelId) is { } k) KernelsEndpoints.WriteModel(w, k);
        else w.WriteNullValue();
        if (s.Type == "notebook")
        {
            w.WriteStartObject("notebook");
            w.WriteString("path", s.Path);
            w.WriteString("name", s.Name);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static Task List(HttpContext context, ISessionManager sessions, IKernelManager kernels) => JsonResponse.WriteUtf8Async(context, 200, w =>
    {
        w.WriteStartArray();
        foreach (var s in sessions.List()) WriteModel(w, s, kernels);
        w.WriteEndArray();
    });

    private static Task Get(HttpContext context, string id, ISessionManager sessions, IKernelManager kernels) =>
        sessions.Get(id) is { } s && kernels.Get(s.KernelId) != null
            ? JsonResponse.WriteUtf8Async(context, 200, w => WriteModel(w, s, kernels))
            : JupyterError.WriteAsync(context, 404, $"Session not found: session_id='{id}'");

    private static string? Str(JsonElement o, string key) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement Obj(JsonElement o, string key) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    private static Task ErrorWithShort(HttpContext context, int status, SessionKernelException e) =>
        JsonResponse.WriteUtf8Async(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("message", e.Message);
            w.WriteString("short_message", e.ShortMessage);
            w.WriteEndObject();
        });

    private static async Task Create(HttpContext context, ISessionManager sessions, IKernelManager kernels, ServerAppOptions options)
    {
        using var doc = await JsonResponse.ReadDocumentAsync(context.Request) ?? throw new BadRequestException("No JSON data provided");
        var body = doc.RootElement;
        if (body.ValueKind != JsonValueKind.Object) throw new BadRequestException("No JSON data provided");
        var path = Str(body, "path") ?? Str(Obj(body, "notebook"), "path") ?? throw new BadRequestException("Missing field in JSON data: path");
        var type = Str(body, "type") ?? (body.TryGetProperty("notebook", out _) ? "notebook" : null) ?? throw new BadRequestException("Missing field in JSON data: type");
        var name = Str(body, "name");
        var kernel = Obj(body, "kernel");
        KernelSession session;
        try
        {
            session = await sessions.CreateAsync(path, name, type, Str(kernel, "name"), Str(kernel, "id"), context.RequestAborted);
        }
        catch (SessionKernelException e)
        {
            await ErrorWithShort(context, 501, e);
            return;
        }
        catch (InvalidOperationException e)
        {
            await JupyterError.WriteAsync(context, 409, e.Message);
            return;
        }
        context.Response.Headers.Location = $"{options.BaseUrl}api/sessions/{session.Id}";
        await JsonResponse.WriteUtf8Async(context, 201, w => WriteModel(w, session, kernels));
    }

    private static async Task Patch(HttpContext context, string id, ISessionManager sessions, IKernelManager kernels)
    {
        using var doc = await JsonResponse.ReadDocumentAsync(context.Request) ?? throw new BadRequestException("No JSON data provided");
        var body = doc.RootElement;
        if (sessions.Get(id) == null)
        {
            await JupyterError.WriteAsync(context, 404, $"Session not found: session_id='{id}'");
            return;
        }
        var kernel = Obj(body, "kernel");
        KernelSession session;
        try
        {
            session = await sessions.UpdateAsync(id, Str(body, "path"), Str(body, "name"), Str(body, "type"), Str(kernel, "name"), Str(kernel, "id"), context.RequestAborted);
        }
        catch (SessionKernelException e)
        {
            await ErrorWithShort(context, 501, e);
            return;
        }
        catch (KeyNotFoundException e)
        {
            await JupyterError.WriteAsync(context, 404, e.Message);
            return;
        }
        await JsonResponse.WriteUtf8Async(context, 200, w => WriteModel(w, session, kernels));
    }

    private static async Task Delete(HttpContext context, string id, ISessionManager sessions)
    {
        try
        {
            if (!await sessions.DeleteAsync(id))
            {
                await JupyterError.WriteAsync(context, 410, "Kernel deleted before session");
                return;
            }
        }
        catch (KeyNotFoundException e)
        {
            await JupyterError.WriteAsync(context, 404, e.Message);
            return;
        }
        context.Response.StatusCode = 204;
    }
}
