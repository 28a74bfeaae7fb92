using Newtonsoft.Json.Linq;

namespace JupyterRtc.Server.Http;

/// <summary>
/// Jupyter Server's error body: <c>{"message": ..., "reason": ...}</c> with the HTTP status, as its
/// <c>APIHandler.write_error</c> produces. Every API error goes through here so clients see one shape.
/// </summary>
public static class JupyterError
{
    public static IResult Result(int status, string message, string? reason = null)
    {
        var body = new JObject { ["message"] = message, ["reason"] = reason };
        return Results.Content(body.ToString(Newtonsoft.Json.Formatting.None), "application/json", null, status);
    }

    public static async Task WriteAsync(HttpContext context, int status, string message, string? reason = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new JObject { ["message"] = message, ["reason"] = reason };
        await context.Response.WriteAsync(body.ToString(Newtonsoft.Json.Formatting.None));
    }
}
