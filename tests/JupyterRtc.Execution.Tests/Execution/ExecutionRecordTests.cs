namespace JupyterRtc.Execution.Tests.Execution;

/// <summary>
/// What <c>GET /api/executions</c> shows of a request from its submission to its final record. The listing merges the
/// live requests with the record store; a request must stay live until its final record is written, so that a client
/// that saw its cell go idle never reads the record written when it started (status "running", no duration).
/// </summary>
public class ExecutionRecordTests
{
    private static ExecutionRequest Request() =>
        new(new ExecutionSubmission { KernelId = "k", User = "alice", CellId = "c0" }, "print(1)", "json:notebook:f", "a.ipynb", writesDocument: true);

    [Fact]
    public void A_request_stays_live_with_its_outcome_until_its_final_record_is_written()
    {
        var r = Request();
        Assert.True(r.IsLive);
        Assert.Equal("queued", ExecutionService.Record(r).Status);

        r.Started = DateTime.UtcNow.AddSeconds(-1);
        r.Status = "running";
        Assert.Equal("running", ExecutionService.Record(r).Status);

        // The kernel is done (as KernelExecutor.End leaves it); the outputs and the record are not written yet.
        r.Ended = DateTime.UtcNow;
        r.Status = "complete";
        r.Outcome = "ok";
        r.ExecutionCount = 1;
        Assert.True(r.IsFinished);
        Assert.True(r.IsLive, "listed from the live requests until the final record replaces the one of its start");
        var ending = ExecutionService.Record(r);
        Assert.Equal("ok", ending.Status);
        Assert.True(ending.DurationMs > 0);
        Assert.Equal(1, ending.ExecutionCount);

        r.Finish();
        Assert.False(r.IsLive);
        Assert.True(r.Completion.IsCompleted);
    }
}
