using JupyterRtc.Contents;

namespace JupyterRtc.Server.Http;

/// <summary>
/// The outermost middleware: Jupyter's default headers on every response, and every exception turned into Jupyter's
/// JSON error body (a refused request keeps its status; anything unexpected is a logged 500 "Unhandled error").
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, Hosting.ServerAppOptions options, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        var isApi = context.Request.Path.StartsWithSegments("/api");
        headers.ContentSecurityPolicy = $"frame-ancestors 'self'; report-uri {options.BaseUrl}api/security/csp-report" +
                                        (isApi ? "; default-src 'none'" : "");
        foreach (var (k, v) in options.ExtraHeaders) headers[k] = v;
        try
        {
            await next(context);
        }
        catch (ContentsException e) when (!context.Response.HasStarted)
        {
            await JupyterError.WriteAsync(context, e.Status, e.Message, e.Reason);
        }
        catch (BadRequestException e) when (!context.Response.HasStarted)
        {
            await JupyterError.WriteAsync(context, e.Status, e.Message);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var message = e.StatusCode == 413
                ? $"Request body larger than the maximum of {options.MaxBodySize} bytes (ServerApp.max_body_size)"
                : e.Message;
            await JupyterError.WriteAsync(context, e.StatusCode, message);
        }
        catch (ArgumentException e) when (!context.Response.HasStarted)
        {
            await JupyterError.WriteAsync(context, 400, e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            logger.LogError(e, "Unhandled error in {Method} {Path}", context.Request.Method, context.Request.Path.Value);
            context.Response.StatusCode = 500;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"message\": \"Unhandled error\", \"reason\": null, \"traceback\": \"\"}");
        }
    }
}
