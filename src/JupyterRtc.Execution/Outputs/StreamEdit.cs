namespace JupyterRtc.Execution.Outputs;

/// <summary>
/// One splice of a stream output's text: keep the first <see cref="Keep"/> UTF-16 units, delete the
/// <see cref="Delete"/> units after them, insert <see cref="Insert"/> there. Produced by <see cref="StreamText.Append"/>
/// and applied by the caller to the shared Y.Text (delete first, then insert at the same index).
/// </summary>
public readonly record struct StreamEdit(int Keep, int Delete, string Insert)
{
    /// <summary>True when applying the edit would change nothing (an empty chunk, or one that rewrote a line with
    /// the same characters); the caller can skip the transaction.</summary>
    public bool IsNoOp => Delete == 0 && Insert.Length == 0;

    /// <summary>The edit applied to a plain string (tests, and callers that keep the text as a string).</summary>
    public string ApplyTo(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Keep < 0 || Delete < 0 || Keep + Delete > text.Length)
            throw new ArgumentOutOfRangeException(nameof(text), $"edit ({Keep}, {Delete}) does not fit a text of {text.Length} units");
        return string.Concat(text.AsSpan(0, Keep), Insert, text.AsSpan(Keep + Delete));
    }
}
