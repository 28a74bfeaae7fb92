using JupyterRtc.Contents;
using JupyterRtc.Contents.FileIds;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.FileId;

/// <summary>
/// <c>/api/fileid/id?path=</c>, <c>/api/fileid/path?id=</c> and <c>POST /api/fileid/index?path=</c>: the file id
/// service of <c>jupyter_server_fileid</c> (and jupyter-server-documents' index call) over <see cref="FileIdStore"/>.
/// </summary>
public static class FileIdEndpoints
{
    public static IServiceCollection AddFileIds(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var server = sp.GetRequiredService<ServerAppOptions>();
            var store = new FileIdStore(Path.Combine(server.DataDir, "jupyter-rtc", "file_ids.jsonl"));
            // Ids follow the Contents API's renames, moves and deletes; a copy gets its own id when it is first used.
            var contents = sp.GetRequiredService<ContentsManager>();
            contents.Changed += (action, path, from) =>
            {
                switch (action)
                {
                    case "rename" when from != null:
                        store.Move(contents.Paths.ToOsPath(contents.Paths.Normalize(from)), contents.Paths.ToOsPath(path));
                        break;
                    case "delete":
                        store.Delete(contents.Paths.ToOsPath(path));
                        break;
                    case "save" or "upload":
                        // Saves write a new file and rename it over the old: the inode changes.
                        store.Refresh(contents.Paths.ToOsPath(path));
                        break;
                }
            };
            return store;
        });
        return services;
    }

    public static RouteGroupBuilder MapFileIdApi(this RouteGroupBuilder api)
    {
        api.MapGet("/fileid/id", (HttpContext context, FileIdStore ids, ContentsManager contents) =>
        {
            var path = Required(context, "path");
            var normalized = contents.Paths.Normalize(path);
            var id = ids.GetId(contents.Paths.ToOsPath(normalized)) ?? throw ContentsException.NotFound($"The path '{path}' has no id");
            return Reply(context, id, normalized);
        });
        api.MapGet("/fileid/path", (HttpContext context, FileIdStore ids, ContentsManager contents) =>
        {
            var id = Required(context, "id");
            var os = ids.GetPath(id);
            if (os == null || !contents.Paths.IsInsideRoot(os)) throw ContentsException.NotFound($"The id '{id}' is unknown");
            return Reply(context, id, contents.Paths.ToApiPath(os));
        });
        api.MapPost("/fileid/index", (HttpContext context, FileIdStore ids, ContentsManager contents) =>
        {
            var path = contents.Paths.Normalize(Required(context, "path"));
            if (!contents.FileExists(path) && !contents.DirExists(path)) throw ContentsException.NotFound($"No such file or directory: '{path}'");
            var (id, _) = ids.Index(contents.Paths.ToOsPath(path));
            return Reply(context, id, path);
        });
        return api;
    }

    private static string Required(HttpContext context, string name) =>
        context.Request.Query[name].FirstOrDefault() is { Length: > 0 } v ? v : throw new BadRequestException($"Missing '{name}' query argument");

    private static Task Reply(HttpContext context, string id, string path) =>
        JsonResponse.WriteUtf8Async(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("path", path);
            w.WriteEndObject();
        });
}
