using System.Net;
using JupyterRtc.Server.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Tests;

/// <summary><c>/api/status</c>, <c>/api/me</c>, <c>/api/config</c>, <c>/api/spec.yaml</c> and the shape of errors.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Status_reports_start_and_activity()
    {
        var before = await (await _server.Client.GetAsync("api/status")).ReadObject();
        Assert.Equal(new[] { "connections", "kernels", "last_activity", "started" }, before.Properties().Select(p => p.Name));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", (string?)before["started"]);
        await Task.Delay(20);
        await _server.Client.GetAsync("api/contents");
        var after = await (await _server.Client.GetAsync("api/status")).ReadObject();
        Assert.True(string.CompareOrdinal((string?)after["last_activity"], (string?)before["last_activity"]) > 0);
    }

    [Fact]
    public async Task Me_answers_the_permissions_asked_for()
    {
        var q = Uri.EscapeDataString("{\"contents\": [\"read\", \"write\"], \"kernels\": [\"execute\"]}");
        var me = await (await _server.Client.GetAsync($"api/me?permissions={q}")).ReadObject();
        Assert.Equal(new JArray("read", "write"), me["permissions"]!["contents"]);
        Assert.Equal(new JArray("execute"), me["permissions"]!["kernels"]);
        Assert.NotNull(me["identity"]!["username"]);
        var bad = await _server.Client.GetAsync($"api/me?permissions={Uri.EscapeDataString("[1]")}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Config_sections_merge_on_patch_delete_nulls_and_replace_on_put()
    {
        Assert.Equal(new JObject(), await (await _server.Client.GetAsync("api/config/notebook")).ReadObject());
        await _server.Client.Patch("api/config/notebook", new { a = new { b = 1 }, c = 2 });
        var merged = await (await _server.Client.Patch("api/config/notebook", JObject.Parse("{\"a\":{\"d\":3},\"c\":null}"))).ReadObject();
        Assert.Equal(JObject.Parse("{\"a\":{\"b\":1,\"d\":3}}"), merged);
        Assert.True(File.Exists(Path.Combine(_server.ConfigDir, "serverconfig", "notebook.json")));
        var put = await _server.Client.PutAsync("api/config/notebook", TestHttp.Json(new { x = 1 }));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal(JObject.Parse("{\"x\":1}"), await (await _server.Client.GetAsync("api/config/notebook")).ReadObject());
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.Patch("api/config/notebook", "[1]")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.Patch("api/config/notebook", "{not json")).StatusCode);
    }

    [Fact]
    public async Task Unknown_api_routes_are_json_404()
    {
        var r = await _server.Client.GetAsync("api/nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.NotNull((await r.ReadObject())["message"]);
    }

    [Fact]
    public async Task Spec_yaml_describes_the_implemented_api()
    {
        var r = await _server.Client.GetAsync("api/spec.yaml");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var text = await r.Content.ReadAsStringAsync();
        Assert.Contains("openapi:", text);
        Assert.Contains("/api/contents/{path}", text);
    }

    [Fact]
    public async Task Api_responses_carry_jupyters_security_headers()
    {
        var r = await _server.Client.GetAsync("api/status");
        Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("default-src 'none'", r.Headers.GetValues("Content-Security-Policy").Single());
    }
}
