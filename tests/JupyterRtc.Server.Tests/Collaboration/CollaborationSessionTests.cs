using System.Net;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Collaboration;

/// <summary><c>PUT /api/collaboration/session/&lt;path&gt;</c> and <c>/api/fileid</c> as jupyter-collaboration's client uses them.</summary>
public sealed class CollaborationSessionTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        Directory.CreateDirectory(_server.PathInRoot("dir"));
        File.WriteAllText(_server.PathInRoot("dir/nb.ipynb"), "{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}\n");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Session_answers_201_then_200_with_the_same_file_id_and_the_id_follows_a_rename()
    {
        var c = _server.Client;
        // The client percent-encodes the whole path, slashes included.
        var first = await c.PutAsync("api/collaboration/session/dir%2Fnb.ipynb", TestHttp.Json(new { format = "json", type = "notebook" }));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var model = await first.ReadObject();
        Assert.Equal("json", (string?)model["format"]);
        Assert.Equal("notebook", (string?)model["type"]);
        var fileId = (string)model["fileId"]!;
        Assert.True(Guid.TryParse(fileId, out _));
        Assert.True(Guid.TryParse((string?)model["sessionId"], out _));

        var second = await c.PutAsync("api/collaboration/session/dir%2Fnb.ipynb", TestHttp.Json(new { format = "json", type = "notebook" }));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(fileId, (string?)(await second.ReadObject())["fileId"]);

        Assert.Equal(HttpStatusCode.OK, (await c.Patch("api/contents/dir/nb.ipynb", new { path = "dir/renamed.ipynb" })).StatusCode);
        var byId = await c.GetAsync($"api/fileid/path?id={fileId}");
        Assert.Equal("dir/renamed.ipynb", (string?)(await byId.ReadObject())["path"]);
        Assert.Equal(HttpStatusCode.OK, (await c.PatchAsync("api/contents/dir", TestHttp.Json(new { path = "moved" }))).StatusCode);
        var byPath = await c.GetAsync("api/fileid/id?path=moved/renamed.ipynb");
        Assert.Equal(fileId, (string?)(await byPath.ReadObject())["id"]);

        var third = await c.PutAsync("api/collaboration/session/moved%2Frenamed.ipynb", TestHttp.Json(new { format = "json", type = "notebook" }));
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(fileId, (string?)(await third.ReadObject())["fileId"]);
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_json_errors()
    {
        var c = _server.Client;
        var missing = await c.PutAsync("api/collaboration/session/nope.ipynb", TestHttp.Json(new { format = "json", type = "notebook" }));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("does not exist", (string?)(await missing.ReadObject())["message"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PutAsync("api/collaboration/session/dir%2Fnb.ipynb", TestHttp.Json("{not json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PutAsync("api/collaboration/session/dir%2Fnb.ipynb", TestHttp.Json(new { format = 1 }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await c.PutAsync("api/collaboration/session/..%2Foutside.txt", TestHttp.Json(new { format = "text", type = "file" }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.GetAsync("api/fileid/id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await c.GetAsync("api/fileid/id?path=dir/nb.ipynb")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await c.GetAsync($"api/fileid/path?id={Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.NewClient(token: false).PutAsync("api/collaboration/session/dir%2Fnb.ipynb", TestHttp.Json(new { format = "json", type = "notebook" }))).StatusCode);
    }

    [Fact]
    public async Task File_ids_survive_a_server_restart()
    {
        var c = _server.Client;
        var id = (string)(await (await c.PostAsync("api/fileid/index?path=dir/nb.ipynb", null)).ReadObject())["id"]!;
        var data = Path.Combine(_server.Scratch, "data");
        await using var second = await TestServer.StartAsync($"--ServerApp.root_dir={_server.Root}", $"--JupyterRtc.data_dir={data}");
        var again = await second.Client.PutAsync("api/collaboration/session/dir%2Fnb.ipynb", TestHttp.Json(new { format = "json", type = "notebook" }));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (string?)(await again.ReadObject())["fileId"]);
    }
}
