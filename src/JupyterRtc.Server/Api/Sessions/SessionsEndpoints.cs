using System.Text.Json;
using JupyterRtc.Kernels;
using JupyterRtc.Server.Api.Kernels;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Sessions;

/// <summary>
/// <c>/api/sessions</c> (section 4.3): status codes and messages as Jupyter Server's. Private sessions (a user's own
/// kernel on a notebook that also has a shared session) follow <see cref="KernelAccess"/>: another user's private
/// session, like their private kernel, answers as a missing one.
/// </summary>
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
        // Only private sessions carry it: shared sessions' models stay exactly Jupyter Server's.
        if (s.IsPrivate) w.WriteBoolean("private", true);
        w.WriteEndObject();
    }

    /// <summary>The session of a route's id, or null (404) when there is none or it is another user's private one.</summary>
    private static KernelSession? Find(HttpContext context, ISessionManager sessions, string id) =>
        sessions.Get(id) is { } s && KernelAccess.CanUse(context, s) ? s : null;

    private static Task SessionNotFound(HttpContext context, string id) =>
        JupyterError.WriteAsync(context, 404, $"Session not found: session_id='{id}'");

    /// <summary>
    /// The requester's own private sessions first, then the shared ones (each group in the manager's order); other
    /// users' private sessions not at all. JupyterLab's <c>SessionManager.findByPath</c> takes the first session of a
    /// path, so the owner's JupyterLab attaches to their private kernel and everyone else's to the shared one.
    /// </summary>
    private static Task List(HttpContext context, ISessionManager sessions, IKernelManager kernels)
    {
        var visible = sessions.List().Where(s => KernelAccess.CanUse(context, s)).ToList();
        var ordered = visible.Where(s => s.IsPrivate).Concat(visible.Where(s => !s.IsPrivate));
        return JsonResponse.WriteUtf8Async(context, 200, w =>
        {
            w.WriteStartArray();
            foreach (var s in ordered) WriteModel(w, s, kernels);
            w.WriteEndArray();
        });
    }

    private static Task Get(HttpContext context, string id, ISessionManager sessions, IKernelManager kernels) =>
        Find(context, sessions, id) is { } s && kernels.Get(s.KernelId) != null
            ? JsonResponse.WriteUtf8Async(context, 200, w => WriteModel(w, s, kernels))
            : SessionNotFound(context, id);

    private static string? Str(JsonElement o, string key) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement Obj(JsonElement o, string key) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    /// <summary>
    /// <c>private</c> at the top level or in <c>kernel</c> (either place, as a client finds natural); null when neither
    /// says. The two saying different things is refused.
    /// </summary>
    private static bool? PrivateFlag(JsonElement body, JsonElement kernel)
    {
        var top = KernelAccess.PrivateFlag(body);
        var inKernel = KernelAccess.PrivateFlag(kernel);
        if (top != null && inKernel != null && top != inKernel) throw new BadRequestException("'private' and 'kernel.private' disagree");
        return top ?? inKernel;
    }

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
        var kernelId = Str(kernel, "id");
        var wantPrivate = PrivateFlag(body, kernel);
        var owner = wantPrivate == true ? KernelAccess.UserName(context) : null;
        if (kernelId != null && kernels.Get(kernelId) is { } existing)
        {
            // Attaching to another user's private kernel: that kernel does not exist for this requester.
            if (!KernelAccess.CanUse(context, existing))
            {
                await JupyterError.WriteAsync(context, 404, $"Kernel does not exist: {kernelId}");
                return;
            }
            // Attaching to one's own private kernel without saying more makes a private session: a shared session on
            // it would be listed to everyone with a kernel nobody else can use.
            if (wantPrivate == null) owner = existing.Owner;
            else if (existing.Owner != owner)
                throw new BadRequestException(wantPrivate == true
                    ? $"Kernel {kernelId} is shared: a private session needs a private kernel"
                    : $"Kernel {kernelId} is private: a shared session needs a shared kernel");
        }
        KernelSession session;
        try
        {
            session = await sessions.CreateAsync(path, name, type, Str(kernel, "name"), kernelId, owner, context.RequestAborted);
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
        if (Find(context, sessions, id) == null)
        {
            await SessionNotFound(context, id);
            return;
        }
        var kernel = Obj(body, "kernel");
        // Another user's private kernel answers as an unknown kernel id does (the manager's 400 "No such kernel").
        if (Str(kernel, "id") is { } kernelId && kernels.Get(kernelId) is { } k && !KernelAccess.CanUse(context, k))
            throw new BadRequestException($"No such kernel: {kernelId}");
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
        if (Find(context, sessions, id) == null)
        {
            await SessionNotFound(context, id);
            return;
        }
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
