using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>
/// Private kernels and sessions (docs/kernels.md, "Private kernels") with two users of one server, a real ipykernel:
/// the owner sees and uses them, anyone else gets what a missing kernel or session gets.
/// </summary>
// Kernel-starting tests run one class at a time: several ipykernels starting at once on 2 cores can exceed the start timeout.
[Collection("kernels")]
public class PrivateKernelsTests
{
    private const string NoKernel = "00000000-0000-0000-0000-000000000000";

    /// <summary>A browser of its own: the token for access, a cookie jar for a lasting identity (its username).</summary>
    private sealed record User(HttpClient Http, CookieContainer Cookies, string Name);

    private static async Task<User> NewUser(TestServer server)
    {
        var jar = new CookieContainer();
        var http = server.NewClient(token: true, cookies: jar);
        var me = await (await http.GetAsync("api/me")).ReadObject();
        return new User(http, jar, (string)me["identity"]!["username"]!);
    }

    private static async Task<(HttpStatusCode Status, string? Message)> Answer(Task<HttpResponseMessage> request)
    {
        var r = await request;
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.StartsWith('{') ? (string?)JObject.Parse(text)["message"] : null);
    }

    /// <summary>The HTTP status a websocket upgrade to the kernel's channels gets (101 when it is accepted).</summary>
    private static async Task<HttpStatusCode> ChannelsStatus(TestServer server, User user, string kernelId)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.SetRequestHeader("Authorization", $"token {TestServer.Token}");
        ws.Options.Cookies = user.Cookies;
        var uri = new Uri(server.BaseAddress.ToString().Replace("http://", "ws://") + $"api/kernels/{kernelId}/channels?session_id={Guid.NewGuid()}");
        try
        {
            await ws.ConnectAsync(uri, CancellationToken.None);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
        catch (WebSocketException) { }
        return ws.HttpStatusCode;
    }

    private static async Task<JArray> List(User user, string what) => (JArray)await (await user.Http.GetAsync($"api/{what}")).ReadJson();

    [Fact]
    public async Task Private_kernel_is_its_owners_and_missing_for_everyone_else()
    {
        await using var server = await TestServer.StartAsync();
        var a = await NewUser(server);
        var b = await NewUser(server);
        Assert.NotEqual(a.Name, b.Name);

        var started = await a.Http.PostAsync("api/kernels", TestHttp.Json(new { name = "python3", @private = true }));
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var model = await started.ReadObject();
        var id = (string)model["id"]!;
        Assert.Equal(["id", "name", "last_activity", "execution_state", "connections", "owner", "private"], model.Properties().Select(p => p.Name));
        Assert.Equal(a.Name, (string?)model["owner"]);
        Assert.True((bool)model["private"]!);

        // A shared kernel's model is exactly Jupyter Server's, whoever started it.
        var shared = await (await b.Http.PostAsync("api/kernels", TestHttp.Json(new { name = "python3" }))).ReadObject();
        var sharedId = (string)shared["id"]!;
        Assert.Equal(["id", "name", "last_activity", "execution_state", "connections"], shared.Properties().Select(p => p.Name));
        var explicitlyShared = await b.Http.PostAsync("api/kernels", TestHttp.Json(new { kernel_id = sharedId, @private = false }));
        Assert.Equal(HttpStatusCode.OK, explicitlyShared.StatusCode);

        // Lists: A sees both, the private one with its owner; B only the shared one.
        var listA = await List(a, "kernels");
        Assert.Equal([id, sharedId], listA.Select(k => (string)k["id"]!).OrderBy(x => x == sharedId));
        Assert.Equal(a.Name, (string?)listA.Single(k => (string?)k["id"] == id)["owner"]);
        var listB = await List(b, "kernels");
        Assert.Equal([sharedId], listB.Select(k => (string)k["id"]!));
        Assert.Null(listB[0]["owner"]);
        Assert.Null(listB[0]["private"]);

        // Every kernel route answers B as it answers for a kernel that does not exist.
        foreach (var (target, label) in new[] { (id, "private"), (NoKernel, "missing") })
        {
            var expected = (HttpStatusCode.NotFound, $"Kernel does not exist: {target}");
            Assert.Equal(expected, await Answer(b.Http.GetAsync($"api/kernels/{target}")));
            Assert.Equal(expected, await Answer(b.Http.PostAsync($"api/kernels/{target}/interrupt", null)));
            Assert.Equal(expected, await Answer(b.Http.PostAsync($"api/kernels/{target}/restart", null)));
            Assert.Equal(expected, await Answer(b.Http.DeleteAsync($"api/kernels/{target}")));
            Assert.True(HttpStatusCode.NotFound == await ChannelsStatus(server, b, target), label);
            Assert.Equal((HttpStatusCode.BadRequest, "Can \"Upgrade\" only to \"WebSocket\"."), await Answer(b.Http.GetAsync($"api/kernels/{target}/channels")));
        }
        // Asking to "start" B's kernel under the private kernel's id does not hand it over either.
        Assert.Equal((HttpStatusCode.NotFound, $"Kernel does not exist: {id}"),
            await Answer(b.Http.PostAsync("api/kernels", TestHttp.Json(new { kernel_id = id }))));
        Assert.Equal((HttpStatusCode.Conflict, $"Kernel {id} already exists and is private"),
            await Answer(a.Http.PostAsync("api/kernels", TestHttp.Json(new { kernel_id = id, @private = false }))));

        // The owner uses it as any kernel: get, channels (the output reaches them), interrupt, restart.
        var got = await a.Http.GetAsync($"api/kernels/{id}");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(a.Name, (string?)(await got.ReadObject())["owner"]);
        await using (var ws = await KernelWsClient.ConnectAsync(server, id, v1: true, cookies: a.Cookies))
        {
            var (iopub, reply) = await ws.Run("print('only for a')");
            Assert.Equal("ok", (string?)reply.Content["status"]);
            Assert.Contains(iopub, m => m.MsgType == "stream" && (string?)m.Content["text"] == "only for a\n");
        }
        // Without the owner's login cookie the same token makes a new user: that connection is refused.
        Assert.Equal(HttpStatusCode.NotFound, await ChannelsStatus(server, new User(a.Http, new CookieContainer(), "nobody"), id));
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.PostAsync($"api/kernels/{id}/interrupt", null)).StatusCode);
        var restarted = await a.Http.PostAsync($"api/kernels/{id}/restart", null);
        Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
        Assert.True((bool)(await restarted.ReadObject())["private"]!);

        // B's failed delete left it running; A's delete ends it.
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"api/kernels/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Http.GetAsync($"api/kernels/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await a.Http.PostAsync("api/kernels", TestHttp.Json(new { @private = "yes" }))).StatusCode);
    }

    [Fact]
    public async Task Private_sessions_are_listed_first_to_their_owner_and_to_no_one_else()
    {
        await using var server = await TestServer.StartAsync();
        var a = await NewUser(server);
        var b = await NewUser(server);
        static object Notebook(object? kernel = null, bool? isPrivate = null, string path = "nb.ipynb") => isPrivate == null
            ? new { path, name = path, type = "notebook", kernel = kernel ?? new { name = "python3" } }
            : new { path, name = path, type = "notebook", kernel = kernel ?? new { name = "python3" }, @private = isPrivate };

        // The shared session of nb.ipynb (B opened the notebook first), unchanged in shape.
        var sharedResponse = await b.Http.PostAsync("api/sessions", TestHttp.Json(Notebook()));
        Assert.Equal(HttpStatusCode.Created, sharedResponse.StatusCode);
        var shared = await sharedResponse.ReadObject();
        var sharedId = (string)shared["id"]!;
        Assert.Equal(["id", "path", "name", "type", "kernel", "notebook"], shared.Properties().Select(p => p.Name));

        // A's private session of the same path: a second session, on a private kernel of A's.
        var mineResponse = await a.Http.PostAsync("api/sessions", TestHttp.Json(Notebook(isPrivate: true)));
        Assert.Equal(HttpStatusCode.Created, mineResponse.StatusCode);
        var mine = await mineResponse.ReadObject();
        var mineId = (string)mine["id"]!;
        var mineKernel = (string)mine["kernel"]!["id"]!;
        Assert.NotEqual(sharedId, mineId);
        Assert.NotEqual((string?)shared["kernel"]!["id"], mineKernel);
        Assert.True((bool)mine["private"]!);
        Assert.Equal(a.Name, (string?)mine["kernel"]!["owner"]);
        // One private session per user and path; without "private" A gets the shared session, as anyone does.
        Assert.Equal(mineId, (string?)(await (await a.Http.PostAsync("api/sessions", TestHttp.Json(Notebook(isPrivate: true)))).ReadObject())["id"]);
        Assert.Equal(sharedId, (string?)(await (await a.Http.PostAsync("api/sessions", TestHttp.Json(Notebook()))).ReadObject())["id"]);

        // B's private session, asked for inside "kernel".
        var theirs = await (await b.Http.PostAsync("api/sessions", TestHttp.Json(Notebook(new { name = "python3", @private = true })))).ReadObject();
        var theirsId = (string)theirs["id"]!;
        Assert.True((bool)theirs["private"]!);
        Assert.Equal(b.Name, (string?)theirs["kernel"]!["owner"]);

        // Each owner's private session comes before the shared one of the path; nobody sees another's.
        Assert.Equal([mineId, sharedId], (await List(a, "sessions")).Select(s => (string)s["id"]!));
        Assert.Equal([theirsId, sharedId], (await List(b, "sessions")).Select(s => (string)s["id"]!));
        Assert.Null((await List(b, "sessions"))[1]["private"]);

        // A's private session and kernel are missing for B on every route.
        var missing = (HttpStatusCode.NotFound, $"Session not found: session_id='{mineId}'");
        Assert.Equal(missing, await Answer(b.Http.GetAsync($"api/sessions/{mineId}")));
        Assert.Equal(missing, await Answer(b.Http.Patch($"api/sessions/{mineId}", new { path = "stolen.ipynb" })));
        Assert.Equal(missing, await Answer(b.Http.DeleteAsync($"api/sessions/{mineId}")));
        Assert.Equal((HttpStatusCode.NotFound, $"Kernel does not exist: {mineKernel}"),
            await Answer(b.Http.PostAsync("api/sessions", TestHttp.Json(Notebook(new { id = mineKernel }, path: "other.ipynb")))));
        Assert.Equal((HttpStatusCode.BadRequest, $"No such kernel: {mineKernel}"),
            await Answer(b.Http.Patch($"api/sessions/{sharedId}", new { kernel = new { id = mineKernel } })));
        Assert.Equal(HttpStatusCode.OK, (await a.Http.GetAsync($"api/sessions/{mineId}")).StatusCode);

        // A console on A's own private kernel is a private session without saying so; a shared kernel cannot serve
        // a private session, nor a private kernel the shared one.
        var console = await (await a.Http.PostAsync("api/sessions", TestHttp.Json(new { path = "console-1", type = "console", kernel = new { id = mineKernel } }))).ReadObject();
        Assert.True((bool)console["private"]!);
        Assert.Equal(mineKernel, (string?)console["kernel"]!["id"]);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await a.Http.PostAsync("api/sessions", TestHttp.Json(Notebook(new { id = (string)shared["kernel"]!["id"]! }, isPrivate: true, path: "x.ipynb")))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await a.Http.Patch($"api/sessions/{sharedId}", new { kernel = new { id = mineKernel } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await a.Http.PostAsync("api/sessions", TestHttp.Json(Notebook(new { name = "python3", @private = false }, isPrivate: true)))).StatusCode);
        Assert.DoesNotContain(await List(b, "sessions"), s => (string?)s["id"] == (string?)console["id"]);

        // The owner ends it: the private session and its kernel go, the shared session stays.
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"api/sessions/{mineId}")).StatusCode);
        Assert.Equal([sharedId], (await List(a, "sessions")).Select(s => (string)s["id"]!));
        Assert.Equal(HttpStatusCode.NotFound, (await a.Http.GetAsync($"api/kernels/{mineKernel}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await b.Http.DeleteAsync($"api/sessions/{theirsId}")).StatusCode);
    }
}
