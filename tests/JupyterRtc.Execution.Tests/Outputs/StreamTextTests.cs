using System.Text;
using JupyterRtc.Execution.Outputs;

namespace JupyterRtc.Execution.Tests.Outputs;

public class StreamTextTests
{
    // Expected texts worked out by hand from JupyterLab 4.6's rules and checked against its OutputAreaModel.
    [Theory]
    [InlineData("100%|##########|\ndone\n", "  0%|          |\r", " 50%|#####     |\r", "100%|##########|\n", "done\n")]
    [InlineData("100%\n", "\r  0%", "\r 50%", "\r100%", "\n")] // tqdm writes \r first
    [InlineData("okwnloading...", "downloading...\r", "ok")] // a shorter line overwrites only its own length
    [InlineData("abc\ndef\n", "abc\r\n", "def\r\n")]
    [InlineData("abc\ndef\n", "abc\r", "\ndef\r", "\n")] // \r\n split between chunks
    [InlineData("XYcdef\nz", "abcdef\r", "XY\n", "z")] // \n goes to the end of the text, not to the cursor
    [InlineData("abc\nx", "abc\n", "\r", "x")]
    [InlineData("c", "a\rb\rc")]
    public void TerminalControls(string expected, params string[] chunks) => Assert.Equal(expected, Run(chunks).Text);

    [Theory]
    [InlineData("ad", "abc\b\b", "d")] // at the end: one character per backspace
    [InlineData("xdef", "abcdef\r", "xy\b")] // inside a line: the one before the cursor AND the one under it
    [InlineData("a\nb", "a\n", "\b\bb")] // at the start of a line: nothing
    [InlineData("x", "\b\bx")] // at the start of the text: nothing
    public void Backspace(string expected, params string[] chunks) => Assert.Equal(expected, Run(chunks).Text);

    [Fact]
    public void BackspaceRemovesOneUtf16UnitOfAnEmoji()
    {
        // JupyterLab's strings are UTF-16 and so is its backspace: half the pair stays
        Assert.Equal("\uD83D", Run("😀", "\b").Text);
        Assert.Equal("a", Run("😀\b\b", "a").Text);
        Assert.Equal("xb😀", Run("ab😀\r", "x").Text);
        Assert.Equal("é😀€\n😀", Run("é😀", "€\n", "😀").Text);
    }

    [Fact]
    public void EditsDoNotSplitSurrogatePairs()
    {
        // StreamDocument asserts on every edit that no boundary falls inside a pair of the old text
        // (the \b in "\r😀\b" removes the low half of the first emoji and the high half of the second: what is
        // left is a whole emoji again)
        var document = Run("😀😀\r", "😀😃", "\r😃😀", "\r😀\b", "\r\b😀x");
        Assert.Equal("😀x", document.Text);
        var edit = Run("😀").Add("\b");
        Assert.Equal(new StreamEdit(0, 2, "\uD83D"), edit); // the whole pair goes, its first half comes back
    }

    [Fact]
    public void EmptyChunks()
    {
        Assert.Equal("", Run("").Text);
        var document = Run("", "", "a", "");
        Assert.Equal("a", document.Text);
        Assert.True(document.Edits[^1].IsNoOp);
        Assert.True(Run("abc\r").Add("").IsNoOp);
    }

    [Fact]
    public void StartProcessesTheFirstChunk()
    {
        var stream = StreamText.Start("abc\rx\b\nlast", out string text);
        Assert.Equal("c\nlast", text);
        Assert.Equal((6, 2, 6), (stream.Length, stream.LineStart, stream.Cursor));
    }

    [Fact]
    public void PlainChunksAtTheEndAreAppendedWithoutReading()
    {
        var document = Run("first line\n", "second", " line\nthird\n\n", "fourth");
        Assert.Equal("first line\nsecond line\nthird\n\nfourth", document.Text);
        Assert.Equal(0, document.Reads);
        Assert.All(document.Edits, edit => Assert.Equal(0, edit.Delete));
        Assert.Equal(document.Text.Length - "fourth".Length, document.Stream.LineStart);

        // controls after the first \n of a chunk stay on new lines: still no read
        document.Add("\nnew\rold\b");
        Assert.Equal(0, document.Reads);
        Assert.EndsWith("fourth\nol", document.Text);
        document.Add("\r"); // a \r before any \n needs the last line (what follows may overwrite it)
        Assert.Equal(1, document.Reads);
        document.Add("X");
        Assert.Equal(2, document.Reads); // the cursor is no longer at the end
        Assert.EndsWith("fourth\nXl", document.Text);
    }

