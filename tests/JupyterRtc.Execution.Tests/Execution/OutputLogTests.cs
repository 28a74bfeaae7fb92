using System.Text;
using System.Text.Json;
using JupyterRtc.Execution.Outputs;
using JupyterRtc.Execution.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace JupyterRtc.Execution.Tests.Execution;

/// <summary>
/// How an execution's iopub messages become nbformat outputs (as JupyterLab's output area builds them) and which
/// changes reach the shared cell. The end-to-end behaviour with a real kernel is in tests/node/execution.test.mjs.
/// </summary>
public class OutputLogTests
{
    private sealed class Recorder : IOutputSink
    {
        public List<string> Calls { get; } = [];
        public void Clear() => Calls.Add("clear");
        public void AddStream(int index, string name, string text) => Calls.Add($"stream {index} {name} {text}");
        public void EditStream(int index, int keep, int delete, string insert) => Calls.Add($"edit {index} {keep} {delete} {insert}");
        public void Add(int index, byte[] outputJson, string? displayId) => Calls.Add($"add {index} {displayId}");
        public void UpdateDisplay(string displayId, byte[] dataJson, byte[] metadataJson) => Calls.Add($"update {displayId} {Encoding.UTF8.GetString(dataJson)}");
    }

    private static void Apply(OutputLog log, string type, string content, IOutputSink? sink = null)
    {
        using var doc = JsonDocument.Parse(content);
        log.Apply(type, doc.RootElement, sink);
    }

    [Fact]
    public void Consecutive_streams_of_one_name_make_one_output_and_another_name_starts_a_new_one()
    {
        var log = new OutputLog();
        var sink = new Recorder();
        Apply(log, "stream", """{"name":"stdout","text":"a\n"}""", sink);
        Apply(log, "stream", """{"name":"stdout","text":"b\n"}""", sink);
        Apply(log, "stream", """{"name":"stderr","text":"e\n"}""", sink);
        Apply(log, "stream", """{"name":"stdout","text":"c\n"}""", sink);
        Assert.Equal("""[{"output_type":"stream","name":"stdout","text":"a\nb\n"},{"output_type":"stream","name":"stderr","text":"e\n"},{"output_type":"stream","name":"stdout","text":"c\n"}]""",
            log.ToJson());
        Assert.Equal(["stream 0 stdout a\n", "edit 0 2 0 b\n", "stream 1 stderr e\n", "stream 2 stdout c\n"], sink.Calls);
    }

    [Fact]
    public void A_progress_bar_rewrites_its_line_in_place()
    {
        var log = new OutputLog();
        Apply(log, "stream", """{"name":"stdout","text":"start\n 10%"}""");
        Apply(log, "stream", """{"name":"stdout","text":"\r 50%"}""");
        Apply(log, "stream", """{"name":"stdout","text":"\r100%\n"}""");
        Assert.Contains("start\\n100%\\n", log.ToJson());
    }

    [Fact]
    public void Clear_output_with_wait_clears_when_the_next_output_comes()
    {
        var log = new OutputLog();
        var sink = new Recorder();
        Apply(log, "stream", """{"name":"stdout","text":"0\n"}""", sink);
        Apply(log, "clear_output", """{"wait":true}""", sink);
        Assert.Equal(1, log.Count);
        Apply(log, "stream", """{"name":"stdout","text":"1\n"}""", sink);
        Assert.Equal(["stream 0 stdout 0\n", "clear", "stream 0 stdout 1\n"], sink.Calls);
        Apply(log, "clear_output", """{"wait":false}""", sink);
        Assert.Equal(0, log.Count);
        Assert.Equal("[]", log.ToJson());
    }

    [Fact]
    public void Update_display_data_changes_every_output_with_its_display_id()
    {
        var log = new OutputLog();
        var sink = new Recorder();
        Apply(log, "display_data", """{"data":{"text/plain":"'a'"},"metadata":{},"transient":{"display_id":"d1"}}""", sink);
        Apply(log, "display_data", """{"data":{"text/plain":"'x'"},"metadata":{}}""", sink);
        Apply(log, "update_display_data", """{"data":{"text/plain":"'b'"},"metadata":{},"transient":{"display_id":"d1"}}""", sink);
        var outputs = JsonDocument.Parse(log.ToJson()).RootElement;
        Assert.Equal("'b'", outputs[0].GetProperty("data").GetProperty("text/plain").GetString());
        Assert.Equal("'x'", outputs[1].GetProperty("data").GetProperty("text/plain").GetString());
        Assert.False(outputs[0].TryGetProperty("transient", out _), "transient is not part of nbformat");
        Assert.Equal("update d1 {\"text/plain\":\"'b'\"}", sink.Calls[^1]);
    }

    [Fact]
    public void Outputs_follow_nbformat_output_from_msg()
    {
        var log = new OutputLog();
        Apply(log, "execute_result", """{"execution_count":3,"data":{"text/plain":"42"},"metadata":{}}""");
        Apply(log, "error", """{"ename":"ValueError","evalue":"bad","traceback":["line 1"]}""");
        Assert.False(log.Apply("status", JsonDocument.Parse("""{"execution_state":"idle"}""").RootElement, null));
        Assert.Equal("""[{"output_type":"execute_result","execution_count":3,"data":{"text/plain":"42"},"metadata":{}},{"output_type":"error","ename":"ValueError","evalue":"bad","traceback":["line 1"]}]""",
            log.ToJson());
    }

    [Fact]
    public void Records_are_kept_across_restarts_a_run_cut_off_is_marked_and_unreadable_lines_are_skipped()
    {
        var path = Path.Combine(Path.GetTempPath(), $"jrtc-records-{Guid.NewGuid():N}", "executions.jsonl");
        try
        {
            var record = new ExecutionRecord { Id = "r1", User = "alice", KernelId = "k1", SourceSha256 = new string('0', 64), Status = "ok", ExecutionCount = 1 };
            using (var store = new ExecutionRecordStore(path, 10, NullLogger.Instance)) store.Add(record);
            File.AppendAllText(path, "{not json\n");
            using (var store = new ExecutionRecordStore(path, 10, NullLogger.Instance))
            {
                store.Add(record with { Id = "r2", User = "bob" });
                store.Add(record with { Id = "r3", Status = "running" });     // started, then the server stops
                Assert.Equal(["r3", "r2", "r1"], store.List(_ => true, 10).Select(r => r.Id));
                Assert.Equal(["r3", "r1"], store.List(r => r.User == "alice", 10).Select(r => r.Id));
            }
            using (var store = new ExecutionRecordStore(path, 10, NullLogger.Instance))
            {
                // The line of an execution's end replaces the line of its start; one that never ended is said so.
                Assert.Equal(["r3 server_stopped", "r2 ok", "r1 ok"], store.List(_ => true, 10).Select(r => $"{r.Id} {r.Status}"));
                store.Add(record with { Id = "r4", Status = "running" });
                store.Add(record with { Id = "r4", Status = "ok" });
                Assert.Equal(["r4 ok", "r3 server_stopped"], store.List(_ => true, 2).Select(r => $"{r.Id} {r.Status}"));
            }
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }
}
