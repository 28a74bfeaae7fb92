using System.Text.Json.Serialization;

namespace JupyterRtc.Execution.Records;

/// <summary>
/// Who ran what: one execution as it is kept and listed (<c>GET /api/executions</c>). The source is not kept, only
/// its SHA-256, which says whether two runs ran the same code without keeping what may be private.
/// </summary>
public sealed record ExecutionRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("user")] public required string User { get; init; }
    [JsonPropertyName("kernel_id")] public required string KernelId { get; init; }
    [JsonPropertyName("kernel_name")] public string? KernelName { get; init; }
    /// <summary>Ran on a private kernel: listed to its owner only.</summary>
    [JsonPropertyName("private")] public bool Private { get; init; }
    [JsonPropertyName("document_id")] public string? DocumentId { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("cell_id")] public string? CellId { get; init; }
    [JsonPropertyName("source_sha256")] public required string SourceSha256 { get; init; }
    [JsonPropertyName("submitted")] public DateTime Submitted { get; init; }
    [JsonPropertyName("started")] public DateTime? Started { get; init; }
    [JsonPropertyName("ended")] public DateTime? Ended { get; init; }
    [JsonPropertyName("duration_ms")] public double? DurationMs { get; init; }
    /// <summary>queued, running, input (listing of live ones), or how it ended: ok, error, abort, interrupted, cancelled, restarted, kernel_died, shutdown, empty.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("execution_count")] public int? ExecutionCount { get; init; }
}
