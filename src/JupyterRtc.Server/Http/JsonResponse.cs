using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Http;

/// <summary>
/// Writes JSON bodies with Newtonsoft (which keeps key order) into a buffer, then to the response asynchronously:
/// Kestrel forbids synchronous writes and Newtonsoft's writer is synchronous.
/// </summary>
public static class JsonResponse
{
    public static async Task WriteAsync(HttpContext context, int status, Action<JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var sw = new StreamWriter(buffer, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
        using (var w = new JsonTextWriter(sw)) write(w);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        buffer.Position = 0;
        await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, int status, JToken token) => WriteAsync(context, status, w => token.WriteTo(w));

    /// <summary>
    /// Writes with System.Text.Json straight into the response pipe: the path for large bodies (notebooks, listings),
    /// with no intermediate string.
    /// </summary>
    public static async Task WriteUtf8Async(HttpContext context, int status, Action<System.Text.Json.Utf8JsonWriter> write, int sizeHint = 16 * 1024)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (HttpMethods.IsHead(context.Request.Method)) return;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(sizeHint);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, JupyterRtc.Contents.Notebooks.NotebookFormat.ClientWriterOptions)) write(w);
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.BodyWriter.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>Reads a JSON request body with System.Text.Json. Empty body: null. Malformed: a 400 with Jupyter's message.</summary>
    public static Task<System.Text.Json.JsonDocument?> ReadDocumentAsync(HttpRequest request) =>
        ReadJsonAsync(request, static bytes => System.Text.Json.JsonDocument.Parse(bytes, JupyterRtc.Contents.Notebooks.NotebookFormat.DocumentOptions));

    /// <summary>
    /// Reads a JSON request body as a <see cref="JupyterRtc.Contents.Notebooks.JsonTape"/>, which parses a saved notebook's
    /// outputs several times faster than a JsonDocument. Empty body: null. Malformed: a 400 with the same message.
    /// </summary>
    public static Task<JupyterRtc.Contents.Notebooks.JsonTape?> ReadTapeAsync(HttpRequest request) =>
        ReadJsonAsync(request, static bytes => JupyterRtc.Contents.Notebooks.JsonTape.Parse(bytes, JupyterRtc.Contents.Notebooks.NotebookFormat.MaxDepth));

    private static async Task<T?> ReadJsonAsync<T>(HttpRequest request, Func<ReadOnlyMemory<byte>, T> parse) where T : class
    {
        using var ms = new MemoryStream(request.ContentLength is > 0 and < int.MaxValue ? (int)request.ContentLength : 4096);
        await request.Body.CopyToAsync(ms, request.HttpContext.RequestAborted);
        var bytes = new ReadOnlyMemory<byte>(ms.GetBuffer(), 0, (int)ms.Length);
        if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty) return null;
        try
        {
            // The parsed value keeps referring to the buffer, which nothing else holds: no copy.
            return parse(bytes);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new BadRequestException($"Invalid JSON in body of request: {e.Message}");
        }
    }

    /// <summary>Reads a JSON request body. Empty body: null. Malformed: a 400 with Jupyter's message.</summary>
    public static async Task<JToken?> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var jr = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None, MaxDepth = 512 };
            var token = JToken.ReadFrom(jr);
            if (jr.Read()) throw new JsonReaderException("Extra data after the JSON value");
            return token;
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"Invalid JSON in body of request: {e.Message}");
        }
    }
}

/// <summary>A client error found while reading a request (turned into a 400 JSON error by the error middleware).</summary>
public sealed class BadRequestException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}
