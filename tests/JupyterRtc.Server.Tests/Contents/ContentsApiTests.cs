using System.Net;
using System.Net.Http.Headers;
using System.Text;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Contents;

/// <summary>The Contents API and /files through a real Kestrel: bad input is refused and harms nothing.</summary>
public sealed class ContentsApiTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _outside = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync("--ServerApp.max_body_size=100000", "--ContentsManager.max_upload_size=50000");
        _outside = Path.Combine(_server.Scratch, "outside");
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "TOP-SECRET-BYTES");
        File.WriteAllText(_server.PathInRoot("hello.txt"), "hello world\n");
        File.WriteAllBytes(_server.PathInRoot("data.bin"), [0xff, 0x00, 0xfe]);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient C => _server.Client;

    [Theory]
    [InlineData("api/contents/..%2Foutside%2Fsecret.txt")]
    [InlineData("api/contents/%2e%2e/outside/secret.txt")]
    [InlineData("api/contents/sub/..%2F..%2Foutside%2Fsecret.txt")]
    [InlineData("api/contents/%2Fetc%2Fpasswd")]
    public async Task Paths_that_leave_the_root_are_not_found(string url)
    {
        var r = await C.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.DoesNotContain("TOP-SECRET-BYTES", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Writes_that_would_leave_the_root_change_nothing_outside()
    {
        Directory.CreateSymbolicLink(_server.PathInRoot("out"), _outside);
        var body = TestHttp.Json(new { type = "file", format = "text", content = "pwned" });
        Assert.NotEqual(HttpStatusCode.OK, (await C.PutAsync("api/contents/out/secret.txt", body)).StatusCode);
        Assert.NotEqual(HttpStatusCode.Created, (await C.PutAsync("api/contents/..%2Foutside%2Fnew.txt", body)).StatusCode);
        Assert.NotEqual(HttpStatusCode.NoContent, (await C.DeleteAsync("api/contents/out/secret.txt")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await C.Patch("api/contents/hello.txt", new { path = "../outside/moved.txt" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await C.GetAsync("files/..%2Foutside%2Fsecret.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await C.GetAsync("files/out/secret.txt")).StatusCode);
        Assert.Equal("TOP-SECRET-BYTES", File.ReadAllText(Path.Combine(_outside, "secret.txt")));
        Assert.Equal(["secret.txt"], Directory.GetFiles(_outside).Select(Path.GetFileName));
        Assert.True(File.Exists(_server.PathInRoot("hello.txt")));
    }

    [Fact]
    public async Task Malformed_json_bodies_are_400_with_a_message()
    {
        foreach (var bad in new[] { "{not json", "[1, 2", "\"a\" \"b\"" })
        {
            var r = await C.PutAsync("api/contents/x.txt", new StringContent(bad, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("Invalid JSON", (string?)(await r.ReadObject())["message"]);
        }
        Assert.False(File.Exists(_server.PathInRoot("x.txt")));
    }

    [Fact]
    public async Task Invalid_utf8_in_a_notebook_is_400_and_the_file_on_disk_is_kept()
    {
        // A JSON string holding a byte that is not UTF-8 (0xFF): System.Text.Json would take it, Jupyter cannot decode it.
        var nb = """{"type":"notebook","format":"json","content":{"cells":[{"cell_type":"markdown","id":"a","metadata":{},"source":"caf?"}],"metadata":{},"nbformat":4,"nbformat_minor":5}}"""u8.ToArray();
        nb[Array.IndexOf(nb, (byte)'?')] = 0xFF;
        File.WriteAllText(_server.PathInRoot("keep.ipynb"), "{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}\n");
        var before = File.ReadAllBytes(_server.PathInRoot("keep.ipynb"));
        var content = new ByteArrayContent(nb);
        content.Headers.ContentType = new("application/json");
        var r = await C.PutAsync("api/contents/keep.ipynb", content);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("not valid UTF-8", (string?)(await r.ReadObject())["message"]);
        Assert.Equal(before, File.ReadAllBytes(_server.PathInRoot("keep.ipynb")));

        // The same bytes in a file: unreadable, as Jupyter Server answers.
        File.WriteAllBytes(_server.PathInRoot("bad.ipynb"), nb["{\"type\":\"notebook\",\"format\":\"json\",\"content\":".Length..^1]);
        r = await C.GetAsync("api/contents/bad.ipynb");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.StartsWith("Unreadable Notebook", (string?)(await r.ReadObject())["message"]);
    }

    [Fact]
    public async Task Bodies_over_max_body_size_and_files_over_max_upload_size_are_413()
    {
        var huge = new StringContent(new string('x', 200_000), Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await C.PutAsync("api/contents/huge.txt", huge)).StatusCode);
        var big = TestHttp.Json(new { type = "file", format = "text", content = new string('y', 60_000) });
        var r = await C.PutAsync("api/contents/big.txt", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.NotNull((await r.ReadObject())["message"]);
        Assert.False(File.Exists(_server.PathInRoot("huge.txt")));
        Assert.False(File.Exists(_server.PathInRoot("big.txt")));
    }

    [Fact]
    public async Task A_binary_file_asked_for_as_text_is_400()
    {
        var r = await C.GetAsync("api/contents/data.bin?format=text&type=file");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("base64", (string?)(await (await C.GetAsync("api/contents/data.bin")).ReadObject())["format"]);
    }

    [Fact]
    public async Task Hash_with_and_without_content_agree_and_last_modified_header_is_set()
    {
        var a = await C.GetAsync("api/contents/hello.txt?content=1&hash=1");
        var b = await (await C.GetAsync("api/contents/hello.txt?content=0&hash=1")).ReadObject();
        Assert.NotNull(a.Content.Headers.LastModified);
        var am = await a.ReadObject();
        Assert.Equal((string?)am["hash"], (string?)b["hash"]);
        Assert.Equal("sha256", (string?)b["hash_algorithm"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("hello world\n"))), (string?)b["hash"]);
    }

    [Fact]
    public async Task Files_serves_ranges_head_and_downloads()
    {
        var req = new HttpRequestMessage(HttpMethod.Get, "files/hello.txt");
        req.Headers.Range = new RangeHeaderValue(0, 4);
        var part = await C.SendAsync(req);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal("hello", await part.Content.ReadAsStringAsync());
        var head = await C.SendAsync(new HttpRequestMessage(HttpMethod.Head, "files/hello.txt"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(12, head.Content.Headers.ContentLength);
        var dl = await C.GetAsync("files/hello.txt?download=1");
        Assert.Equal("attachment; filename*=utf-8''hello.txt", dl.Content.Headers.ContentDisposition!.ToString());
        Assert.Contains("sandbox allow-scripts", dl.Headers.GetValues("Content-Security-Policy").Single());
        var anon = _server.NewClient(token: false);
        Assert.Equal(HttpStatusCode.Redirect, (await anon.GetAsync("files/hello.txt")).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_large_notebook_is_streamed_with_the_same_model_as_a_small_one(bool valid)
    {
        // Over 1 MB a notebook's model is sent while it is written (chunked); it must be the model the buffered path
        // writes: lines joined, trust marked, and the validation message (computed beside the writing) at the end.
        var cells = Enumerable.Range(0, 300).Select(i => (object)new
        {
            cell_type = "code", execution_count = i, id = $"c{i}", metadata = new { trusted = true },
            outputs = new object[] { new { name = "stdout", output_type = "stream", text = Enumerable.Repeat(new string('y', 99) + "\n", 40).ToArray() } },
            source = new[] { "print(1)\n", $"# {i} é 😀" },
        }).ToList();
        if (!valid) cells.Add(new { cell_type = "markdown", id = "bad", metadata = new { }, source = "x", bogus = 1 });
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { cells, metadata = new { }, nbformat = 4, nbformat_minor = 5 });
        Assert.True(json.Length > 1 << 20);
        File.WriteAllBytes(_server.PathInRoot("large.ipynb"), json);

        var r = await C.GetAsync("api/contents/large.ipynb?content=1");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(r.Headers.TransferEncodingChunked);
        var model = await r.ReadObject();

        using var file = JupyterRtc.Contents.Notebooks.NotebookFormat.Read(json);
        var expected = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(expected))
            JupyterRtc.Contents.Notebooks.NotebookFormat.WriteForClient(w, file.Root, trusted: false);
        Assert.True(Newtonsoft.Json.Linq.JToken.DeepEquals(Newtonsoft.Json.Linq.JToken.Parse(Encoding.UTF8.GetString(expected.WrittenSpan)), model["content"]));
        Assert.Equal("json", (string?)model["format"]);
        Assert.Equal(JupyterRtc.Contents.Notebooks.NotebookValidator.ValidationMessage(file.Root), (string?)model["message"]);
        Assert.Equal(valid, model["message"] == null);

        var head = await C.SendAsync(new HttpRequestMessage(HttpMethod.Head, "api/contents/large.ipynb?content=1"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }
}
