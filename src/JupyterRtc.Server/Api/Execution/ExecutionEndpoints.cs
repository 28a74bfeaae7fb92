using System.Text.Json;
using JupyterRtc.Collaboration.Rooms;
using JupyterRtc.Execution;
using JupyterRtc.Execution.Records;
using JupyterRtc.Kernels;
using JupyterRtc.Server.Api.Kernels;
using JupyterRtc.Server.Hosting;
using JupyterRtc.Server.Http;

namespace JupyterRtc.Server.Api.Execution;

/// <summary>
/// Server-side execution (rtc-protocol §5): <c>POST /api/kernels/&lt;id&gt;/execute</c> in both request shapes (the
/// collaboration extension's <c>{cell_id, document_id}</c> and jupyter-server-nbmodel's <c>{code, metadata}</c>), the
/// polling of <c>/api/kernels/&lt;id&gt;/requests/&lt;uid&gt;</c>, <c>input()</c> answers, and
/// <c>GET /api/executions</c>, the record of who ran what. Thin handlers over <see cref="ExecutionService"/>.
/// </summary>
public static class ExecutionEndpoints
{
    public static IServiceCollection AddExecution(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp => ExecutionSettings.Bind(configuration, sp.GetRequiredService<ServerAppOptions>()));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<ExecutionOptions>();
            return new ExecutionRecordStore(o.RecordsPath, o.MaxRecordsInMemory, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Execution.Records"));
        });
        services.AddSingleton(sp => new ExecutionService(sp.GetRequiredService<IKernelManager>(), sp.GetRequiredService<RoomManager>(),
            sp.GetRequiredService<ExecutionRecordStore>(), sp.GetRequiredService<ExecutionOptions>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Execution")));
        return services;
    }

    public static RouteGroupBuilder MapExecutionApi(this RouteGroupBuilder api)
    {
        api.MapPost("/kernels/{id}/execute", Execute);
        api.MapGet("/kernels/{id}/execute", ListPending);
        api.MapGet("/kernels/{id}/requests/{uid}", Poll);
        api.MapPost("/kernels/{id}/input", Input);
        api.MapGet("/executions", Records);
        return api;
    }

    private static Kernel FindKernel(HttpContext c, IKernelManager kernels, string id) =>
        KernelAccess.Find(c, kernels, id) ?? throw new BadRequestException($"Kernel does not exist: {id}", 404);

    private static string? Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static async Task Execute(HttpContext c, string id, IKernelManager kernels, ExecutionService executions)
    {
        var kernel = FindKernel(c, kernels, id);
        using var body = await JsonResponse.ReadDocumentAsync(c.Request)
            ?? throw new BadRequestException("The body must be a JSON object: {cell_id, document_id} or {code, metadata}");
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new BadRequestException("The body must be a JSON object");
        if (root.TryGetProperty("server", out var server) && server.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            throw new BadRequestException("'server' must be an object with 'url' and 'token'");
        var metadata = root.TryGetProperty("metadata", out var m) ? m : default;
        string? code = null;
        if (root.TryGetProperty("code", out var codeValue))
        {
            if (codeValue.ValueKind != JsonValueKind.String) throw new BadRequestException("'code' must be a string");
            code = codeValue.GetString();
        }
        var submission = new ExecutionSubmission
        {
            KernelId = kernel.Id,
            User = KernelAccess.UserName(c),
            Code = code,
            CellId = Str(root, "cell_id") ?? Str(metadata, "cell_id"),
            DocumentId = Str(root, "document_id") ?? Str(metadata, "document_id"),
            DocumentPath = Str(metadata, "document_path") ?? Str(root, "document_path"),
            RecordTiming = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("record_timing", out var rt) && rt.ValueKind == JsonValueKind.True,
            // The nbmodel client sends the code and polls; the collaboration extension's executor sends neither.
            Polling = code != null,
        };
        ExecutionRequest request;
        try { request = await executions.SubmitAsync(submission); }
        catch (ExecutionException e) { throw new BadRequestException(e.Message, e.Status); }
        var url = RequestUrl(c, kernel.Id, request.Id);
        c.Response.Headers.Location = url;
        c.Response.Headers.AccessControlExposeHeaders = "Location";
        await JsonResponse.WriteUtf8Async(c, 202, w => WriteRequest(w, request, url, pendingOnly: true));
    }

    private static string RequestUrl(HttpContext c, string kernelId, string requestId) =>
        $"{c.RequestServices.GetRequiredService<ServerAppOptions>().BaseUrl}api/kernels/{kernelId}/requests/{requestId}";

    private static void WriteRequest(Utf8JsonWriter w, ExecutionRequest r, string url, bool pendingOnly)
    {
        w.WriteStartObject();
        w.WriteString("request_id", r.Id);
        w.WriteString("kernel_id", r.KernelId);
        w.WriteString("request_url", url);
        if (r.CellId != null) w.WriteString("cell_id", r.CellId); else w.WriteNull("cell_id");
        if (r.DocumentId != null) w.WriteString("document_id", r.DocumentId);
        if (r.DocumentPath != null) w.WriteString("document_path", r.DocumentPath); else w.WriteNull("document_path");
        var status = pendingOnly && r.IsFinished ? "running" : r.Status;
        w.WriteBoolean("pending", !r.IsFinished || pendingOnly);
        w.WriteString("request_status", status == "input" && pendingOnly ? "running" : status);
        // As jupyter-server-nbmodel: the outputs are a JSON string inside the JSON body.
        w.WriteString("outputs", r.OutputsJson());
        w.WriteEndObject();
    }

    private static async Task ListPending(HttpContext c, string id, IKernelManager kernels, ExecutionService executions)
    {
        var kernel = FindKernel(c, kernels, id);
        var pending = executions.Pending(kernel.Id);
        await JsonResponse.WriteUtf8Async(c, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("kernel_id", kernel.Id);
            w.WriteStartArray("requests");
            foreach (var r in pending) WriteRequest(w, r, RequestUrl(c, kernel.Id, r.Id), pendingOnly: true);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// 202 while queued or running; 300 with the prompt when the kernel waits for the submitter's input (only the
    /// submitter is told); 200 with the result once ended, after which the request is gone; 500 if it ended without
    /// a reply (cancelled, kernel died).
    /// </summary>
    private static async Task Poll(HttpContext c, string id, string uid, IKernelManager kernels, ExecutionService executions)
    {
        var kernel = FindKernel(c, kernels, id);
        if (!KernelsEndpoints.KernelId().IsMatch(uid)) throw new BadRequestException("Not Found", 404);
        var r = executions.Find(kernel.Id, uid) ?? throw new BadRequestException($"No request {uid} on kernel {kernel.Id}", 404);
        var user = KernelAccess.UserName(c);
        var isSubmitter = r.User == user;
        if (isSubmitter) r.MarkPolled();
        var url = RequestUrl(c, kernel.Id, r.Id);
        if (r.Status == "input" && isSubmitter && r.Input is { } input)
        {
            c.Response.Headers.Location = $"{c.RequestServices.GetRequiredService<ServerAppOptions>().BaseUrl}api/kernels/{kernel.Id}/input";
            c.Response.Headers.AccessControlExposeHeaders = "Location";
            await JsonResponse.WriteUtf8Async(c, 300, w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("parent_header");
                w.WriteRawValue(input.ParentHeader);
                w.WriteStartObject("input_request");
                w.WriteString("prompt", input.Prompt);
                w.WriteBoolean("password", input.Password);
                w.WriteEndObject();
                w.WriteString("request_id", r.Id);
                w.WriteString("kernel_id", r.KernelId);
                w.WriteString("request_url", url);
                w.WriteString("request_status", "input");
                w.WriteBoolean("pending", true);
                w.WriteEndObject();
            });
            return;
        }
        if (!r.IsFinished)
        {
            await JsonResponse.WriteUtf8Async(c, 202, w => WriteRequest(w, r, url, pendingOnly: true));
            return;
        }
        // Consumed by its submitter only: someone else looking must not take the result away from them.
        if (isSubmitter) executions.Consume(r);
        if (r.Status == "error")
        {
            await JsonResponse.WriteUtf8Async(c, 500, w =>
            {
                w.WriteStartObject();
                w.WriteString("error", r.Error ?? "The execution ended without a reply");
                w.WriteString("request_status", "error");
                w.WriteBoolean("pending", false);
                w.WriteString("outputs", r.OutputsJson());
                w.WriteEndObject();
            });
            return;
        }
        await JsonResponse.WriteUtf8Async(c, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("request_id", r.Id);
            w.WriteString("kernel_id", r.KernelId);
            w.WriteString("request_url", url);
            if (r.CellId != null) w.WriteString("cell_id", r.CellId); else w.WriteNull("cell_id");
            w.WriteString("status", r.Outcome == "empty" ? "ok" : r.ReplyStatus ?? "ok");
            if (r.ExecutionCount is { } n) w.WriteNumber("execution_count", n); else w.WriteNull("execution_count");
            w.WriteString("outputs", r.OutputsJson());
            w.WriteString("request_status", "complete");
            w.WriteBoolean("pending", false);
            w.WriteEndObject();
        });
    }

    private static async Task Input(HttpContext c, string id, IKernelManager kernels, ExecutionService executions)
    {
        var kernel = FindKernel(c, kernels, id);
        using var body = await JsonResponse.ReadDocumentAsync(c.Request) ?? throw new BadRequestException("The body must be {\"input\": \"<text>\"}");
        if (body.RootElement.ValueKind != JsonValueKind.Object || !body.RootElement.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.String)
            throw new BadRequestException("The body must be {\"input\": \"<text>\"}");
        try { executions.AnswerInput(kernel.Id, KernelAccess.UserName(c), input.GetString()!); }
        catch (ExecutionException e) { throw new BadRequestException(e.Message, e.Status); }
        c.Response.StatusCode = 201;
    }

    /// <summary>
    /// <c>GET /api/executions</c>: who ran what, newest first, the live ones (queued, running) included. Filters:
    /// <c>path</c>, <c>document_id</c>, <c>cell_id</c>, <c>kernel_id</c>, <c>user</c>, <c>limit</c> (default 100).
    /// Executions on someone else's private kernel are not listed.
    /// </summary>
    private static async Task Records(HttpContext c, ExecutionService executions)
    {
        var q = c.Request.Query;
        string? path = q["path"], document = q["document_id"], cell = q["cell_id"], kernel = q["kernel_id"], user = q["user"];
        var limit = int.TryParse(q["limit"], out var l) && l > 0 ? Math.Min(l, 100_000) : 100;
        var me = KernelAccess.UserName(c);
        bool Match(ExecutionRecord r) =>
            (!r.Private || r.User == me)
            && (path == null || r.Path == path) && (document == null || r.DocumentId == document) && (cell == null || r.CellId == cell)
            && (kernel == null || r.KernelId == kernel) && (user == null || r.User == user);
        var list = executions.Live().Where(Match).OrderByDescending(r => r.Submitted).ToList();
        var ids = list.Select(r => r.Id).ToHashSet();
        list.AddRange(executions.Records.List(r => Match(r) && !ids.Contains(r.Id), limit));
        if (list.Count > limit) list.RemoveRange(limit, list.Count - limit);
        await JsonResponse.WriteUtf8Async(c, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("executions");
            foreach (var r in list) JsonSerializer.Serialize(w, r);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}

/// <summary>
/// Settings of server-side execution: <c>YDocExtension.server_side_execution</c> (jupyter-collaboration's switch of
/// JupyterLab's cell executor) and our own <c>JupyterRtc.execution_*</c> limits.
/// </summary>
public static class ExecutionSettings
{
    public static ExecutionOptions Bind(IConfiguration c, ServerAppOptions server)
    {
        var d = new ExecutionOptions();
        return new ExecutionOptions
        {
            CompletedRequestLifetime = ServerAppOptions.Seconds(c["JupyterRtc:execution_result_lifetime"], d.CompletedRequestLifetime,
                "JupyterRtc.execution_result_lifetime", min: double.Epsilon),
            AbandonedInputTimeout = ServerAppOptions.Seconds(c["JupyterRtc:execution_input_timeout"], d.AbandonedInputTimeout,
                "JupyterRtc.execution_input_timeout", min: double.Epsilon),
            // 0 turns the reordering off.
            OrderWindow = ServerAppOptions.Seconds(c["JupyterRtc:execution_order_window"], d.OrderWindow, "JupyterRtc.execution_order_window"),
            MaxQueuedPerKernel = (int)ServerAppOptions.Int64(c["JupyterRtc:execution_max_queued"], d.MaxQueuedPerKernel, "JupyterRtc.execution_max_queued"),
            MaxCodeLength = (int)ServerAppOptions.Int64(c["JupyterRtc:execution_max_code_length"], d.MaxCodeLength, "JupyterRtc.execution_max_code_length"),
            RecordsPath = c["JupyterRtc:execution_records"] is { } p
                ? (p is "" or "None" ? null : p)
                : Path.Combine(server.DataDir, "jupyter-rtc", "executions.jsonl"),
        };
    }

    /// <summary>Whether JupyterLab runs cells through the server (page config <c>serverSideExecution</c>).</summary>
    public static bool ServerSideExecution(IConfiguration c) =>
        c["YDocExtension:server_side_execution"] is not { } v || v is "true" or "True" or "1";
}
