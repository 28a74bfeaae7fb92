using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Net;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests.Kernels;

/// <summary>/api/kernelspecs, /kernelspecs/..., /api/kernels and /api/sessions against a real server and Debian's ipykernel.</summary>
// Kernel-starting tests run one class at a time: several ipykernels starting at once on 2 cores can exceed the start timeout.
[Collection("kernels")]
public class KernelsApiTests
{
    internal static async Task<JObject> StartKernel(TestServer server, object? body = null)
    {
        var r = await server.Client.PostAsync("api/kernels", TestHttp.Json(body ?? new { name = "python3" }));
        // On failure, say why: the error body and what the server logged.
        if (r.StatusCode != HttpStatusCode.Created)
            Assert.Fail($"POST api/kernels: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}\nserver log:\n{server.Console}");
        return await r.ReadObject();
    }

    internal static bool ProcessGone(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return p.HasExited; }
        catch (ArgumentException) { return true; }
    }

    [Fact]
    public async Task Kernelspecs_ListGetResources()
    {
        await using var server = await TestServer.StartAsync();
        var list = await (await server.Client.GetAsync("api/kernelspecs")).ReadObject();
        Assert.Equal("python3", (string?)list["default"]);
        var py = (JObject)list["kernelspecs"]!["python3"]!;
        Assert.Equal("python3", (string?)py["name"]);
        Assert.Equal("python", (string?)py["spec"]!["language"]);
        Assert.Equal("signal", (string?)py["spec"]!["interrupt_mode"]);
        Assert.Equal(JTokenType.Object, py["spec"]!["env"]!.Type);
        Assert.Equal("/kernelspecs/python3/logo-64x64.png", (string?)py["resources"]!["logo-64x64"]);

        var one = await server.Client.GetAsync("api/kernelspecs/python3");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var missing = await server.Client.GetAsync("api/kernelspecs/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Kernel spec nope not found", (string?)(await missing.ReadObject())["message"]);

        var logo = await server.Client.GetAsync("kernelspecs/python3/logo-64x64.png");
        Assert.Equal(HttpStatusCode.OK, logo.StatusCode);
        Assert.Equal("image/png", logo.Content.Headers.ContentType!.MediaType);
        Assert.Equal("max-age=2592000", logo.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("kernelspecs/python3/kernel.nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("kernelspecs/python3/..%2F..%2Fpasswd")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.NewClient(token: false).GetAsync("api/kernelspecs")).StatusCode);
    }

    [Fact]
    public async Task Kernels_Lifecycle_StatusCodesAndModels()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal("[]", (await (await server.Client.GetAsync("api/kernels")).ReadJson()).ToString(Newtonsoft.Json.Formatting.None));
        Directory.CreateDirectory(server.PathInRoot("sub"));
        var r = await server.Client.PostAsync("api/kernels", TestHttp.Json(new { name = "python3", path = "sub" }));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var model = await r.ReadObject();
        var id = (string)model["id"]!;
        Assert.Equal($"/api/kernels/{id}", r.Headers.Location!.ToString());
        Assert.Equal(["id", "name", "last_activity", "execution_state", "connections"], model.Properties().Select(p => p.Name));
        Assert.Equal("python3", (string?)model["name"]);
        Assert.EndsWith("Z", (string?)model["last_activity"]);
        Assert.Equal(0, (int)model["connections"]!);

        var list = (JArray)await (await server.Client.GetAsync("api/kernels")).ReadJson();
        Assert.Single(list);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"api/kernels/{id}")).StatusCode);
        var unknown = await server.Client.GetAsync("api/kernels/00000000-0000-0000-0000-000000000000");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("Kernel does not exist: 00000000-0000-0000-0000-000000000000", (string?)(await unknown.ReadObject())["message"]);

        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.PostAsync($"api/kernels/{id}/interrupt", null)).StatusCode);
        var restart = await server.Client.PostAsync($"api/kernels/{id}/restart", null);
        Assert.Equal(HttpStatusCode.OK, restart.StatusCode);
        Assert.Equal(id, (string?)(await restart.ReadObject())["id"]);
        Assert.Equal("idle", (string?)(await restart.ReadObject())["execution_state"]);

        var kernels = server.Host.App.Services.GetRequiredService<JupyterRtc.Kernels.IKernelManager>();
        var pid = kernels.Get(id)!.Pid!.Value;
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"api/kernels/{id}")).StatusCode);
        Assert.True(ProcessGone(pid));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.DeleteAsync($"api/kernels/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync($"api/kernels/{id}")).StatusCode);

        var bad = await server.Client.PostAsync("api/kernels", TestHttp.Json(new { name = "nope" }));
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
        var plain = await server.Client.GetAsync($"api/kernels/{id}/channels");
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
    }

    [Fact]
    public async Task Sessions_CreateGetPatchDelete()
    {
        await using var server = await TestServer.StartAsync();
        var c = server.Client;
        var r = await c.PostAsync("api/sessions", TestHttp.Json(new { path = "nb.ipynb", name = "nb.ipynb", type = "notebook", kernel = new { name = "python3" } }));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var s = await r.ReadObject();
        var id = (string)s["id"]!;
        Assert.Equal($"/api/sessions/{id}", r.Headers.Location!.ToString());
        Assert.Equal(["id", "path", "name", "type", "kernel", "notebook"], s.Properties().Select(p => p.Name));
        Assert.Equal("nb.ipynb", (string?)s["notebook"]!["path"]);
        var kernelId = (string)s["kernel"]!["id"]!;

        var again = await c.PostAsync("api/sessions", TestHttp.Json(new { path = "nb.ipynb", type = "notebook", kernel = new { name = "python3" } }));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(id, (string?)(await again.ReadObject())["id"]);

        async Task Expect(HttpResponseMessage resp, HttpStatusCode code, string message)
        {
            Assert.Equal(code, resp.StatusCode);
            Assert.Equal(message, (string?)(await resp.ReadObject())["message"]);
        }
        await Expect(await c.PostAsync("api/sessions", TestHttp.Json(new { name = "x" })), HttpStatusCode.BadRequest, "Missing field in JSON data: path");
        await Expect(await c.PostAsync("api/sessions", TestHttp.Json(new { path = "x" })), HttpStatusCode.BadRequest, "Missing field in JSON data: type");
        await Expect(await c.PostAsync("api/sessions", TestHttp.Json("")), HttpStatusCode.BadRequest, "No JSON data provided");
        var nope = await c.PostAsync("api/sessions", TestHttp.Json(new { path = "other.ipynb", type = "notebook", kernel = new { name = "nope" } }));
        Assert.Equal((HttpStatusCode)501, nope.StatusCode);
        var nopeBody = await nope.ReadObject();
        Assert.Equal("nope not found", (string?)nopeBody["short_message"]);
        Assert.StartsWith("The 'nope' kernel is not available.", (string?)nopeBody["message"]);

        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync($"api/sessions/{id}")).StatusCode);
        await Expect(await c.GetAsync("api/sessions/abc"), HttpStatusCode.NotFound, "Session not found: session_id='abc'");
        await Expect(await c.Patch($"api/sessions/{id}", new { kernel = new { id = "00000000-0000-0000-0000-000000000000" } }),
            HttpStatusCode.BadRequest, "No such kernel: 00000000-0000-0000-0000-000000000000");

        var renamed = await c.Patch($"api/sessions/{id}", new { id, path = "renamed.ipynb", name = "renamed.ipynb" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("renamed.ipynb", (string?)(await renamed.ReadObject())["path"]);

        var kernels = server.Host.App.Services.GetRequiredService<JupyterRtc.Kernels.IKernelManager>();
        var oldPid = kernels.Get(kernelId)!.Pid!.Value;
        var switched = await c.Patch($"api/sessions/{id}", new { kernel = new { name = "python3" } });
        Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
        var newKernel = (string)(await switched.ReadObject())["kernel"]!["id"]!;
        Assert.NotEqual(kernelId, newKernel);
        for (var i = 0; i < 200 && !ProcessGone(oldPid); i++) await Task.Delay(100);
        Assert.True(ProcessGone(oldPid));

        var list = (JArray)await (await c.GetAsync("api/sessions")).ReadJson();
        Assert.Single(list);
        var newPid = kernels.Get(newKernel)!.Pid!.Value;
        Assert.Equal(HttpStatusCode.NoContent, (await c.DeleteAsync($"api/sessions/{id}")).StatusCode);
        Assert.True(ProcessGone(newPid));
        Assert.Empty(kernels.List());
        Assert.Equal(HttpStatusCode.NotFound, (await c.DeleteAsync($"api/sessions/{id}")).StatusCode);

        // A session whose kernel was deleted first: 410.
        var s2 = await (await c.PostAsync("api/sessions", TestHttp.Json(new { path = "c.ipynb", type = "console" }))).ReadObject();
        Assert.Equal(HttpStatusCode.NoContent, (await c.DeleteAsync($"api/kernels/{s2["kernel"]!["id"]}")).StatusCode);
        Assert.Equal((HttpStatusCode)410, (await c.DeleteAsync($"api/sessions/{s2["id"]}")).StatusCode);
    }
}
