using System.Buffers;

namespace JupyterRtc.Execution.Outputs;

/// <summary>Reads <paramref name="length"/> UTF-16 units of the current stream text from <paramref name="start"/>.</summary>
public delegate string ReadStreamText(int start, int length);

/// <summary>
/// The state of one stream output (consecutive kernel <c>stream</c> messages of one name merged into one text) and
/// the terminal controls JupyterLab 4.6 applies to it, turned into small edits of the existing text.
/// </summary>
/// <remarks>
/// <para>Behaviour to match (JupyterLab's <c>OutputAreaModel</c>, <c>Private.processText</c>): a cursor, in UTF-16
/// units, survives from one chunk to the next. Plain characters overwrite from the cursor (appending past the end);
/// <c>\r</c> moves the cursor back to the start of its line; <c>\n</c> appends a line feed at the END of the text,
/// wherever the cursor is, and puts the cursor there; <c>\b</c>, unless the cursor is at the start of a line, removes
/// the character before the cursor AND the one under it (when there is one) and steps back one. The first chunk of a
/// new output is processed the same way from an empty text. Backspace removes one UTF-16 unit, so it can leave half a
/// surrogate pair behind, as JupyterLab does.</para>
/// <para>Why only the last line matters: the cursor never leaves the last line (<c>\n</c> always goes to the end,
/// <c>\r</c> and <c>\b</c> stop at the line start), so everything before <see cref="LineStart"/> is final. A chunk
/// costs time proportional to its length plus the last line's, never to the whole text; the common case, a chunk
/// appended at the end with no <c>\r</c> or <c>\b</c>, reads nothing and allocates nothing.</para>
/// <para>The processed text never contains <c>\r</c> or <c>\b</c>. The state is three integers: after a server
/// restart, <see cref="Resume(string)"/> or the (length, line start) constructor continues an existing text with the
/// cursor at its end, which is where JupyterLab's processing of such a text leaves it.</para>
/// <para>Edits never cut a surrogate pair of the existing text in two (a Y.Text would turn both halves into U+FFFD):
/// a boundary that would fall inside a pair is moved outside it.</para>
/// <para>Not thread-safe; one instance per output, used by whoever writes that output.</para>
/// </remarks>
public sealed class StreamText
{
    private static readonly SearchValues<char> Controls = SearchValues.Create("\r\b\n");
    private static readonly ReadStreamText NothingToRead = (start, length) =>
        throw new InvalidOperationException("an empty stream text has nothing to read");

    /// <summary>A new, empty stream output.</summary>
    public StreamText()
    {
    }

