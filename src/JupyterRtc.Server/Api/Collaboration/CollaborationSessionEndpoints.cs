using System.Text.Json;
using JupyterRtc.Contents;
using JupyterRtc.Contents.FileIds;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Collaboration;

/// <summary>
/// <c>PUT /api/collaboration/session/&lt;path&gt;</c> (jupyter-collaboration's DocSessionHandler): the client learns the
/// room of a file, <c>{format}:{type}:{fileId}</c>, and the server's session id, which tells a reconnecting tab whether
/// the server it talks to still holds the document it synced with.
/// </summary>
public static class CollaborationSessionEndpoints
{
    /// <summary>One per server process, as jupyter-collaboration's <c>SERVER_SESSION</c>.</summary>
    public static readonly string ServerSession = Guid.NewGuid().ToString();

    public static RouteGroupBuilder MapCollaborationSessionApi(this RouteGroupBuilder api)
    {
        api.MapPut("/collaboration/session/{**path}", async (HttpContext context, string? path, FileIdStore ids, ContentsManager contents) =>
        {
            // The client percent-encodes the whole path (slashes too); the catch-all route keeps %2F encoded.
            var apiPath = contents.Paths.Normalize(Uri.UnescapeDataString(path ?? ""));
            using var body = await JsonResponse.ReadDocumentAsync(context.Request)
                ?? throw new BadRequestException("The body must be a JSON object with 'format' and 'type'");
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw new BadRequestException("The body must be a JSON object with 'format' and 'type' strings");
            // Unlike jupyter-collaboration's default id manager, a missing file is refused here rather than at the
            // websocket: the client then reports "file not found" instead of a broken room.
            if (!contents.FileExists(apiPath)) throw ContentsException.NotFound($"File {apiPath} does not exist");
            var (id, created) = ids.Index(contents.Paths.ToOsPath(apiPath));
            var formatValue = format.GetString()!;
            var typeValue = type.GetString()!;
            await JsonResponse.WriteUtf8Async(context, created ? 201 : 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("format", formatValue);
                w.WriteString("type", typeValue);
                w.WriteString("fileId", id);
                w.WriteString("sessionId", ServerSession);
                w.WriteEndObject();
            });
        });
        return api;
    }
}