    [Fact]
    public void EditsAreSmall()
    {
        // one splice from the first to the last character that changed: the common prefix and suffix stay
        var document = Run("line 1\n", "progress  10% eta 9s");
        var edit = document.Add("\rprogress  20% eta 8s");
        Assert.Equal(new StreamEdit("line 1\nprogress  ".Length, "10% eta 9".Length, "20% eta 8"), edit);
        Assert.Equal("line 1\nprogress  20% eta 8s", document.Text);
        Assert.True(document.Add("\rprogress  20%").IsNoOp);
    }

    [Fact]
    public void ResumesWithTheCursorAtTheEnd()
    {
        var document = StreamDocument.Resume("old output\nhalf a li");
        Assert.Equal((20, 11, 20), (document.Stream.Length, document.Stream.LineStart, document.Stream.Cursor));
        document.Add("ne\rH");
        document.Add("\b\b\n");
        Assert.Equal("old output\nlf a line\n", document.Text); // the 2nd \b is at the line start
        var again = new StreamText(5, 0);
        Assert.Equal(new StreamEdit(5, 0, "!"), again.Append("!", (_, _) => throw new InvalidOperationException()));
    }

    [Fact]
    public void ARangeThatIsNotTheExpectedLastLineIsRejected()
    {
        var stream = StreamText.Start("abc", out _);
        stream.Append("\r", (_, _) => "abc");
        Assert.Throws<InvalidOperationException>(() => stream.Append("x", (_, _) => "ab"));
        Assert.Throws<InvalidOperationException>(() => stream.Append("x", (_, _) => "a\nc"));
    }

    [Fact]
    public void PlainAppendsAllocateNothing()
    {
        var stream = new StreamText();
        string line = "a line of plain output\n", part = "no newline yet ";
        ReadStreamText read = (_, _) => throw new InvalidOperationException("should not read");
        for (int i = 0; i < 1000; i++) // warm up (tiering, statics)
        {
            stream.Append(line, read);
            stream.Append(part, read);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            var edit = stream.Append(line, read);
            Assert.Same(line, edit.Insert);
            stream.Append(part, read);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TwoHundredThousandLinesCostLinearWork()
    {
        // 200,000 lines in 2,000 chunks, each line written as a progress line that is rewritten twice with \r
        // before its \n, some lines split across chunks. Work is measured as characters read back, deleted and
        // inserted; it must stay within a small multiple of what the kernel sent (a quadratic implementation would
        // read the whole text for each chunk: about 10^10 characters).
        const int lines = 200_000, perChunk = 100;
        var document = new StreamDocument();
        var expected = new StringBuilder();
        var chunk = new StringBuilder();
        long sent = 0;
        for (int i = 0; i < lines; i++)
        {
            chunk.Append("step ").Append(i).Append(" 0%\rstep ").Append(i).Append(" 50%");
            if (i % 7 == 3)
            {
                // the line goes on in the next chunk
                sent += chunk.Length;
                document.Add(chunk.ToString());
                chunk.Clear();
            }
            chunk.Append("\rstep ").Append(i).Append(" 100%\n");
            expected.Append("step ").Append(i).Append(" 100%\n");
            if (i % perChunk == perChunk - 1)
            {
                sent += chunk.Length;
                document.Add(chunk.ToString());
                chunk.Clear();
            }
        }
        Assert.Equal(expected.ToString(), document.Text);
        long work = document.CharsRead + document.CharsDeleted + document.CharsInserted;
        Assert.InRange(work, expected.Length, 3 * sent);
        Assert.InRange(document.Edits.Count, lines / perChunk, 2 * lines / perChunk + lines / 7 + 2);
    }

    private static StreamDocument Run(params string[] chunks)
    {
        var document = new StreamDocument();
        foreach (string chunk in chunks)
            document.Add(chunk);
        return document;
    }
}
