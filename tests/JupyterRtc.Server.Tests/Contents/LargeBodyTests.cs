using System.Net;
using System.Text;
using JupyterRtc.Contents.Notebooks;
using JupyterRtc.Server.Tests.Infrastructure;

namespace JupyterRtc.Server.Tests.Contents;

/// <summary>PUT bodies over HTTP with the default limits: large notebooks saved one after the other (each validated from
/// the request's document while its file is written, and signed from the pieces written), and bodies without a length.</summary>
public sealed class LargeBodyTests : IAsyncLifetime
{
    private TestServer _server = null!;
    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static System.Text.Json.JsonElement Notebook(int cells, string tag) => System.Text.Json.JsonSerializer.SerializeToElement(new
    {
        cells = Enumerable.Range(0, cells).Select(i => new
        {
            cell_type = "code", execution_count = i, id = $"c{i}", metadata = new { },
            outputs = new[] { new { name = "stdout", output_type = "stream", text = $"{tag} {i}\n" + new string('z', 2000) } },
            source = $"print({i})",
        }),
        metadata = new { }, nbformat = 4, nbformat_minor = 5,
    });

    [Fact]
    public async Task Large_notebooks_saved_one_after_another_are_each_the_file_nbformat_writes()
    {
        foreach (var (tag, cells) in new[] { ("first", 1200), ("second", 1100), ("third", 1300) })
        {
            var nb = Notebook(cells, tag);
            var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { type = "notebook", format = "json", content = nb });
            Assert.True(body.Length > 2 << 20);
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            var r = await _server.Client.PutAsync("api/contents/big.ipynb", content);
            Assert.True(r.IsSuccessStatusCode, $"{tag}: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            Assert.Equal(NotebookFormat.Write(nb), File.ReadAllBytes(_server.PathInRoot("big.ipynb")));
        }
    }

    [Fact]
    public async Task A_body_sent_without_a_length_is_read_whole()
    {
        var json = Encoding.UTF8.GetBytes("""{"type": "file", "format": "text", "content": "chunked body"}""");
        var content = new StreamContent(new MemoryStream(json));   // no Content-Length: sent chunked
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, "api/contents/chunked.txt") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var r = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal("chunked body", File.ReadAllText(_server.PathInRoot("chunked.txt")));
    }
}
