using System.Text;
using JupyterRtc.Execution.Outputs;

namespace JupyterRtc.Execution.Tests.Outputs;

/// <summary>
/// Stands in for the Y.Text of one stream output: applies StreamText's edits to a StringBuilder (edits only touch
/// the tail, so this stays cheap for long texts), serves the range reads, and counts what was read and written.
/// </summary>
internal sealed class StreamDocument
{
    private readonly StringBuilder _text = new();
    private StreamText? _stream;

    public string Text => _text.ToString();

    public StreamText Stream => _stream ?? throw new InvalidOperationException("no chunk yet");

    public long Reads { get; private set; }
    public long CharsRead { get; private set; }
    public long CharsDeleted { get; private set; }
    public long CharsInserted { get; private set; }
    public List<StreamEdit> Edits { get; } = [];

    public static StreamDocument Resume(string text)
    {
        var document = new StreamDocument();
        document._text.Append(text);
        document._stream = StreamText.Resume(text);
        return document;
    }

    public StreamEdit Add(string chunk)
    {
        if (_stream is null)
        {
            _stream = StreamText.Start(chunk, out string first);
            _text.Append(first);
            CharsInserted += first.Length;
            var start = new StreamEdit(0, 0, first);
            Edits.Add(start);
            return start;
        }
        var edit = _stream.Append(chunk, Read);
        Assert.InRange(edit.Keep, 0, _text.Length);
        Assert.InRange(edit.Delete, 0, _text.Length - edit.Keep);
        AssertNotInsidePair(edit.Keep);
        AssertNotInsidePair(edit.Keep + edit.Delete);
        _text.Remove(edit.Keep, edit.Delete);
        _text.Insert(edit.Keep, edit.Insert);
        CharsDeleted += edit.Delete;
        CharsInserted += edit.Insert.Length;
        Edits.Add(edit);
        Assert.Equal(_text.Length, _stream.Length);
        return edit;
    }

    private string Read(int start, int length)
    {
        // StreamText promises to ask for the last line only, whole
        Assert.Equal(Stream.LineStart, start);
        Assert.Equal(_text.Length, start + length);
        Reads++;
        CharsRead += length;
        return _text.ToString(start, length);
    }

    // An edit boundary between the halves of a surrogate pair would make a Y.Text replace both halves with U+FFFD.
    private void AssertNotInsidePair(int index)
    {
        if (index > 0 && index < _text.Length)
            Assert.False(char.IsHighSurrogate(_text[index - 1]) && char.IsLowSurrogate(_text[index]),
                $"edit boundary {index} splits a surrogate pair");
    }
}
