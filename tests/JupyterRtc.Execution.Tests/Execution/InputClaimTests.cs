namespace JupyterRtc.Execution.Tests.Execution;

/// <summary>
/// An <c>input()</c> prompt is answered once, and stops asking the moment its answer is accepted: a poll right after
/// <c>POST .../input</c> answered 201 used to see the prompt again (300) until the kernel's thread sent the reply.
/// </summary>
public class InputClaimTests
{
    [Fact]
    public void The_first_answer_takes_the_prompt_and_the_request_is_running_again()
    {
        var r = new ExecutionRequest(new ExecutionSubmission { KernelId = "k", User = "alice", CellId = "c0" }, "input()", null, null, writesDocument: false)
        {
            Status = "input",
            Input = new PendingInput("Your name? ", false, "{}"u8.ToArray(), "{}"u8.ToArray()),
        };
        var claimed = r.ClaimInput();
        Assert.Equal("Your name? ", claimed?.Prompt);
        Assert.Null(r.Input);
        Assert.Equal("running", r.Status);
        Assert.Null(r.ClaimInput());            // a second answer finds nothing waiting
        Assert.Equal("running", r.Status);
    }
}