    /// <summary>Continues an existing text of <paramref name="length"/> units whose last line starts at
    /// <paramref name="lineStart"/> (just after its last <c>\n</c>, or 0), with the cursor at the end.</summary>
    public StreamText(int length, int lineStart)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lineStart);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, lineStart);
        Length = length;
        LineStart = lineStart;
        Cursor = length;
    }

    /// <summary>Length of the text, in UTF-16 units.</summary>
    public int Length { get; private set; }

    /// <summary>Where the last line starts: just after the last <c>\n</c>, or 0.</summary>
    public int LineStart { get; private set; }

    /// <summary>The cursor: where the next plain character goes. Always within the last line
    /// (<see cref="LineStart"/> ≤ Cursor ≤ <see cref="Length"/>).</summary>
    public int Cursor { get; private set; }

    /// <summary>Continues <paramref name="text"/>, an existing stream text, with the cursor at its end.</summary>
    public static StreamText Resume(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new StreamText(text.Length, text.LastIndexOf('\n') + 1);
    }

    /// <summary>Starts a new stream output with its first chunk; <paramref name="text"/> is the output's text.</summary>
    public static StreamText Start(string firstChunk, out string text)
    {
        var stream = new StreamText();
        text = stream.Append(firstChunk, NothingToRead).Insert;
        return stream;
    }

    /// <summary>
    /// Appends a chunk of the same stream and returns the edit that turns the current text into the new one.
    /// <paramref name="readRange"/> is asked, at most once, for the last line (<see cref="LineStart"/> to
    /// <see cref="Length"/>) when the chunk needs it: never for a chunk without <c>\r</c> or <c>\b</c> when the cursor
    /// is at the end.
    /// </summary>
    /// <exception cref="InvalidOperationException">The text read back is not the last line this state expects
    /// (someone else changed the text): resume from the text as it now is.</exception>
    public StreamEdit Append(string chunk, ReadStreamText readRange)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(readRange);
        var span = chunk.AsSpan();
        int end = Length;
        if (Cursor == end)
        {
            int firstControl = span.IndexOfAny('\r', '\b');
            if (firstControl < 0)
            {
                // Overwriting from the end is appending, and \n appends anyway: the text grows by the chunk itself.
                int lastFeed = span.LastIndexOf('\n');
                Length = Cursor = end + chunk.Length;
                if (lastFeed >= 0)
                    LineStart = end + lastFeed + 1;
                return new StreamEdit(end, 0, chunk);
            }
            int firstFeed = span[..firstControl].IndexOf('\n');
            if (firstFeed >= 0)
            {
                // Up to the first \n the chunk is a plain append; what follows starts on a fresh, empty line, which
                // it cannot leave, so the old last line is not needed.
                return Rewrite(end, ReadOnlySpan<char>.Empty, 0, span[..(firstFeed + 1)], span[(firstFeed + 1)..]);
            }
        }

        int lineLength = end - LineStart;
        string line = lineLength == 0 ? string.Empty : readRange(LineStart, lineLength);
        if (line is null || line.Length != lineLength || line.Contains('\n'))
            throw new InvalidOperationException(
                $"the stream text changed under this writer: expected a last line of {lineLength} units at {LineStart} without line feeds");
        return Rewrite(LineStart, line, Cursor - LineStart, ReadOnlySpan<char>.Empty, span);
    }

    /// <summary>
    /// Replaces the old text from <paramref name="from"/> on (<paramref name="old"/>, a part of the last line, or
    /// nothing) with <paramref name="head"/> (chunk characters known to be a plain append, ending with <c>\n</c>)
    /// followed by <paramref name="rest"/> processed with the cursor at <paramref name="cursor"/> in
    /// <paramref name="old"/>; then returns the smallest edit between the old and the new tail.
    /// </summary>
    private StreamEdit Rewrite(int from, ReadOnlySpan<char> old, int cursor, ReadOnlySpan<char> head, ReadOnlySpan<char> rest)
    {
        // The line under edit is a gap buffer of two stacks: left holds the characters before the cursor in order,
        // right those from the cursor on, reversed (its top is the character under the cursor). Every control is
        // then O(1) except \r, which moves left onto right; that is paid for by the characters that went into left,
        // each moved at most once per \r after it arrived, so a chunk costs O(old line + chunk) in all.
        int capacity = old.Length + rest.Length;
        var pool = ArrayPool<char>.Shared;
        char[] leftArray = pool.Rent(Math.Max(capacity, 1));
        char[] rightArray = pool.Rent(Math.Max(capacity, 1));
        char[] tailArray = pool.Rent(Math.Max(capacity + head.Length, 1));
        try
        {
            Span<char> left = leftArray, right = rightArray, tail = tailArray;
            old[..cursor].CopyTo(left);
            int leftCount = cursor;
            old[cursor..].CopyTo(right);
            int rightCount = old.Length - cursor;
            right[..rightCount].Reverse();
            head.CopyTo(tail);
            int tailCount = head.Length;
            int lineStart = tailCount;

            int i = 0;
            while (i < rest.Length)
            {
                int next = rest[i..].IndexOfAny(Controls);
                int plainEnd = next < 0 ? rest.Length : i + next;
                int plain = plainEnd - i;
                if (plain > 0)
                {
                    // overwrite: the characters under the cursor give way one for one, then the line grows
                    rest[i..plainEnd].CopyTo(left[leftCount..]);
                    leftCount += plain;
                    rightCount = Math.Max(0, rightCount - plain);
                }
                if (next < 0)
                    break;
                switch (rest[plainEnd])
                {
                    case '\b':
                        // At the line start it would meet a \n (or the start of the text) and does nothing.
                        if (leftCount > 0)
                        {
                            leftCount--;
                            if (rightCount > 0)
                                rightCount--;
                        }
                        break;
                    case '\r':
                        left[..leftCount].CopyTo(right[rightCount..]);
                        right.Slice(rightCount, leftCount).Reverse();
                        rightCount += leftCount;
                        leftCount = 0;
                        break;
                    default: // '\n': the line is finished as it stands, whatever the cursor; a new empty one starts
                        tailCount = Flush(tail, tailCount, left[..leftCount], right[..rightCount]);
                        tail[tailCount++] = '\n';
                        lineStart = tailCount;
                        leftCount = rightCount = 0;
                        break;
                }
                i = plainEnd + 1;
            }
            int cursorInTail = tailCount + leftCount;
            tailCount = Flush(tail, tailCount, left[..leftCount], right[..rightCount]);

            ReadOnlySpan<char> fresh = tail[..tailCount];
            int prefix = old.CommonPrefixLength(fresh);
            // Do not keep half a surrogate pair: the edit would split the pair in the Y.Text.
            if (prefix > 0 && char.IsHighSurrogate(old[prefix - 1]))
                prefix--;
            int maxSuffix = Math.Min(old.Length, fresh.Length) - prefix;
            int suffix = 0;
            while (suffix < maxSuffix && old[old.Length - 1 - suffix] == fresh[fresh.Length - 1 - suffix])
                suffix++;
            if (suffix > 0 && char.IsLowSurrogate(old[old.Length - suffix]))
                suffix--;

            var edit = new StreamEdit(from + prefix, old.Length - prefix - suffix,
                new string(fresh[prefix..(fresh.Length - suffix)]));
            Length = from + tailCount;
            LineStart = from + lineStart;
            Cursor = from + cursorInTail;
            return edit;
        }
        finally
        {
            pool.Return(tailArray);
            pool.Return(rightArray);
            pool.Return(leftArray);
        }
    }

    // Writes the line held by the gap buffer (left in order, then right reversed back) to the tail.
    private static int Flush(Span<char> tail, int tailCount, ReadOnlySpan<char> left, ReadOnlySpan<char> reversedRight)
    {
        left.CopyTo(tail[tailCount..]);
        tailCount += left.Length;
        reversedRight.CopyTo(tail[tailCount..]);
        tail.Slice(tailCount, reversedRight.Length).Reverse();
        return tailCount + reversedRight.Length;
    }
}
